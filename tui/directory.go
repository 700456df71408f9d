package tui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// directoryScreen is one directory: who owns it, its switches, and its
// users a page at a time (see userWindow).
type directoryScreen struct {
	// rankCancel ends the count of the last jump's place.
	rankCancel context.CancelFunc
	c          Common
	ref        string // what it was opened with, its title until it is read
	sum        ops.DirectorySummary
	err        error // the last read that failed, shown instead of hiding it
	win        userWindow
	// height is the user list's, known before the first page is read.
	height int
	jump   jumpInput
	// saved is the window before a jump, restored when it is cancelled.
	saved userWindow
	// seq numbers the window reads asked for (see readWindow); landing
	// is true until the latest lands, and enter meanwhile opens the user
	// it lands on.
	seq        int
	landing    bool
	openOnLand bool
	// mergedInto names the directory a retired one was merged into.
	mergedInto string
	layout     userLayout
}

// timeLayout shows times in UTC to the minute, as the CLI does.
const timeLayout = "2006-01-02 15:04"

// firstPage is how many users the first read brings: a tall screen's
// worth, so the window rarely reads again as the first frame is sized.
const firstPage = 64

// newDirectoryScreen shows the directory ref names (an id or a domain);
// it reads nothing until its Init runs.
func newDirectoryScreen(c Common, ref string) *directoryScreen {
	return &directoryScreen{c: c, ref: ref, jump: newJumpInput(c, "address")}
}

// directoryReadMsg is what the screen to asked for: the directory's
// header and, on its first read, its first page of users.
type directoryReadMsg struct {
	to         *directoryScreen
	sum        ops.DirectorySummary
	mergedInto string
	win        *userWindow
	err        error
}

func (d *directoryScreen) Init() tea.Cmd { return d.read(true) }

// read reads the directory's header, and its first users when first.
func (d *directoryScreen) read(first bool) tea.Cmd {
	c, ref := d.c, d.ref
	if d.sum.ID != "" {
		ref = d.sum.ID
	}
	return func() tea.Msg {
		m := directoryReadMsg{to: d}
		if m.sum, m.err = c.Ops.Summary(ref); m.err != nil {
			return m
		}
		if m.mergedInto = m.sum.MergedInto; m.mergedInto != "" {
			if into, err := c.Ops.Directory(m.sum.MergedInto); err == nil {
				m.mergedInto = into.Name
			}
		}
		if first {
			w := userWindow{st: c.Ops, dir: m.sum.ID, total: m.sum.Users, height: firstPage}
			m.err, m.win = w.first(), &w
		}
		return m
	}
}

func (d *directoryScreen) Title() string {
	if d.sum.Name == "" {
		return d.ref
	}
	return d.sum.Name
}

func (d *directoryScreen) Capturing() bool { return d.jump.active() }

