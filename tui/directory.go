package tui

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// directoryScreen is one directory: who owns it, its switches, and its
// users a page at a time (see userWindow).
type directoryScreen struct {
	c    Common
	sum  ops.DirectorySummary
	err  error // the last read that failed, shown instead of hiding it
	win  userWindow
	jump jumpInput
	// saved is the window before a jump, restored when it is cancelled.
	saved userWindow
	// mergedInto names the directory a retired one was merged into.
	mergedInto string
	layout     userLayout
}

// timeLayout shows times in UTC to the minute, as the CLI does.
const timeLayout = "2006-01-02 15:04"

func newDirectoryScreen(c Common, ref string) *directoryScreen {
	d := &directoryScreen{c: c, jump: newJumpInput(c, "address")}
	d.sum, d.err = c.Ops.Summary(ref)
	if d.err == nil {
		d.win = userWindow{st: c.Ops, dir: d.sum.ID, total: d.sum.Users, base: 0}
	}
	if d.sum.MergedInto != "" {
		d.mergedInto = d.sum.MergedInto
		if m, err := c.Ops.Directory(d.sum.MergedInto); err == nil {
			d.mergedInto = m.Name
		}
	}
	return d
}

func (d *directoryScreen) Init() tea.Cmd { return nil }

func (d *directoryScreen) Title() string {
	if d.sum.Name == "" {
		return "?"
	}
	return d.sum.Name
}

func (d *directoryScreen) Capturing() bool { return d.jump.active() }

func (d *directoryScreen) headerLines() []string {
	if d.sum.ID == "" {
		return nil
	}
	s := d.c.Styles
	label := func(l string) string { return s.Label.Render(fmt.Sprintf("%-15s", l)) }
	state := s.State(d.sum.State).Render(string(d.sum.State))
	lines := []string{
		s.Title.Render(d.sum.Name) + "  " + state + s.Muted.Render(fmt.Sprintf("  id %s · created %s", d.sum.ID, d.sum.CreatedAt.UTC().Format("2006-01-02"))),
		label("Domains") + d.domains(),
		label("Global admins") + d.admins(),
		label("Switches") + "email-verified users " + s.Switch(d.sum.Switches.AllowEmailVerifiedUsers).Render(words.OnOff(d.sum.Switches.AllowEmailVerifiedUsers)) +
			s.Muted.Render(" · ") + "ad-hoc subscriptions " + s.Switch(d.sum.Switches.AllowAdHocSubscriptions).Render(words.OnOff(d.sum.Switches.AllowAdHocSubscriptions)),
		label("Services") + d.services(),
	}
	switch {
	case d.sum.State == model.Retired:
		lines = append(lines, s.Muted.Render(fmt.Sprintf("Merged into %s by an external takeover; read-only until %s.", d.mergedInto,
			d.sum.RetiredAt.Add(model.RetentionAfterMerge).UTC().Format("2006-01-02"))))
	case d.sum.Job != "":
		lines = append(lines, s.Unverified.Render("A takeover is moving users ("+d.sum.Job+"); sign-ups wait until it is done."))
	}
	return lines
}

func (d *directoryScreen) domains() string {
	s := d.c.Styles
	if len(d.sum.DomainRecords) == 0 && d.mergedInto != "" {
		return s.Muted.Render(strings.Join(d.sum.Domains, ", ") + " (moved to " + d.mergedInto + ")")
	}
	if len(d.sum.DomainRecords) == 0 {
		return s.Muted.Render(strings.Join(d.sum.Domains, ", ") + " (held by another directory now)")
	}
	parts := make([]string, 0, len(d.sum.DomainRecords))
	for _, r := range d.sum.DomainRecords {
		switch {
		case r.Flagged:
			parts = append(parts, r.Domain+" "+s.Flagged.Render("(verified, FLAGGED: "+r.FlagReason+")"))
		case r.Verified:
			parts = append(parts, r.Domain+" "+s.Verified.Render("(verified)"))
		default:
			parts = append(parts, r.Domain+" "+s.Unverified.Render("(not verified)"))
		}
	}
	return strings.Join(parts, ", ")
}

