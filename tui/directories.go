package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// filter is the directories screen's tab: which states it lists.
type filter int

const (
	showAll filter = iota
	showUnmanaged
	showManaged
	filterCount
)

func (f filter) String() string { return [...]string{"all", "unmanaged", "managed"}[f] }

// directoriesLoadedMsg carries the list read in the background, so the
// first frame does not wait for thousands of directories.
type directoriesLoadedMsg struct {
	list []ops.DirectorySummary
	err  error
}

// directoriesScreen lists every directory. Directories number thousands,
// not millions, so the list is loaded once (in the background); rendering
// still touches only the rows on screen.
type directoriesScreen struct {
	c      Common
	loaded bool
	err    error
	all    []ops.DirectorySummary // by name
	views  [filterCount][]int     // indices into all, per filter
	pos    [filterCount]map[string]int
	filter filter
	// scroller's cursor is an index into views[filter].
	scroller
	users int64
	// usersWidth is the width of the largest user count.
	usersWidth int
	jump       jumpInput
	// wanted is the prefix whose jump is being read; landing is true
	// until it lands, and enter meanwhile opens where it lands.
	wanted     string
	landing    bool
	openOnLand bool
	// savedCursor/savedTop are where a jump started.
	savedCursor, savedTop int
}

func newDirectoriesScreen(c Common) *directoriesScreen {
	return &directoriesScreen{c: c, jump: newJumpInput(c, "domain")}
}

func (d *directoriesScreen) Init() tea.Cmd {
	c := d.c
	return func() tea.Msg {
		list, err := c.Ops.Directories("")
		return directoriesLoadedMsg{list: list, err: err}
	}
}

func (d *directoriesScreen) Title() string   { return "Directories" }
func (d *directoriesScreen) Capturing() bool { return d.jump.active() }

func (d *directoriesScreen) setList(list []ops.DirectorySummary) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := strings.ToLower(list[i].Name), strings.ToLower(list[j].Name)
		if a != b {
			return a < b
		}
		return list[i].ID < list[j].ID
	})
	d.all, d.users, d.loaded = list, 0, true
	for f := range filterCount {
		d.views[f] = d.views[f][:0]
		d.pos[f] = map[string]int{}
	}
	d.usersWidth = 0
	for i, s := range list {
		d.users += s.Users
		d.usersWidth = max(d.usersWidth, len(words.Count(s.Users)))
		for f := range filterCount {
			if f == showAll || (f == showUnmanaged && s.State == model.Unmanaged) || (f == showManaged && s.State == model.Managed) {
				d.pos[f][s.ID] = len(d.views[f])
				d.views[f] = append(d.views[f], i)
			}
		}
	}
	d.cursor, d.top = 0, 0
}

func (d *directoriesScreen) view() []int { return d.views[d.filter] }

// rowsHeight is how many directories fit: the body less the tabs, the
// column titles and the status line.
func (d *directoriesScreen) rowsHeight() int { return max(1, d.c.Height-3) }

func (d *directoriesScreen) SetSize(width, height int) {
	d.c.SetSize(width, height)
	d.scroll()
}

func (d *directoriesScreen) scroll() {
	d.n, d.height = len(d.view()), d.rowsHeight()
	d.clamp()
}

func (d *directoriesScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case directoriesLoadedMsg:
		d.err = msg.err
		if msg.err == nil {
			// A reload (after a change elsewhere) keeps the selection.
			sel, had := d.selected()
			d.setList(msg.list)
			if i, ok := d.pos[d.filter][sel.ID]; had && ok {
				d.cursor = i
			}
			d.scroll()
		}
		return nil
	case domainJumpMsg:
		if msg.to == d {
			return d.landed(msg)
		}
		return nil
	case switchesSavedMsg:
		// The list shows every directory's switches: read it again.
		return d.Init()
	case tea.KeyMsg:
		if d.jump.active() {
			return d.updateJump(msg)
		}
		return d.updateKey(msg)
	}
	return nil
}

