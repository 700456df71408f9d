package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// A table here is only a width plan: screens render just the rows on
// screen, so nothing ever walks a whole directory to size its columns.
// Widths depend on the terminal width alone, so they never jump while
// scrolling.

const (
	gap    = "  "
	marker = "> " // the cursor row, readable without colour
)

type column struct {
	title string
	// short replaces title when the column is narrower than it.
	short string
	min   int
	right bool // numbers
	// drop: columns with a higher value are left out first when even the
	// minimum widths do not fit; 0 is never dropped.
	drop int
}

// growStep lets a column grow up to upto (0: without bound) before the
// next step gets any space, so the most useful column widens first. A step
// naming a column with a short title spells out all such titles at once.
type growStep struct {
	col, upto int
}

// plan returns each column's width (0: dropped) for a table of width
// total.
func plan(cols []column, steps []growStep, total int) []int {
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = c.min
	}
	used := func() int { return shown(w) }
	for used() > total {
		worst := -1
		for i, c := range cols {
			if w[i] > 0 && c.drop > 0 && (worst < 0 || c.drop > cols[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		w[worst] = 0
	}
	extra := total - used()
	for _, st := range steps {
		if extra <= 0 {
			break
		}
		if w[st.col] == 0 {
			continue
		}
		if cols[st.col].short != "" {
			extra -= growTitles(cols, w, extra)
			continue
		}
		add := extra
		if st.upto > 0 {
			add = min(extra, max(0, st.upto-w[st.col]))
		}
		w[st.col] += add
		extra -= add
	}
	return w
}

// shown is the width a plan takes on screen: its columns (0: dropped)
// and the gaps between them.
func shown(w []int) int {
	n, cols := 0, 0
	for _, x := range w {
		if x > 0 {
			n += x
			cols++
		}
	}
	return n + max(0, cols-1)*len(gap)
}

// growTitles widens every shown column that has a short title to its
// full title, all or none, so titles are never half spelled out, and
// returns the space it used.
func growTitles(cols []column, w []int, extra int) int {
	need := 0
	for i, c := range cols {
		if c.short != "" && w[i] > 0 {
			need += max(0, len(c.title)-w[i])
		}
	}
	if need == 0 || need > extra {
		return 0
	}
	for i, c := range cols {
		if c.short != "" && w[i] > 0 {
			w[i] = max(w[i], len(c.title))
		}
	}
	return need
}

// fit cuts s to width (marking the cut with …) and pads it to exactly
// width cells.
func fit(s string, width int, right bool) string {
	var b strings.Builder
	b.Grow(len(s) + max(0, width))
	writeFit(&b, s, width, right)
	return b.String()
}

// writeFit writes s fitted as fit does into b, the row being built, so a
// plain cell costs the row no allocation of its own: rows are drawn on
// every key, and garbage per frame is what brings the collector's pauses
// into keystrokes (issue 11 point 16).
func writeFit(b *strings.Builder, s string, width int, right bool) {
	if width <= 0 {
		return
	}
	tw := textWidth(s)
	if tw > width {
		s = ansi.Truncate(s, width, "…")
		tw = textWidth(s)
	}
	if right {
		writeSpaces(b, width-tw)
	}
	b.WriteString(s)
	if !right {
		writeSpaces(b, width-tw)
	}
}

// spaces pads cells; wider pads are written in pieces.
const spaces = "                                                                "

func writeSpaces(b *strings.Builder, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		b.WriteString(spaces[:k])
		n -= k
	}
}

// cells fits each value into its column; a styled value's style is applied
// after fitting, so padding and cuts count only visible characters.
type cell struct {
	text  string
	list  []string // when set, fitted whole names first (see fitList)
	style *lipgloss.Style
}

func list(names []string) cell {
	if len(names) == 0 {
		return cell{text: "-"}
	}
	return cell{list: names}
}

// fitList shows as many whole names as fit and counts the rest ("rms +2"),
// or only how many there are, so a narrow column never shows half a
// service name.
func fitList(names []string, width int) string {
	all := strings.Join(names, ", ")
	if textWidth(all) <= width {
		return all
	}
	for n := len(names) - 1; n >= 1; n-- {
		s := strings.Join(names[:n], ", ") + " +" + strconv.Itoa(len(names)-n)
		if textWidth(s) <= width {
			return s
		}
	}
	if n := strconv.Itoa(len(names)) + " services"; len(n) <= width {
		return n
	}
	return all // fit cuts it with an ellipsis
}

func plain(s string) cell                     { return cell{text: s} }
func styled(s string, st lipgloss.Style) cell { return cell{text: s, style: &st} }

// row renders one table line: the cursor marker, then each shown column.
func row(cols []column, w []int, cs []cell, selected bool, sel lipgloss.Style) string {
	var b strings.Builder
	n := len(marker)
	for _, x := range w {
		n += x + len(gap)
	}
	b.Grow(n)
	writeCells(&b, cols, w, cs, selected)
	if selected {
		return sel.Render(b.String())
	}
	return b.String()
}

// rowTo writes row's line into b, so a screen of rows is one string
// built once rather than a string per row copied into it.
func rowTo(b *strings.Builder, cols []column, w []int, cs []cell, selected bool, sel lipgloss.Style) {
	if selected {
		b.WriteString(row(cols, w, cs, selected, sel))
		return
	}
	writeCells(b, cols, w, cs, false)
}

func writeCells(b *strings.Builder, cols []column, w []int, cs []cell, selected bool) {
	if selected {
		b.WriteString(marker)
	} else {
		writeSpaces(b, len(marker))
	}
	first := true
	for i, c := range cs {
		if w[i] == 0 {
			continue
		}
		if !first {
			b.WriteString(gap)
		}
		first = false
		text := c.text
		if c.list != nil {
			text = fitList(c.list, w[i])
		}
		if c.style != nil && !selected {
			b.WriteString(c.style.Render(fit(text, w[i], cols[i].right)))
		} else {
			writeFit(b, text, w[i], cols[i].right)
		}
	}
}

func header(cols []column, w []int, st lipgloss.Style) string {
	cs := make([]cell, len(cols))
	for i, c := range cols {
		cs[i] = plain(c.title)
		if c.short != "" && w[i] < len(c.title) {
			cs[i] = plain(c.short)
		}
	}
	return st.Render(row(cols, w, cs, false, st))
}

// textWidth is the cells s takes; plain ASCII, what nearly every row
// holds, is counted without the grapheme segmentation ansi does.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0x1b {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// clip cuts a line of free text (which may hold styles) to width.
func clip(l string, width int) string {
	// A line never takes more cells than it has bytes.
	if len(l) <= width || ansi.StringWidth(l) <= width {
		return l
	}
	return ansi.Truncate(l, width, "…")
}

func clipLines(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clip(l, width)
	}
	return strings.Join(lines, "\n")
}

// fitHeight makes s exactly height lines. Screens keep every line within
// their width (rows by construction, free text by clip), so only the
// count is fixed here: the help line must never be pushed off screen.
func fitHeight(s string, height int) string {
	n := strings.Count(s, "\n") + 1
	switch {
	case n > height:
		at := 0
		for range height {
			at += strings.IndexByte(s[at:], '\n') + 1
		}
		return s[:at-1]
	case n < height:
		return s + strings.Repeat("\n", height-n)
	}
	return s
}
