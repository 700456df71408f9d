package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// switchesSavedMsg says a directory's switches were written: the root
// closes the switches screen, and every screen showing them reloads.
type switchesSavedMsg struct{ dir model.Directory }

// switchesReadMsg is the read (or the refused save) the screen to asked
// for.
type switchesReadMsg struct {
	to    *switchesScreen
	sum   ops.DirectorySummary
	err   error
	saved bool // err is a refused save, not a failed read
}

// switchesScreen edits a directory's two switches and previews, row by
// row, what the decision table does now and would do once saved. Every
// cell comes from model.Decide, so the preview cannot disagree with what
// sign-up and invitations do.
type switchesScreen struct {
	c        Common
	ref      string
	named    bool // the title names the directory: no crumb below does
	sum      ops.DirectorySummary
	proposed model.Switches
	focus    int // 0: AllowEmailVerifiedUsers, 1: AllowAdHocSubscriptions
	confirm  bool
	saving   bool
	err      error // a failed read or a refused save
	// off is the first body line shown when the body is taller than
	// the screen (60x16).
	off int
}

// newSwitchesScreen shows the switches of the directory ref names; it
// reads nothing until its Init runs.
func newSwitchesScreen(c Common, ref string) *switchesScreen { return &switchesScreen{c: c, ref: ref} }

// newNamedSwitchesScreen is opened from the directory list, so its
// crumb names the directory.
func newNamedSwitchesScreen(c Common, ref string) *switchesScreen {
	s := newSwitchesScreen(c, ref)
	s.named = true
	return s
}

func (s *switchesScreen) Init() tea.Cmd {
	c, ref := s.c, s.ref
	return func() tea.Msg {
		sum, err := c.Ops.Summary(ref)
		return switchesReadMsg{to: s, sum: sum, err: err}
	}
}

func (s *switchesScreen) Title() string {
	if s.named && s.sum.Name != "" {
		return "Switches of " + s.sum.Name
	}
	return "Switches"
}

// Capturing while the save question is open: esc and q answer it rather
// than leave the screen or quit.
func (s *switchesScreen) Capturing() bool { return s.confirm }

func (s *switchesScreen) SetSize(width, height int) { s.c.SetSize(width, height) }

func (s *switchesScreen) changed() bool { return s.sum.ID != "" && s.proposed != s.sum.Switches }

// unsavedChanges names what leaving would lose.
func (s *switchesScreen) unsavedChanges() string {
	if !s.changed() {
		return ""
	}
	return "the unsaved switch changes of " + s.sum.Name
}

func (s *switchesScreen) Update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(switchesReadMsg); ok && m.to == s {
		s.saving, s.err = false, m.err
		if !m.saved && m.err == nil {
			// A read after someone else's change moves the "now"
			// column; a switch toggled here and not saved stays
			// toggled, the other follows theirs, so a save never
			// undoes what they changed.
			old, now := s.sum.Switches, m.sum.Switches
			if s.sum.ID != "" && s.proposed.AllowEmailVerifiedUsers != old.AllowEmailVerifiedUsers {
				now.AllowEmailVerifiedUsers = s.proposed.AllowEmailVerifiedUsers
			}
			if s.sum.ID != "" && s.proposed.AllowAdHocSubscriptions != old.AllowAdHocSubscriptions {
				now.AllowAdHocSubscriptions = s.proposed.AllowAdHocSubscriptions
			}
			s.sum, s.proposed = m.sum, now
		}
		return nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok || s.sum.ID == "" || s.saving {
		return nil
	}
	km := s.c.KeyMap
	if s.confirm {
		switch {
		case key.Matches(k, km.Yes):
			s.confirm = false
			return s.save()
		case key.Matches(k, km.No):
			s.confirm = false
		}
		return nil
	}
	switch {
	case key.Matches(k, km.Up):
		s.focus = 0
	case key.Matches(k, km.Down):
		s.focus = 1
	case key.Matches(k, km.Toggle):
		if s.focus == 0 {
			s.proposed.AllowEmailVerifiedUsers = !s.proposed.AllowEmailVerifiedUsers
		} else {
			s.proposed.AllowAdHocSubscriptions = !s.proposed.AllowAdHocSubscriptions
		}
		s.err = nil
	case key.Matches(k, km.Save):
		if s.changed() {
			s.confirm, s.err = true, nil
		}
	case key.Matches(k, km.PageDown):
		s.off += s.c.Height / 2
	case key.Matches(k, km.PageUp):
		s.off = max(0, s.off-s.c.Height/2)
	}
	return nil
}

