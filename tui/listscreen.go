package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/ops"
	"selfserve/tui/words"
)

// listScreen is a short list read whole into memory (the audit tail, the
// outbox, the service catalogue): one screen for their columns, rows,
// cursor, empty state and status line. It reads in Init, never in its
// constructor, so opening it never waits on the store.
type listScreen[T any] struct {
	c     Common
	spec  *listSpec[T]
	items []T
	err   error
	read  bool // the read came back
	sc    scroller
	// need is each column's widest value (or title), measured once per
	// read: the rows are few, and widths must not jump while scrolling.
	need []int
	lay  listLayout
}

// listSpec is what one list screen shows and does.
type listSpec[T any] struct {
	title string
	// noun names a row in the status line: "entry 3 of 40".
	noun    string
	columns []listColumn
	// growth names the columns that widen, in turn, up to their widest
	// value once every column has its minimum; the last one takes the
	// rest of the line.
	growth []int
	// split, when the whole values do not fit on one line, puts the
	// columns from this one on a second line of each row (0: never).
	split int
	read  func(*ops.Session) ([]T, error)
	cells func(*Styles, T) []cell
	empty string                 // what an empty list says
	note  func(items []T) string // after "entry 3 of 40 · " in the status line
	open  func(Common, T) screen // what enter opens; nil: enter does nothing
	// watches says whether a change touches the list (nil: never).
	watches func(ops.Change) bool
	legend  []legendLine // under the table, wrapped
}

// listColumn is a column of a list screen.
type listColumn struct {
	column
	// whole columns are never cut while the line has room for every
	// whole value: times, actors, actions, names.
	whole bool
}

// legendLine explains a word under a table: label, then text that wraps
// under itself.
type legendLine struct{ label, text string }

// listLoadedMsg is the read a list screen asked for; to names the screen,
// since every screen on the stack sees it.
type listLoadedMsg[T any] struct {
	to    *listScreen[T]
	items []T
	err   error
}

func newListScreen[T any](c Common, spec *listSpec[T]) *listScreen[T] {
	return &listScreen[T]{c: c, spec: spec}
}

func (l *listScreen[T]) Init() tea.Cmd {
	oc, read := l.c.Ops, l.spec.read
	return func() tea.Msg {
		items, err := read(oc)
		return listLoadedMsg[T]{to: l, items: items, err: err}
	}
}

func (l *listScreen[T]) Title() string   { return l.spec.title }
func (l *listScreen[T]) Capturing() bool { return false }

func (l *listScreen[T]) SetSize(width, height int) {
	l.c.SetSize(width, height)
	l.layOut()
}

func (l *listScreen[T]) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listLoadedMsg[T]:
		if msg.to != l {
			return nil
		}
		l.items, l.err, l.read = msg.items, msg.err, true
		l.sc.n = len(l.items)
		l.measure()
		l.layOut()
	case tea.KeyMsg:
		if key.Matches(msg, l.c.KeyMap.Open) && l.spec.open != nil && l.sc.cursor < len(l.items) {
			return opening(l.spec.open(l.c, l.items[l.sc.cursor]))
		}
		l.sc.key(l.c.KeyMap, msg)
	}
	return nil
}

// measure finds each column's widest value.
func (l *listScreen[T]) measure() {
	l.need = make([]int, len(l.spec.columns))
	for i, c := range l.spec.columns {
		l.need[i] = len(c.title)
	}
	for _, it := range l.items {
		for i, c := range l.spec.cells(l.c.Styles, it) {
			text := c.text
			if c.list != nil {
				text = strings.Join(c.list, ", ")
			}
			l.need[i] = max(l.need[i], textWidth(text))
		}
	}
}

// rowIndent sets a row's second line under its first, so rows stay apart.
const rowIndent = "  "

// listLayout is where the columns sit: one line per row, or two when
// the whole values do not fit on one (issue 11 point 4: wrap rather than
// cut what matters).
type listLayout struct {
	lines [][]int // the columns on each line of a row
	w     [][]int // their widths
}

// layOut plans the rows for the screen's size.
func (l *listScreen[T]) layOut() {
	all := make([]int, len(l.spec.columns))
	for i := range all {
		all[i] = i
	}
	total := l.c.Width - len(marker)
	w, whole := l.fit(all, total)
	l.lay = listLayout{lines: [][]int{all}, w: [][]int{w}}
	if !whole && l.spec.split > 0 {
		w1, _ := l.fit(all[:l.spec.split], total)
		w2, _ := l.fit(all[l.spec.split:], total-len(rowIndent))
		l.lay = listLayout{lines: [][]int{all[:l.spec.split], all[l.spec.split:]}, w: [][]int{w1, w2}}
	}
	rows := l.c.Height - 1 - len(l.lay.lines) - len(l.legend())
	l.sc.height = max(1, rows/len(l.lay.lines))
	l.sc.clamp()
}