func (d *directoriesScreen) updateKey(k tea.KeyMsg) tea.Cmd {
	km := d.c.KeyMap
	d.scroll()
	if d.scroller.key(km, k) {
		return nil
	}
	switch {
	case key.Matches(k, km.Filter):
		d.setFilter((d.filter + 1) % filterCount)
	case key.Matches(k, km.Jump):
		if d.loaded {
			d.savedCursor, d.savedTop = d.cursor, d.top
			d.jump.open()
		}
	case key.Matches(k, km.Open):
		return d.open()
	case key.Matches(k, km.Switches):
		return d.act(func(sel ops.DirectorySummary) (screen, string) {
			return newNamedSwitchesScreen(d.c, sel.ID), whyNoSwitches(sel, d.name(sel.MergedInto))
		})
	case key.Matches(k, km.Takeover):
		return d.act(func(sel ops.DirectorySummary) (screen, string) {
			return newTakeoverScreen(d.c, sel.ID), whyNoTakeover(sel, d.name(sel.MergedInto))
		})
	case key.Matches(k, km.Audit):
		return opening(newAuditScreen(d.c))
	case key.Matches(k, km.Outbox):
		return opening(newOutboxScreen(d.c))
	case key.Matches(k, km.Services):
		return opening(newServicesScreen(d.c))
	default:
		return nil
	}
	d.scroll()
	return nil
}

// act opens what open builds for the selected directory, or says in the
// status line why that directory has no such screen.
func (d *directoriesScreen) act(open func(ops.DirectorySummary) (screen, string)) tea.Cmd {
	sel, ok := d.selected()
	if !ok {
		return nil
	}
	s, why := open(sel)
	if why != "" {
		return saying(why)
	}
	return opening(s)
}

// setFilter switches tabs, keeping the selected directory when the new
// tab lists it.
func (d *directoriesScreen) setFilter(f filter) {
	sel, ok := d.selected()
	d.filter = f
	d.cursor, d.top = 0, 0
	if p, found := d.pos[f][sel.ID]; ok && found {
		d.cursor = p
		d.top = p - d.rowsHeight()/2
	}
}

// name is a directory's name by id, for "merged into".
func (d *directoriesScreen) name(id string) string {
	if p, ok := d.pos[showAll][id]; ok {
		return d.all[d.views[showAll][p]].Name
	}
	return id
}

func (d *directoriesScreen) selected() (ops.DirectorySummary, bool) {
	v := d.view()
	if d.cursor < 0 || d.cursor >= len(v) {
		return ops.DirectorySummary{}, false
	}
	return d.all[v[d.cursor]], true
}

func (d *directoriesScreen) updateJump(k tea.KeyMsg) tea.Cmd {
	ev, cmd := d.jump.update(k)
	switch ev {
	case jumpCancel:
		d.cursor, d.top, d.wanted, d.landing, d.openOnLand = d.savedCursor, d.savedTop, "", false, false
	case jumpChanged:
		p := d.jump.prefix()
		d.wanted, d.landing = p, p != ""
		if p == "" {
			d.cursor, d.top, d.jump.miss = d.savedCursor, d.savedTop, false
			break
		}
		oc, pos := d.c.Ops, d.pos[d.filter] // a reload makes new maps, never writes these
		return tea.Batch(cmd, func() tea.Msg {
			at, err := find(oc, pos, p)
			return domainJumpMsg{to: d, prefix: p, at: at, err: err}
		})
	}
	d.scroll()
	return cmd
}

// domainJumpMsg is where a prefix jump landed in the tab it was typed
// in: a position, or -1.
type domainJumpMsg struct {
	to     *directoriesScreen
	prefix string
	at     int
	err    error
}

