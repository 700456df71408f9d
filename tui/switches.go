package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/tui/words"
)

// openSwitchesMsg asks the root to open a directory's switches on top.
type openSwitchesMsg struct{ id string }

// switchesSavedMsg says a directory's switches were written: the root
// closes the switches screen, and every screen showing them reloads.
type switchesSavedMsg struct{ dir model.Directory }

// switchesScreen edits a directory's two switches and previews, row by
// row, what the decision table does now and would do once saved. Every
// cell comes from model.Decide, so the preview cannot disagree with what
// sign-up and invitations do.
type switchesScreen struct {
	c        Common
	sum      ops.DirectorySummary
	proposed model.Switches
	focus    int // 0: AllowEmailVerifiedUsers, 1: AllowAdHocSubscriptions
	confirm  bool
	err      error // a failed read or a refused save
}

func newSwitchesScreen(c Common, ref string) *switchesScreen {
	s := &switchesScreen{c: c}
	s.sum, s.err = c.Ops.Summary(ref)
	s.proposed = s.sum.Switches
	return s
}

func (s *switchesScreen) Init() tea.Cmd { return nil }
func (s *switchesScreen) Title() string { return "Switches" }

// Capturing while the save question is open: esc and q answer it rather
// than leave the screen or quit.
func (s *switchesScreen) Capturing() bool { return s.confirm }

func (s *switchesScreen) SetSize(width, height int) { s.c.SetSize(width, height) }

func (s *switchesScreen) changed() bool { return s.proposed != s.sum.Switches }

func (s *switchesScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok || s.sum.ID == "" {
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
	}
	return nil
}

// save writes the proposed switches. A refusal (a retired directory) stays
// on screen as an error line; the proposal is kept so nothing is lost.
func (s *switchesScreen) save() tea.Cmd {
	want := s.proposed
	d, err := s.c.Ops.SetSwitches(s.sum.ID, want)
	if err != nil {
		s.err = err
		return nil
	}
	return func() tea.Msg { return switchesSavedMsg{dir: d} }
}

func (s *switchesScreen) View() string {
	st := s.c.Styles
	if s.sum.ID == "" {
		return clip(st.Error.Render(fmt.Sprintf("Cannot open this directory: %v", s.err)), s.c.Width)
	}
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

	// The decision table under both settings, every cell from Decide.
	add(st.ColumnHeader.Render(fmt.Sprintf("  %-26s  %-22s  %s", "DECISION TABLE", "NOW", "IF SAVED")))
	for _, sc := range model.Scenarios {
		now, next := model.Decide(sc, cur), model.Decide(sc, pro)
		add(fmt.Sprintf("  %-26s  ", sc) + s.outcome(now, 22) + "  " + changeMark(now != next) + s.outcome(next, 0))
	}
	add("")

	add(st.ColumnHeader.Render("EFFECT ON EXISTING USERS (" + words.Count(s.sum.Users) + ")"))
	for _, e := range s.effects() {
		for _, l := range strings.Split(ansi.Wordwrap(e, max(20, s.c.Width-4), ""), "\n") {
			add("  " + l)
		}
	}
	add("")
	add(st.Muted.Render("* changes when saved · the same table sign-up, invitations and the CLI use"))

	// A refusal can be long: wrapped, never cut, at the cost of body lines.
	status := strings.Split(ansi.Wordwrap(s.status(), s.c.Width, ""), "\n")
	for i := range status {
		status[i] = clip(status[i], s.c.Width)
	}
	body := fitHeight(strings.Join(lines, "\n"), max(1, s.c.Height-len(status)))
	return body + "\n" + strings.Join(status, "\n")
}

// changeMark marks a cell that saving would change, readable without
// colour.
func changeMark(changed bool) string {
	if changed {
		return "* "
	}
	return "  "
}

func (s *switchesScreen) outcome(o model.Outcome, width int) string {
	text := string(o)
	if width > 0 {
		text = fmt.Sprintf("%-*s", width, text)
	}
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
	case s.err != nil:
		return st.Error.Render(fmt.Sprintf("Not saved: %v", s.err))
	case s.sum.State == model.Retired:
		return st.Muted.Render("Read-only: this directory was merged into another.")
	case s.changed():
		return st.StatusBar.Render("Unsaved changes · ctrl+s or w saves, esc discards")
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
	return [][]key.Binding{{km.Up, km.Down, km.Toggle}, {km.Save}}
}