// fit plans the columns idx on one line: whole columns at their widest
// value, then the growth columns widened in turn, the last taking the
// rest. When that does not fit, the widest whole column gives way first,
// down to its minimum; whole says nothing had to.
func (l *listScreen[T]) fit(idx []int, total int) (w []int, whole bool) {
	need := func(i int) int {
		if l.need == nil {
			return l.spec.columns[i].min
		}
		return max(l.spec.columns[i].min, l.need[i])
	}
	cols := make([]column, len(idx))
	for j, i := range idx {
		cols[j] = l.spec.columns[i].column
		if l.spec.columns[i].whole {
			cols[j].min = need(i)
		}
	}
	var steps []growStep
	for _, i := range l.spec.growth {
		if j := slices.Index(idx, i); j >= 0 {
			steps = append(steps, growStep{j, need(i)})
		}
	}
	if n := len(steps); n > 0 {
		steps = append(steps, growStep{steps[n-1].col, 0})
	}
	w = plan(cols, steps, total)
	whole = shown(w) <= total && !slices.Contains(w, 0)
	if whole {
		return w, true
	}
	for over := shown(w) - total; over > 0; over-- {
		widest := -1
		for j, i := range idx {
			if w[j] > 0 && cols[j].min > l.spec.columns[i].min && (widest < 0 || cols[j].min > cols[widest].min) {
				widest = j
			}
		}
		if widest < 0 {
			break
		}
		cols[widest].min--
	}
	return plan(cols, steps, total), false
}

func (l *listScreen[T]) View() string {
	s := l.c.Styles
	var lines []string
	for k, idx := range l.lay.lines {
		cols, _ := l.line(idx, nil)
		h := header(cols, l.lay.w[k], s.ColumnHeader)
		if k > 0 {
			h = rowIndent + h
		}
		lines = append(lines, h)
	}
	from, to := l.sc.visible()
	for i := from; i < to && i < len(l.items); i++ {
		all := l.spec.cells(s, l.items[i])
		selected := i == l.sc.cursor
		for k, idx := range l.lay.lines {
			cols, cs := l.line(idx, all)
			var line string
			switch {
			case k == 0:
				line = row(cols, l.lay.w[k], cs, selected, s.SelectedRow)
			case selected:
				line = s.SelectedRow.Render(rowIndent + row(cols, l.lay.w[k], cs, false, s.SelectedRow))
			default:
				line = rowIndent + row(cols, l.lay.w[k], cs, false, s.SelectedRow)
			}
			lines = append(lines, line)
		}
	}
	if l.read && len(l.items) == 0 && l.err == nil {
		for _, e := range hanging("  ", 2, l.spec.empty, l.c.Width) {
			lines = append(lines, s.Muted.Render(e))
		}
	}
	legend := l.legend()
	out := fitHeight(strings.Join(lines, "\n"), max(1, l.c.Height-1-len(legend)))
	if len(legend) > 0 {
		out += "\n" + strings.Join(legend, "\n")
	}
	return out + "\n" + clip(l.status(), l.c.Width)
}

// line picks the columns idx and their cells out of all.
func (l *listScreen[T]) line(idx []int, all []cell) ([]column, []cell) {
	cols := make([]column, len(idx))
	cs := make([]cell, len(idx))
	for j, i := range idx {
		cols[j] = l.spec.columns[i].column
		if i < len(all) {
			cs[j] = all[i]
		}
	}
	return cols, cs
}

// legend is the explanations under the table, after a blank line, each
// wrapped under its own text so none is cut.
func (l *listScreen[T]) legend() []string {
	if len(l.spec.legend) == 0 {
		return nil
	}
	s := l.c.Styles
	indent := 0
	for _, it := range l.spec.legend {
		indent = max(indent, len(it.label))
	}
	indent += 4 // two before the label, two after
	out := []string{""}
	for _, it := range l.spec.legend {
		for i, text := range wrap(it.text, max(10, l.c.Width-indent)) {
			label := ""
			if i == 0 {
				label = it.label
			}
			out = append(out, s.Label.Render(fmt.Sprintf("  %-*s", indent-2, label))+text)
		}
	}
	return out
}

func (l *listScreen[T]) status() string {
	s := l.c.Styles
	switch {
	case l.err != nil:
		return s.Error.Render(fmt.Sprint(l.err))
	case len(l.items) == 0:
		return ""
	}
	line := fmt.Sprintf("%s %s of %s", l.spec.noun, words.Count(l.sc.cursor+1), words.Count(len(l.items)))
	if l.spec.note != nil {
		line += " · " + l.spec.note(l.items)
	}
	return s.StatusBar.Render(line)
}

// opens says whether enter opens something now: only a list with rows
// offers it (issue 11 point 8: only offer keys that work).
func (l *listScreen[T]) opens() bool { return l.spec.open != nil && len(l.items) > 0 }

// helpVariant changes when the list's rows arrive, so the root draws the
// help again.
func (l *listScreen[T]) helpVariant() int {
	if l.opens() {
		return 1
	}
	return 0
}

func (l *listScreen[T]) ShortHelp() []key.Binding {
	km := l.c.KeyMap
	if l.opens() {
		return []key.Binding{km.Move, km.Open, km.Back}
	}
	return []key.Binding{km.Move, km.PageDown, km.Back}
}

func (l *listScreen[T]) FullHelp() [][]key.Binding {
	km := l.c.KeyMap
	h := listHelp(km)
	if l.opens() {
		h[1] = append(h[1], km.Open)
	}
	return h
}