func (d *directoryScreen) headerLines() []string {
	if d.sum.ID == "" {
		return nil
	}
	s := d.c.Styles
	// A field's value wraps under itself: at 60 columns nothing is cut.
	field := func(label, value string) string {
		const indent = 15
		v := strings.ReplaceAll(wrapLines(value, max(20, d.c.Width-indent)), "\n", "\n"+strings.Repeat(" ", indent))
		return s.Label.Render(fmt.Sprintf("%-*s", indent, label)) + v
	}
	// Narrower than the long wording, the short one, to keep rows.
	narrow := d.c.Width < 70
	sw := d.sum.Switches
	ev, ah := "email-verified users ", "ad-hoc subscriptions "
	if narrow {
		ev, ah = "email-verified ", "ad-hoc "
	}
	switches := ev + s.Switch(sw.AllowEmailVerifiedUsers).Render(words.OnOff(sw.AllowEmailVerifiedUsers)) +
		s.Muted.Render(" · ") + ah + s.Switch(sw.AllowAdHocSubscriptions).Render(words.OnOff(sw.AllowAdHocSubscriptions))
	title := s.Title.Render(d.sum.Name) + "  " + s.State(d.sum.State).Render(string(d.sum.State))
	facts := s.Muted.Render(fmt.Sprintf("id %s · created %s", d.sum.ID, d.sum.CreatedAt.UTC().Format("2006-01-02")))
	if lipgloss.Width(title+"  "+facts) <= d.c.Width {
		title += "  " + facts
	} else {
		title = wrapLines(title, d.c.Width) + "\n" + facts
	}
	admins := d.admins()
	if narrow && len(d.sum.GlobalAdmins) == 0 && d.sum.State == model.Unmanaged {
		admins = s.Muted.Render("none until a domain takeover")
	}
	lines := []string{
		title,
		field("Domains", d.domains()),
		field("Global admins", admins),
		field("Switches", switches),
		field("Services", d.services()),
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

// userColumns are as wide as their values (the creation method is
// "EmailVerified" or "Invitation"; its title shortens to fit), so what
// room there is goes to the address.
// At 60 columns the method goes first, then the services, so that an
// address such as chloe.adams@bellowscollege.com still shows whole.
var userColumns = []column{
	{title: "ADDRESS", min: 28},
	{title: "CREATION METHOD", short: "METHOD", min: len(model.EmailVerified), drop: 2},
	{title: "KIND", min: len(model.Member)},
	{title: "SERVICES", min: 10, drop: 1}, // "2 services"
	{title: "CREATED (UTC)", min: 10},
}

// userGrowth widens the address first: it is what an admin reads.
var userGrowth = []growStep{{0, 40}, {3, 16}, {4, 16}, {1, 0}, {3, 30}, {0, 0}}

// SetSize gives the user list whatever the header leaves.
func (d *directoryScreen) SetSize(width, height int) {
	d.c.SetSize(width, height)
	if d.sum.ID == "" {
		return
	}
	d.relayout()
	// The header (with the column titles) and the status line.
	d.height = height - len(d.layout.header) - 1
	if d.win.rows == nil {
		return // the first page is still being read
	}
	if err := d.win.setHeight(d.height); err != nil {
		d.err = err
	}
}

func (d *directoryScreen) Update(msg tea.Msg) tea.Cmd {
	switch m := msg.(type) {
	case directoryReadMsg:
		if m.to != d {
			return nil
		}
		d.loaded(m)
		if m.win != nil {
			return d.win.readAhead()
		}
		return nil
	case rankMsg:
		if m.to == d {
			d.placed(m)
		}
		return nil
	case windowReadMsg:
		if m.to == d {
			return d.landed(m)
		}
		return nil
	case aheadMsg:
		if err := d.win.apply(m); err != nil {
			d.err = err
		}
		return d.win.readAhead()
	case refreshMsg:
		if err := d.win.applyRefresh(m); err != nil {
			d.err = err
		}
		return d.win.readAhead()
	case switchesSavedMsg:
		if m.dir.ID == d.sum.ID && d.sum.ID != "" {
			return d.read(false)
		}
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
		return d.readWindow(d.win, func(w *userWindow) (bool, error) { return true, w.first() })
	case key.Matches(k, km.End):
		return d.readWindow(d.win, func(w *userWindow) (bool, error) { return true, w.last() })
	case key.Matches(k, km.Switches):
		if why := whyNoSwitches(d.sum, d.mergedInto); why != "" {
			return saying(why)
		}
		return opening(newSwitchesScreen(d.c, d.sum.ID))
	case key.Matches(k, km.Takeover):
		if why := whyNoTakeover(d.sum, d.mergedInto); why != "" {
			return saying(why)
		}
		return opening(newTakeoverScreen(d.c, d.sum.ID))
	case key.Matches(k, km.Open):
		return d.openUser()
	case key.Matches(k, km.Jump):
		// The window's rows are never written in place (pages are
		// appended to new arrays or re-sliced), so a plain copy keeps it.
		d.saved = d.win
		d.jump.open()
	default:
		return nil
	}
	d.err = err
	// The pages beside the screen, read while the user looks at it.
	return d.win.readAhead()
}

// loaded shows what read found; a re-read (after a change made on
// another screen) leaves the user window where it was.
func (d *directoryScreen) loaded(m directoryReadMsg) {
	d.err = m.err
	if m.err != nil && d.sum.ID == "" {
		return
	}
	d.sum, d.mergedInto = m.sum, m.mergedInto
	if m.win != nil {
		d.win = *m.win
	}
	if d.c.Width > 0 {
		d.SetSize(d.c.Width, d.c.Height)
	}
}

func (d *directoryScreen) updateJump(k tea.KeyMsg) tea.Cmd {
	ev, cmd := d.jump.update(k)
	switch ev {
	case jumpCancel:
		d.win = d.saved
		d.seq++ // a jump still being read lands nowhere
		d.landing, d.openOnLand = false, false
	case jumpChanged:
		p := d.jump.prefix()
		if p == "" {
			d.win, d.jump.miss = d.saved, false
			d.seq++
			d.landing, d.openOnLand = false, false
			break
		}
		return tea.Batch(cmd, d.readWindow(d.saved, func(w *userWindow) (bool, error) { return w.jump(p) }))
	}
	return cmd
}

// readWindow reads, in a command, what move does to a copy of w (whose
// rows are never written in place). Only the latest read asked for
// lands: a slower one for an earlier key is dropped.
func (d *directoryScreen) readWindow(w userWindow, move func(*userWindow) (bool, error)) tea.Cmd {
	d.seq++
	seq := d.seq
	d.landing = true
	return func() tea.Msg {
		found, err := move(&w)
		return windowReadMsg{to: d, seq: seq, win: w, found: found, err: err}
	}
}

// windowReadMsg is the window a read moved (first, last, a jump); found
// is false when a jump found no address with its prefix.
type windowReadMsg struct {
	to    *directoryScreen
	seq   int
	win   userWindow
	found bool
	err   error
}

// landed shows the window the latest read moved, and for a jump asks
// where it landed in the whole directory.
func (d *directoryScreen) landed(m windowReadMsg) tea.Cmd {
	if m.seq != d.seq {
		return nil
	}
	d.landing = false
	d.jump.miss = d.jump.active() && !m.found && m.err == nil
	if d.err = m.err; m.err != nil || !m.found {
		// Nowhere to go: enter opens what the cursor is on.
		return d.openLanded()
	}
	d.win = m.win
	if err := d.win.setHeight(d.height); err != nil {
		d.err = err
	}
	var rank tea.Cmd
	if d.win.base < 0 {
		rank = d.rank()
	}
	return tea.Batch(rank, d.win.readAhead(), d.openLanded())
}

// openLanded opens the user a jump landed on if enter was typed before
// it landed.
func (d *directoryScreen) openLanded() tea.Cmd {
	if !d.openOnLand || d.err != nil {
		d.openOnLand = false
		return nil
	}
	d.openOnLand = false
	return d.openUser()
}

// openUser opens the user under the cursor; typed right after a jump,
// once the jump has landed.
func (d *directoryScreen) openUser() tea.Cmd {
	if d.landing {
		d.openOnLand = true
		return nil
	}
	if d.win.cursor < len(d.win.rows) {
		return opening(newUserScreen(d.c, d.sum.ID, d.win.rows[d.win.cursor].Email))
	}
	return nil
}

// rankMsg says how many users sort before the one whose address key is
// key: where a jump landed in the whole directory.
type rankMsg struct {
	to   *directoryScreen
	key  string
	rank int64
	err  error
}

// rankPause is how long typing must rest before a jump's place is
// counted: the count walks every key before the landing (a million on
// the largest directory), and a count per typed character took the CPU
// the next keystrokes needed (issue 11 point 16).
const rankPause = 300 * time.Millisecond

// rank counts, in the background, the users before the first row of a
// window a jump put down, which knows its rows but not their place. It
// starts once typing rests, and a later jump cancels it.
func (d *directoryScreen) rank() tea.Cmd {
	if d.rankCancel != nil {
		d.rankCancel()
	}
	if len(d.win.rows) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(d.c.Context())
	d.rankCancel = cancel
	oc, id, k := d.c.Ops, d.sum.ID, addressKey(d.win.rows[0])
	return func() tea.Msg {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(rankPause):
		}
		n, err := oc.UserRank(ctx, id, k)
		if ctx.Err() != nil {
			return nil // a later jump counts instead
		}
		return rankMsg{to: d, key: k, rank: n, err: err}
	}
}

// placed gives the window its place in the directory, if it still holds
// the row counted (it may have moved on since).
func (d *directoryScreen) placed(m rankMsg) {
	if m.err != nil {
		d.err = m.err
		return
	}
	for i := range d.win.rows {
		if d.win.base < 0 && addressKey(d.win.rows[i]) == m.key {
			d.win.base = m.rank - int64(i)
		}
	}
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
		l.header = append(l.header, strings.Split(wrapLines(h, d.c.Width), "\n")...)
	}
	l.header = append(l.header, "", header(l.cols, l.widths, s.ColumnHeader))
	d.layout = l
}