func (d *directoryScreen) admins() string {
	if len(d.sum.GlobalAdmins) > 0 {
		return strings.Join(d.sum.GlobalAdmins, ", ")
	}
	if d.sum.State == model.Unmanaged {
		// The seed's point: nobody administers an unmanaged directory
		// until someone proves the domain.
		return d.c.Styles.Muted.Render("none (unmanaged: no admin until a domain takeover)")
	}
	return d.c.Styles.Muted.Render("none")
}

func (d *directoryScreen) services() string {
	names := make([]string, 0, len(d.sum.Grants))
	for n, c := range d.sum.Grants {
		if c > 0 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return d.c.Styles.Muted.Render("none")
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = fmt.Sprintf("%s: %s", n, words.Plural(d.sum.Grants[n], "user", "users"))
	}
	return strings.Join(names, d.c.Styles.Muted.Render(" · "))
}

var userColumns = []column{
	{title: "ADDRESS", min: 20},
	{title: "CREATION METHOD", min: 16},
	{title: "KIND", min: 6},
	{title: "SERVICES", min: 10, drop: 1}, // "2 services"
	{title: "CREATED (UTC)", min: 10},
}

// userGrowth widens the address first: it is what an admin reads.
var userGrowth = []growStep{{0, 40}, {3, 16}, {4, 16}, {3, 30}, {0, 0}}

// SetSize gives the user list whatever the header leaves.
func (d *directoryScreen) SetSize(width, height int) {
	d.c.SetSize(width, height)
	if d.sum.ID == "" {
		return
	}
	d.relayout()
	// The header (with the column titles) and the status line.
	if err := d.win.setHeight(height - len(d.layout.header) - 1); err != nil {
		d.err = err
	}
}

func (d *directoryScreen) Update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(switchesSavedMsg); ok && m.dir.ID == d.sum.ID && d.sum.ID != "" {
		d.reload()
		return nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok || d.sum.ID == "" {
		return nil
	}
	if d.jump.active() {
		return d.updateJump(k)
	}
	km := d.c.KeyMap
	var err error
	switch {
	case key.Matches(k, km.Down):
		err = d.win.move(1, false)
	case key.Matches(k, km.Up):
		err = d.win.move(-1, false)
	case key.Matches(k, km.PageDown):
		err = d.win.move(d.win.height, true)
	case key.Matches(k, km.PageUp):
		err = d.win.move(-d.win.height, true)
	case key.Matches(k, km.Home):
		err = d.win.first()
	case key.Matches(k, km.End):
		err = d.win.last()
	case key.Matches(k, km.Switches):
		id := d.sum.ID
		return func() tea.Msg { return openSwitchesMsg{id: id} }
	case key.Matches(k, km.Takeover):
		if why := d.whyNoTakeover(); why != "" {
			err = errors.New(why)
			break
		}
		id := d.sum.ID
		return func() tea.Msg { return openTakeoverMsg{id: id} }
	case key.Matches(k, km.Open):
		if d.win.cursor < len(d.win.rows) {
			id, email := d.sum.ID, d.win.rows[d.win.cursor].Email
			return func() tea.Msg { return openUserMsg{dir: id, email: email} }
		}
		return nil
	case key.Matches(k, km.Jump):
		// The window's rows are never written in place (pages are
		// appended to new arrays or re-sliced), so a plain copy keeps it.
		d.saved = d.win
		d.jump.open()
	default:
		return nil
	}
	d.err = err
	return nil
}

// reload re-reads the header (switches, counts) after a change made on
// another screen; the user window stays where it was.
func (d *directoryScreen) reload() {
	sum, err := d.c.Ops.Summary(d.sum.ID)
	if err != nil {
		d.err = err
		return
	}
	d.sum = sum
	if d.c.Width > 0 {
		d.relayout()
	}
}

func (d *directoryScreen) updateJump(k tea.KeyMsg) tea.Cmd {
	ev, cmd := d.jump.update(k)
	switch ev {
	case jumpCancel:
		d.win = d.saved
	case jumpChanged:
		p := d.jump.prefix()
		if p == "" {
			d.win, d.jump.miss = d.saved, false
			break
		}
		found, err := d.win.jump(p)
		d.jump.miss, d.err = !found && err == nil, err
	}
	return cmd
}