// landed moves to where the jump for the latest prefix typed landed; a
// slower read for an earlier prefix is dropped.
func (d *directoriesScreen) landed(m domainJumpMsg) tea.Cmd {
	if m.prefix != d.wanted || !d.landing {
		return nil
	}
	d.landing = false
	if !d.jump.active() {
		d.wanted = "" // accepted: this was the last landing
	}
	d.err = m.err
	d.jump.miss = m.at < 0 && m.err == nil
	if m.at >= 0 {
		// The match goes to the top of the screen, where the eye is,
		// unless that would leave blank rows below.
		d.cursor, d.top = m.at, m.at
	}
	d.scroll()
	if d.openOnLand {
		d.openOnLand = false
		return d.open()
	}
	return nil
}

// open opens the selected directory; typed right after a jump, once the
// jump has landed.
func (d *directoriesScreen) open() tea.Cmd {
	if d.landing {
		d.openOnLand = true
		return nil
	}
	if sel, ok := d.selected(); ok {
		return opening(newDirectoryScreen(d.c, sel.ID))
	}
	return nil
}

// find returns the position in a tab (pos: its positions by directory
// id) of the first directory holding a domain that starts with prefix,
// or -1. The domain index is read by seeking to the prefix; pages
// continue only past domains whose directory the tab hides.
func find(oc *ops.Session, pos map[string]int, prefix string) (int, error) {
	const page = 32
	from := prefix
	for {
		recs, next, err := oc.DomainsFrom(from, page)
		if err != nil {
			return -1, err
		}
		for _, r := range recs {
			if !strings.HasPrefix(r.Domain, prefix) {
				return -1, nil
			}
			if p, ok := pos[r.Directory]; ok {
				return p, nil
			}
		}
		if next == "" {
			return -1, nil
		}
		from = next
	}
}

// directoryColumns are the list's columns; usersWidth fits the largest
// user count, so a number is never cut. The switches are titled with the
// decision table's abbreviations (AEVU, AAHS) when the terminal is too
// narrow for their names.
func directoryColumns(usersWidth int) []column {
	return []column{
		{title: "DOMAINS", min: 24}, // "contoso.com, litware.com": at 60 columns the services go first
		{title: "STATE", min: 9},
		{title: "USERS", min: max(5, usersWidth), right: true},
		{title: "SERVICES", min: 10, drop: 2}, // "2 services"
		{title: "EMAIL-VERIFIED", short: "AEVU", min: 4, drop: 1},
		{title: "AD-HOC", short: "AAHS", min: 4, drop: 1},
	}
}

// directoryGrowth widens the domains first, then the services; the
// switch titles are spelled out only when both fit.
var directoryGrowth = []growStep{{0, 24}, {3, 16}, {4, 0}, {0, 40}, {3, 40}, {0, 0}}

func (d *directoriesScreen) View() string {
	s := d.c.Styles
	lines := []string{d.tabs()}
	cols := directoryColumns(d.usersWidth)
	w := plan(cols, directoryGrowth, d.c.Width-len(marker))
	lines = append(lines, header(cols, w, s.ColumnHeader))
	v := d.view()
	end := min(len(v), d.top+d.rowsHeight())
	for i := d.top; i < end; i++ {
		lines = append(lines, d.row(d.all[v[i]], cols, w, i == d.cursor))
	}
	// Rows fit by construction; only free text needs clipping.
	note := ""
	switch {
	case !d.loaded && d.err == nil:
		note = "  Loading directories…"
	case d.loaded && len(v) == 0 && d.filter == showAll:
		note = "  No directories yet: the first self-service sign-up creates one."
	case d.loaded && len(v) == 0:
		note = fmt.Sprintf("  No %s directories. Press tab for the others.", d.filter)
	}
	if note != "" {
		lines = append(lines, clip(s.Muted.Render(note), d.c.Width))
	}
	lines[0] = clip(lines[0], d.c.Width)
	return fitHeight(strings.Join(lines, "\n"), d.c.Height-1) + "\n" + clip(d.status(), d.c.Width)
}