// save writes the proposed switches. A refusal (a retired directory) stays
// on screen as an error line; the proposal is kept so nothing is lost.
func (s *switchesScreen) save() tea.Cmd {
	s.saving = true
	c, id, want := s.c, s.sum.ID, s.proposed
	return func() tea.Msg {
		d, err := c.Ops.SetSwitches(id, want)
		if err != nil {
			return switchesReadMsg{to: s, err: refusal(c, id, err), saved: true}
		}
		return switchesSavedMsg{dir: d}
	}
}

// refusal words a refused save for the console: a directory merged away
// since the screen opened is named as such, by its state, not by the
// store's message.
func refusal(c Common, id string, err error) error {
	sum, rerr := c.Ops.Summary(id)
	if rerr != nil || sum.State != model.Retired {
		return err
	}
	into := sum.MergedInto
	if d, err := c.Ops.Directory(into); err == nil {
		into = d.Name
	}
	return errors.New(whyNoSwitches(sum, into))
}

func (s *switchesScreen) View() string {
	st := s.c.Styles
	switch {
	case s.sum.ID == "" && s.err != nil:
		return clip(st.Error.Render(fmt.Sprintf("Cannot open the switches of %s: %v", s.ref, s.err)), s.c.Width)
	case s.sum.ID == "":
		return clip(st.Muted.Render("  Reading the switches of "+s.ref+"…"), s.c.Width)
	}
	lines := s.body()
	// A refusal can be long: wrapped, never cut, at the cost of body
	// lines; a body taller than the rest scrolls with pgdn/pgup.
	status := s.status()
	avail := max(1, s.c.Height-lipgloss.Height(wrapLines(status, s.c.Width)))
	if len(lines) > avail {
		// Too tall: the blank lines go first, then the rest scrolls.
		lines = slices.DeleteFunc(lines, func(l string) bool { return l == "" })
	}
	if len(lines) > avail {
		status += st.StatusBar.Render(" · pgdn/pgup more")
		avail = max(1, s.c.Height-lipgloss.Height(wrapLines(status, s.c.Width)))
	}
	off := max(0, min(s.off, len(lines)-avail))
	body := fitHeight(strings.Join(lines[off:], "\n"), avail)
	return body + "\n" + wrapLines(status, s.c.Width)
}

// body is every line of the screen above the status line.
func (s *switchesScreen) body() []string {
	st := s.c.Styles
	var lines []string
	add := func(l ...string) {
		for _, x := range l {
			lines = append(lines, clip(x, s.c.Width))
		}
	}
	state := st.State(s.sum.State).Render(string(s.sum.State))
	add(st.Title.Render("Switches of "+s.sum.Name)+"  "+state+st.Muted.Render(" · "+words.Plural(s.sum.Users, "user", "users")), "")

	// The switches: what they are now, what they would be.
	cur, pro := s.sum.Switches, s.proposed
	add(st.ColumnHeader.Render(fmt.Sprintf("  %-26s  %-5s  %s", "SWITCH", "NOW", "IF SAVED")))
	sw := []struct {
		name     string
		now, new bool
	}{
		{"AllowEmailVerifiedUsers", cur.AllowEmailVerifiedUsers, pro.AllowEmailVerifiedUsers},
		{"AllowAdHocSubscriptions", cur.AllowAdHocSubscriptions, pro.AllowAdHocSubscriptions},
	}
	for i, x := range sw {
		m := "  "
		if i == s.focus {
			m = marker
		}
		box := "[ ]"
		if x.new {
			box = "[x]"
		}
		l := m + fmt.Sprintf("%-26s  ", x.name) + st.Switch(x.now).Render(fmt.Sprintf("%-5s", words.OnOff(x.now))) + "  " +
			changeMark(x.now != x.new) + box + " " + st.Switch(x.new).Render(words.OnOff(x.new))
		if i == s.focus {
			l = st.SelectedRow.Render(l)
		}
		add(l)
	}
	add("")
	add(s.decisionTable()...)
	add("")

	add(st.ColumnHeader.Render("EFFECT ON EXISTING USERS (" + words.Count(s.sum.Users) + ")"))
	for _, e := range s.effects() {
		for _, l := range strings.Split(ansi.Wordwrap(e, max(20, s.c.Width-4), ""), "\n") {
			add("  " + l)
		}
	}
	add("")
	add(strings.Split(wrapLines(st.Muted.Render("* changes when saved · the same table sign-up, invitations and the CLI use"), s.c.Width), "\n")...)
	return lines
}