// layout is what depends on the width alone, worked out once per resize
// rather than once per key.
type userLayout struct {
	header  []string // the directory's header, clipped, and column titles
	cols    []column
	widths  []int
	created string // time layout of the CREATED column
}

func (d *directoryScreen) relayout() {
	s := d.c.Styles
	l := userLayout{cols: userColumns, created: timeLayout}
	l.widths = plan(userColumns, userGrowth, d.c.Width-len(marker))
	if l.widths[4] < len(timeLayout) {
		// Too narrow for the time: the date alone, still in UTC.
		l.cols = slices.Clone(userColumns)
		l.cols[4].title, l.created = "CREATED", "2006-01-02"
	}
	for _, h := range d.headerLines() {
		l.header = append(l.header, clip(h, d.c.Width))
	}
	l.header = append(l.header, "", header(l.cols, l.widths, s.ColumnHeader))
	d.layout = l
}

func (d *directoryScreen) View() string {
	if d.sum.ID == "" {
		return clip(d.c.Styles.Error.Render(fmt.Sprintf("Cannot open this directory: %v", d.err)), d.c.Width)
	}
	s, l := d.c.Styles, &d.layout
	var b strings.Builder
	for _, h := range l.header {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	for i, u := range d.win.visible() {
		selected := d.win.top+i == d.win.cursor
		b.WriteString(row(l.cols, l.widths, []cell{
			plain(u.Email), plain(string(u.CreationMethod)), plain(string(u.Kind)),
			list(u.Grants), plain(u.CreatedAt.UTC().Format(l.created)),
		}, selected, s.SelectedRow))
		b.WriteByte('\n')
	}
	switch {
	case len(d.win.rows) > 0:
	case d.mergedInto != "":
		b.WriteString(clip(s.Muted.Render("  No users left: they moved to "+d.mergedInto+"."), d.c.Width))
	default:
		b.WriteString(s.Muted.Render("  No users yet."))
	}
	body := fitHeight(strings.TrimSuffix(b.String(), "\n"), d.c.Height-1)
	return body + "\n" + clip(d.status(), d.c.Width)
}

func (d *directoryScreen) status() string {
	s := d.c.Styles
	if d.jump.active() {
		return d.jump.view()
	}
	if d.err != nil {
		return s.Error.Render(fmt.Sprint(d.err))
	}
	total := words.Plural(d.win.total, "user", "users")
	if p := d.win.position(); p > 0 {
		return s.StatusBar.Render(fmt.Sprintf("user %s of %s · in address order", words.Count(p), total))
	}
	return s.StatusBar.Render(total + " · in address order")
}

func (d *directoryScreen) ShortHelp() []key.Binding {
	if d.jump.active() {
		return d.jump.help()
	}
	km := d.c.KeyMap
	if d.whyNoTakeover() != "" {
		// t still answers, saying why not; the help offers what works.
		return []key.Binding{km.Move, km.Open, km.Switches, km.Jump, km.End, km.Back}
	}
	return []key.Binding{km.Move, km.Open, km.Takeover, km.Switches, km.Jump, km.End, km.Back}
}

func (d *directoryScreen) FullHelp() [][]key.Binding {
	if d.jump.active() {
		return [][]key.Binding{d.jump.help()}
	}
	km := d.c.KeyMap
	return [][]key.Binding{{km.Up, km.Down, km.PageUp, km.PageDown}, {km.Home, km.End, km.Jump}, {km.Open, km.Switches, km.Takeover}}
}

// whyNoTakeover says why t cannot open the takeover wizard here, or "".
func (d *directoryScreen) whyNoTakeover() string {
	switch {
	case d.sum.State == model.Managed:
		return d.sum.Name + " is managed: its domains are verified already, so there is nothing to take over."
	case d.sum.State == model.Retired:
		return d.sum.Name + " is retired (merged into " + d.mergedInto + "): its domain moved there."
	case d.sum.Job != "":
		return "A takeover of " + d.sum.Name + " is running (" + d.sum.Job + "); wait for it to finish."
	case len(d.sum.DomainRecords) == 0:
		return d.sum.Name + " holds no domain of its own any more: nothing to take over."
	}
	return ""
}