func (d *directoriesScreen) row(sum ops.DirectorySummary, cols []column, w []int, selected bool) string {
	s := d.c.Styles
	domains := strings.Join(sum.Domains, ", ")
	if sum.State == model.Retired {
		domains += " → " + d.name(sum.MergedInto)
	}
	sw := sum.Switches
	return row(cols, w, []cell{
		plain(domains),
		styled(string(sum.State), s.State(sum.State)),
		plain(words.Count(sum.Users)),
		list(sum.InUse()),
		styled(words.OnOff(sw.AllowEmailVerifiedUsers), s.Switch(sw.AllowEmailVerifiedUsers)),
		styled(words.OnOff(sw.AllowAdHocSubscriptions), s.Switch(sw.AllowAdHocSubscriptions)),
	}, selected, s.SelectedRow)
}

// tabs shows the three filters; the active one is bracketed so it reads
// without colour.
func (d *directoriesScreen) tabs() string {
	s := d.c.Styles
	parts := make([]string, filterCount)
	for f := range filterCount {
		label := fmt.Sprintf("%s (%s)", f, words.Count(int64(len(d.views[f]))))
		if f == d.filter {
			parts[f] = s.TabActive.Render("[" + label + "]")
		} else {
			parts[f] = s.TabInactive.Render(label)
		}
	}
	return strings.Join(parts, "  ")
}

func (d *directoriesScreen) status() string {
	s := d.c.Styles
	switch {
	case d.jump.active():
		return d.jump.view()
	case d.err != nil:
		return s.Error.Render(fmt.Sprint(d.err))
	case !d.loaded:
		return ""
	}
	all := d.views[showAll]
	retired := len(all) - len(d.views[showUnmanaged]) - len(d.views[showManaged])
	pos := ""
	if len(d.view()) > 0 {
		pos = fmt.Sprintf("%s/%s · ", words.Count(int64(d.cursor+1)), words.Count(int64(len(d.view()))))
	}
	return s.StatusBar.Render(fmt.Sprintf("%s%s unmanaged · %s managed · %s retired · %s users", pos,
		words.Count(int64(len(d.views[showUnmanaged]))), words.Count(int64(len(d.views[showManaged]))),
		words.Count(int64(retired)), words.Count(d.users)))
}

func (d *directoriesScreen) ShortHelp() []key.Binding {
	if d.jump.active() {
		return d.jump.help()
	}
	km := d.c.KeyMap
	return append([]key.Binding{km.Move, km.Open}, append(d.selectedKeys(), km.Jump, km.Filter, km.Audit, km.Outbox, km.Services)...)
}

// selectedKeys are the keys that act on the selected directory and work
// on it: a retired one has no switches, only an unmanaged one can be
// taken over.
func (d *directoriesScreen) selectedKeys() []key.Binding {
	sel, ok := d.selected()
	if !ok {
		return nil
	}
	km := d.c.KeyMap
	var out []key.Binding
	if whyNoTakeover(sel, "") == "" {
		out = append(out, km.Takeover)
	}
	if whyNoSwitches(sel, "") == "" {
		out = append(out, km.Switches)
	}
	return out
}

// helpVariant changes with the keys the selection offers.
func (d *directoriesScreen) helpVariant() int { return keysVariant(d.selectedKeys()) }

// helpNotes spell out the switch columns' abbreviated titles.
func (d *directoriesScreen) helpNotes() []string {
	return []string{
		"AEVU AllowEmailVerifiedUsers: people with an address at a domain may join its directory by mail",
		"AAHS AllowAdHocSubscriptions: members may add services themselves",
	}
}

func (d *directoriesScreen) FullHelp() [][]key.Binding {
	if d.jump.active() {
		return [][]key.Binding{d.jump.help()}
	}
	km := d.c.KeyMap
	return [][]key.Binding{{km.Up, km.Down, km.PageUp, km.PageDown}, append([]key.Binding{km.Home, km.End, km.Jump, km.Open}, d.selectedKeys()...),
		{km.Filter, km.Audit, km.Outbox, km.Services}}
}