// decisionTable is the decision table under both settings, every cell
// from Decide. Narrower than its names and outcomes, its cells wrap at
// their hyphens rather than lose their ends.
func (s *switchesScreen) decisionTable() []string {
	st := s.c.Styles
	// The widest scenario and outcome, and the line around them:
	// marker, two gaps and the change mark.
	const scenW, outW, frame = 26, 22, 8
	sw, nw := scenW, outW
	if avail := s.c.Width - frame; avail < scenW+2*outW {
		// Room first for the outcomes but the longest, which wraps
		// ("member-and-guest" is the longest after it), then the names.
		nw = len(model.MemberAndGuest)
		sw = min(scenW, avail-2*nw)
	}
	cells := func(text string, width int) []string { return strings.Split(ansi.Wrap(text, width, ""), "\n") }
	pad := func(text string, width int) string {
		return text + strings.Repeat(" ", max(0, width-ansi.StringWidth(text)))
	}
	out := []string{st.ColumnHeader.Render("  " + pad("DECISION TABLE", sw) + "  " + pad("NOW", nw) + "  " + "IF SAVED")}
	cur, pro := s.sum.Switches, s.proposed
	for _, sc := range model.Scenarios {
		now, next := model.Decide(sc, cur), model.Decide(sc, pro)
		name, a, b := cells(string(sc), sw), cells(string(now), nw), cells(string(next), max(1, s.c.Width-frame-sw-nw))
		for i := range max(len(name), len(a), len(b)) {
			mark := "  "
			if i == 0 {
				mark = changeMark(now != next)
			}
			out = append(out, "  "+pad(at(name, i), sw)+"  "+s.outcome(now, pad(at(a, i), nw))+"  "+mark+s.outcome(next, at(b, i)))
		}
	}
	return out
}

// at is lines[i], or "" past the end.
func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// changeMark marks a cell that saving would change, readable without
// colour.
func changeMark(changed bool) string {
	if changed {
		return "* "
	}
	return "  "
}

// outcome styles text, part of o's cell: a blocked outcome reads red.
func (s *switchesScreen) outcome(o model.Outcome, text string) string {
	if o.Blocked() {
		return s.c.Styles.Off.Render(text)
	}
	return text
}

// effects says what a change does to the people already in the
// directory, which the table (about new requests) does not show.
func (s *switchesScreen) effects() []string {
	cur, pro, n := s.sum.Switches, s.proposed, s.sum.Users
	users := words.Plural(n, "existing user", "existing users")
	if n == 0 {
		return []string{"None: there are no users yet."}
	}
	var out []string
	switch {
	case cur.AllowEmailVerifiedUsers && !pro.AllowEmailVerifiedUsers:
		e := fmt.Sprintf("AllowEmailVerifiedUsers off blocks new users only: the %s keep their access", users)
		if pro.AllowAdHocSubscriptions {
			e += " and can still add services"
		}
		out = append(out, e+"; B2B invitees get a guest only.")
	case !cur.AllowEmailVerifiedUsers && pro.AllowEmailVerifiedUsers:
		out = append(out, fmt.Sprintf("AllowEmailVerifiedUsers on lets new people with an address at the domain join; the %s are unaffected.", users))
	}
	switch {
	case cur.AllowAdHocSubscriptions && !pro.AllowAdHocSubscriptions:
		out = append(out, fmt.Sprintf("AllowAdHocSubscriptions off stops the %s from adding non-exempt services themselves; services they have stay, exempt trials still work.", users))
	case !cur.AllowAdHocSubscriptions && pro.AllowAdHocSubscriptions:
		out = append(out, fmt.Sprintf("AllowAdHocSubscriptions on lets the %s add services themselves again.", users))
	}
	if len(out) == 0 {
		out = append(out, "None: nothing changes until a switch is toggled.")
	}
	return out
}

func (s *switchesScreen) status() string {
	st := s.c.Styles
	switch {
	case s.confirm:
		return st.Unverified.Render(fmt.Sprintf("Save the switches of %s? y/n", s.sum.Name))
	case s.saving:
		return st.StatusBar.Render("Saving…")
	case s.err != nil:
		return st.Error.Render(fmt.Sprintf("Not saved: %v", s.err))
	case s.sum.State == model.Retired:
		return st.Muted.Render("Read-only: this directory was merged into another.")
	case s.changed():
		return st.StatusBar.Render("Unsaved changes · w saves · esc discards")
	}
	return st.StatusBar.Render("No changes")
}

func (s *switchesScreen) ShortHelp() []key.Binding {
	km := s.c.KeyMap
	if s.confirm {
		return []key.Binding{km.Yes, km.No}
	}
	return []key.Binding{km.Move, km.Toggle, km.Save, km.Back}
}

func (s *switchesScreen) FullHelp() [][]key.Binding {
	km := s.c.KeyMap
	if s.confirm {
		return [][]key.Binding{{km.Yes, km.No}}
	}
	return [][]key.Binding{{km.Up, km.Down, km.Toggle}, {km.Save, km.PageDown, km.PageUp}}
}