func (d *directoryScreen) View() string {
	switch {
	case d.sum.ID == "" && d.err != nil:
		return clip(d.c.Styles.Error.Render(fmt.Sprintf("Cannot open %s: %v", d.ref, d.err)), d.c.Width)
	case d.sum.ID == "" || d.win.rows == nil:
		return clip(d.c.Styles.Muted.Render("  Reading "+d.Title()+"…"), d.c.Width)
	}
	s, l := d.c.Styles, &d.layout
	// One string for the screen, sized once (twice the cells leaves room
	// for colour): grown row by row it made garbage on every key, which
	// brings the collector's pauses into keystrokes (issue 11 point 16).
	var b strings.Builder
	b.Grow(2 * d.c.Width * d.c.Height)
	for _, h := range l.header {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	for i, u := range d.win.visible() {
		selected := d.win.top+i == d.win.cursor
		rowTo(&b, l.cols, l.widths, []cell{
			plain(u.Email), plain(string(u.CreationMethod)), plain(string(u.Kind)),
			list(u.Grants), plain(u.CreatedAt.UTC().Format(l.created)),
		}, selected, s.SelectedRow)
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
	return append(append([]key.Binding{km.Move, km.Open}, d.keys()...), km.Jump, km.End, km.Back)
}

func (d *directoryScreen) FullHelp() [][]key.Binding {
	if d.jump.active() {
		return [][]key.Binding{d.jump.help()}
	}
	km := d.c.KeyMap
	return [][]key.Binding{{km.Up, km.Down, km.PageUp, km.PageDown}, {km.Home, km.End, km.Jump}, append([]key.Binding{km.Open}, d.keys()...)}
}

// keys are t and s where they work here. They still answer where they
// do not, saying why; the help offers only what works.
func (d *directoryScreen) keys() []key.Binding {
	km := d.c.KeyMap
	var out []key.Binding
	if d.sum.ID == "" {
		return nil
	}
	if whyNoTakeover(d.sum, d.mergedInto) == "" {
		out = append(out, km.Takeover)
	}
	if whyNoSwitches(d.sum, d.mergedInto) == "" {
		out = append(out, km.Switches)
	}
	return out
}

// helpVariant changes with the keys offered, which the read decides.
func (d *directoryScreen) helpVariant() int {
	return keysVariant(d.keys())<<1 | boolInt(d.sum.ID != "")
}

// keysVariant numbers a set of t and s.
func keysVariant(keys []key.Binding) int {
	v := 0
	for _, k := range keys {
		v = v<<1 | 1
		if k.Help().Key == "t" {
			v |= 1 << 3
		}
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// whyNoTakeover says why t cannot open the takeover wizard on sum, or "";
// mergedInto names the directory a retired one went into.
func whyNoTakeover(sum ops.DirectorySummary, mergedInto string) string {
	switch {
	case sum.State == model.Managed:
		return sum.Name + " is managed: its domains are verified already, so there is nothing to take over."
	case sum.State == model.Retired:
		return sum.Name + " is retired (merged into " + mergedInto + "): its domain moved there."
	case sum.Job != "":
		return "A takeover of " + sum.Name + " is running (" + sum.Job + "); wait for it to finish."
	case len(sum.DomainRecords) == 0:
		return sum.Name + " holds no domain of its own any more: nothing to take over."
	}
	return ""
}

// whyNoSwitches says why s cannot open sum's switches, or "": a retired
// directory takes no sign-ups, so its switches decide nothing.
func whyNoSwitches(sum ops.DirectorySummary, mergedInto string) string {
	if sum.State == model.Retired {
		return sum.Name + " is retired (merged into " + mergedInto + "): its switches decide nothing, change those of " + mergedInto + "."
	}
	return ""
}
