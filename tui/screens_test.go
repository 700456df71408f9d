package tui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
)

// crumbs is the breadcrumb line.
func (r *runner) crumbs() string { return strings.SplitN(r.view(), "\n", 2)[0] }

func (r *runner) wantCrumbs(want string) {
	r.t.Helper()
	if got := r.crumbs(); got != want {
		r.t.Errorf("breadcrumbs = %q, want %q\n%s", got, want, r.view())
	}
}

// Issue 11 point 1: a screen reads in a command (its Init, or one its
// Update returns), never in its constructor or inside Update, so a slow
// disk never freezes a keystroke and every read can be seen happening.
func TestTUIScreensReadInACommand(t *testing.T) {
	st := fixtureStore(t)
	c := NewCommon(nil, (&ops.Console{Store: st}).As(ops.Viewer{}), asciiRenderer())
	for _, tc := range []struct {
		name string
		s    screen
		want string
	}{
		{"directory", newDirectoryScreen(c, "bellowscollege.com"), "Dan@bellowscollege.com"},
		{"user", newUserScreen(c, "bellows0001", "dan@bellowscollege.com"), "EmailVerified"},
		{"switches", newSwitchesScreen(c, "bellowscollege.com"), "DECISION TABLE"},
	} {
		tc.s.SetSize(120, 38)
		if v := tc.s.View(); strings.Contains(v, tc.want) {
			t.Errorf("%s: shows what it read before its Init ran:\n%s", tc.name, v)
		}
		cmd := tc.s.Init()
		if cmd == nil {
			t.Fatalf("%s: Init reads nothing", tc.name)
		}
		tc.s.Update(cmd())
		tc.s.SetSize(120, 38)
		if v := tc.s.View(); !strings.Contains(v, tc.want) {
			t.Errorf("%s: Init's read not shown, want %q:\n%s", tc.name, tc.want, v)
		}
	}

	// A reload after a save elsewhere is a command too.
	d := newDirectoryScreen(c, "bellowscollege.com")
	d.Update(d.Init()())
	d.SetSize(120, 38)
	saved, err := st.SetSwitches("bellowscollege.com", "operator", true, func(s model.Switches) model.Switches { return model.Switches{} })
	if err != nil {
		t.Fatal(err)
	}
	cmd := d.Update(switchesSavedMsg{dir: saved})
	if strings.Contains(d.View(), "ad-hoc subscriptions off") {
		t.Fatal("the directory re-read inside Update")
	}
	if cmd == nil {
		t.Fatal("no command re-reads the directory after a save")
	}
	d.Update(cmd())
	if !strings.Contains(d.View(), "ad-hoc subscriptions off") {
		t.Errorf("the reload did not show the saved switches:\n%s", d.View())
	}

	// Saving is a command: the key only asks for it.
	sw := newSwitchesScreen(c, "bellowscollege.com")
	sw.Update(sw.Init()())
	for _, k := range []string{" ", "w", "y"} {
		if cmd = sw.Update(keyMsgs(k)[0]); k != "y" && cmd != nil {
			sw.Update(cmd())
		}
	}
	if sum, _ := st.Summary("bellowscollege.com"); sum.Switches.AllowEmailVerifiedUsers {
		t.Fatal("y wrote the switches inside Update")
	}
	if cmd == nil {
		t.Fatal("y returned no command to save")
	}
	cmd()
	if sum, _ := st.Summary("bellowscollege.com"); !sum.Switches.AllowEmailVerifiedUsers {
		t.Error("the save command did not write the switches")
	}
}

// drain runs cmd and every command its messages bring, feeding each
// message to s, as the program would, and returns the screens they ask
// the root to open.
func drain(s screen, cmd tea.Cmd) []screen {
	if cmd == nil {
		return nil
	}
	var opened []screen
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			opened = append(opened, drain(s, c)...)
		}
	case openMsg:
		opened = append(opened, msg.s)
	case nil:
	default:
		opened = append(opened, drain(s, s.Update(msg))...)
	}
	return opened
}

// enter typed right after a jump, before its read lands, opens what the
// jump lands on, not what the cursor was on.
func TestTUIEnterWaitsForTheJump(t *testing.T) {
	c := NewCommon(nil, (&ops.Console{Store: fixtureStore(t)}).As(ops.Viewer{}), asciiRenderer())
	for _, tc := range []struct {
		s    screen
		keys string
		want string
	}{
		{newDirectoriesScreen(c), "/contoso.co", "Directory contosouk001"},
		{newDirectoryScreen(c, "bellowscollege.com"), "/emma.b", "User emma.brown@bellowscollege.com"},
	} {
		drain(tc.s, tc.s.Init())
		tc.s.SetSize(120, 38)
		var cmds []tea.Cmd
		for _, k := range append(keyMsgs(tc.keys), tea.KeyMsg{Type: tea.KeyEnter}, tea.KeyMsg{Type: tea.KeyEnter}) {
			cmds = append(cmds, tc.s.Update(k))
		}
		var opened []string
		for _, cmd := range cmds {
			for _, s := range drain(tc.s, cmd) {
				switch s := s.(type) {
				case *directoryScreen:
					opened = append(opened, "Directory "+s.ref)
				case *userScreen:
					opened = append(opened, "User "+s.email)
				}
			}
		}
		if len(opened) != 1 || opened[0] != tc.want {
			t.Errorf("enter before the jump landed opened %q, want %s", opened, tc.want)
		}
	}
}

// A / jump, and the first and last page of users, read in a command:
// the key only asks for it.
func TestTUIJumpsReadInACommand(t *testing.T) {
	c := NewCommon(nil, (&ops.Console{Store: fixtureStore(t)}).As(ops.Viewer{}), asciiRenderer())
	for _, tc := range []struct {
		s         screen
		key, want string
	}{
		{newDirectoriesScreen(c), "/contoso.co", "> contoso.co.uk"},
		{newDirectoryScreen(c, "bellowscollege.com"), "/emma.b", "> emma.brown@"},
		{newDirectoryScreen(c, "bellowscollege.com"), "G", "> hugo.evans@"},
	} {
		drain(tc.s, tc.s.Init())
		tc.s.SetSize(120, 38)
		var cmds []tea.Cmd
		for _, k := range keyMsgs(tc.key) {
			cmds = append(cmds, tc.s.Update(k))
		}
		if strings.Contains(tc.s.View(), tc.want) {
			t.Fatalf("%s: jumped inside Update", tc.want)
		}
		for _, cmd := range cmds {
			drain(tc.s, cmd)
		}
		if !strings.Contains(tc.s.View(), tc.want) {
			t.Errorf("the jump's command did not land on %s:\n%s", tc.want, tc.s.View())
		}
	}
}

// Issue 11 point 7: q with unsaved switch changes asks before quitting,
// and so does every other way of leaving them.
func TestTUISwitchesLeavingAsks(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("s", " ", "q")
	if r.quit {
		t.Fatal("q quit with unsaved switch changes")
	}
	r.wantView("Discard the unsaved switch changes of bellowscollege.com? y/n")
	r.keys("n")
	r.wantView("Unsaved changes")
	r.keys("q", "y")
	if !r.quit {
		t.Error("y did not quit")
	}

	r = newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("s", " ", "esc")
	r.wantView("Discard the unsaved switch changes of bellowscollege.com? y/n")
	r.keys("esc") // no
	r.wantCrumbs("Directories › bellowscollege.com › Switches")
	r.keys(":audit", "enter")
	r.wantView("Discard the unsaved switch changes")
	r.keys("y")
	r.wantCrumbs("Directories › bellowscollege.com › Audit log")

	// Nothing to lose: q quits at once.
	r = newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("s", "q")
	if !r.quit {
		t.Error("q without changes did not quit")
	}
}

// Issue 11 point 8: t and s on the directory list act on the selected
// directory; a retired directory offers no switches, there or inside.
func TestTUIListActsOnSelection(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{}, 120, 40)
	r.wantView("s switches")
	r.keys("down", "s")
	r.wantCrumbs("Directories › Switches of contoso.co.uk")
	r.wantView("Switches of contoso.co.uk")
	r.keys("esc")
	r.wantSelected("contoso.co.uk")
	r.keys("t")
	if !strings.HasPrefix(r.crumbs(), "Directories › Take over") {
		t.Errorf("t on contoso.co.uk: breadcrumbs %q", r.crumbs())
	}
	r.wantView("contoso.co.uk")
	r.keys("esc")
	r.keys("/", "contoso.com", "enter", "t")
	r.wantCrumbs("Directories")
	r.wantView("contoso.com is managed")

	r.keys("g", "down", "down", "down")
	r.wantSelected("litware.com")
	if strings.Contains(r.view(), "s switches") {
		t.Errorf("a retired directory offers switches:\n%s", r.view())
	}
	r.keys("s")
	r.wantCrumbs("Directories")
	r.wantView("litware.com is retired")

	// Why not is said whole, wrapped in place of the help, even at 60x16.
	r = newRunner(t, st, Options{}, 60, 16)
	r.keys("/", "contoso.com", "enter", "t")
	r.wantView("so\nthere is nothing to take over.")
	r.wantFits(60, 16, "t on a managed directory")
	r.keys("down")
	r.wantView("? help")

	r = newRunner(t, st, Options{Directory: "litware00001"}, 120, 40)
	if strings.Contains(r.view(), "s switches") {
		t.Errorf("a retired directory offers switches:\n%s", r.view())
	}
	r.keys("s")
	r.wantCrumbs("Directories › litware.com")
	r.wantView("litware.com is retired")
}

// Issue 11 point 8: after a / jump the status still says where the
// cursor is in the whole directory.
func TestTUIUsersJumpKeepsPosition(t *testing.T) {
	st := fixtureStore(t)
	all, err := st.Users("bellowscollege.com", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, u := range all {
		if strings.HasPrefix(u.Email, "emma.brown@") {
			at = i + 1
		}
	}
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("/", "emma.b", "enter")
	r.wantView("user " + strconv.Itoa(at) + " of 41 users")
	r.keys("down")
	r.wantView("user " + strconv.Itoa(at+1) + " of 41 users")
}

// Issue 11 point 8: the full help names each key once, on every screen.
func TestTUIHelpListsEachKeyOnce(t *testing.T) {
	st := mergedStore(t)
	for _, keys := range [][]string{{}, {"enter"}, {"enter", "s"}, {"enter", "enter"}, {"a"}, {"o"}, {"S"}} {
		r := newRunner(t, st, Options{Reset: func() error { return nil }}, 120, 40)
		r.keys(keys...)
		a := r.m.(*app)
		seen := map[string]bool{}
		for _, g := range a.fullHelpGroups() {
			for _, b := range g {
				if !b.Enabled() {
					continue
				}
				if k := b.Help().Key; seen[k] {
					t.Errorf("after %q the help lists %s twice", keys, k)
				} else {
					seen[k] = true
				}
			}
		}
	}
}

// Issue 11 point 8: ctrl+r in the demo asks first, then says what it did.
func TestTUIDemoResetAsks(t *testing.T) {
	resets := 0
	r := newRunner(t, fixtureStore(t), Options{Reset: func() error { resets++; return nil }}, 120, 40)
	r.keys("enter", "ctrl+r")
	r.wantView("Restore the demo data?")
	r.keys("n")
	if resets != 0 {
		t.Fatal("n restored the demo data")
	}
	r.wantCrumbs("Directories › bellowscollege.com")
	r.keys("ctrl+r", "y")
	if resets != 1 {
		t.Fatalf("y: %d restores", resets)
	}
	r.wantCrumbs("Directories")
	r.wantView("Demo data restored")
}

// Issue 11 point 8: :dir that finds nothing says so in the console's
// words, and : commands replace the top of the breadcrumbs.
func TestTUICommandWordsAndCrumbs(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.keys(":dir nowhere.example", "enter")
	r.wantView(`no directory has the domain or id "nowhere.example": :dirs lists them`)
	r.keys(":dir contoso.com", "enter", ":dir contoso.co.uk", "enter", ":dir bellows0001", "enter")
	r.wantCrumbs("Directories › bellowscollege.com")
	r.keys(":audit", "enter", ":services", "enter")
	r.wantCrumbs("Directories › Services")
	r.keys("esc")
	r.wantCrumbs("Directories")
}

// Issue 11 point 4: at 80 columns the user list gives its room to the
// address, the column an admin reads, not to the creation method.
func TestTUIUserListShowsWholeAddresses(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 80, 24)
	r.wantView("chloe.adams@bellowscollege.com ") // 30 characters
	if strings.Contains(r.view(), "…") {
		t.Errorf("something is cut at 80 columns:\n%s", r.view())
	}
}

// Issue 11 point 4: at 60x16 the decision table wraps its cells rather
// than cut them, and pgdn shows the rest of the screen.
func TestTUISwitchesNarrowWraps(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 60, 16)
	r.keys("s", " ")
	r.wantFits(60, 16, "switches")
	v := r.view()
	if strings.Contains(v, "…") {
		t.Errorf("the switches screen cuts at 60x16:\n%s", v)
	}
	r.wantView("* blocked-email-\n")
	for _, sc := range model.Scenarios {
		if !strings.Contains(v, string(sc)[:10]) {
			t.Errorf("%s is not on screen:\n%s", sc, v)
		}
	}
	r.keys("pgdown")
	r.wantView("blocks new users only")
	r.wantView("the same table sign-up")
	if strings.Contains(r.view(), "…") {
		t.Errorf("the switches screen cuts at 60x16:\n%s", r.view())
	}
	r.wantFits(60, 16, "switches, scrolled")
}

// Issue 11 point 8: ? shows every key whole even at 60x16, where the
// screen's help columns side by side are wider than the terminal.
func TestTUIFullHelpFitsSmallTerminals(t *testing.T) {
	st := fixtureStore(t)
	for _, sz := range []struct{ w, h int }{{60, 16}, {80, 24}} {
		for _, keys := range [][]string{{}, {"enter"}, {"enter", "s"}} {
			r := newRunner(t, st, Options{Reset: func() error { return nil }}, sz.w, sz.h)
			r.keys(append(keys, "?")...)
			r.wantFits(sz.w, sz.h, fmt.Sprint(keys, " ?"))
			for _, g := range r.m.(*app).fullHelpGroups() {
				for _, b := range g {
					if b.Enabled() && !strings.Contains(r.view(), b.Help().Desc) {
						t.Errorf("%dx%d %q: the help lacks %q:\n%s", sz.w, sz.h, keys, b.Help().Desc, r.view())
					}
				}
			}
			if len(keys) == 0 && !strings.Contains(r.view(), "AAHS AllowAdHocSubscriptions") {
				t.Errorf("%dx%d: the help does not explain AAHS:\n%s", sz.w, sz.h, r.view())
			}
		}
	}
}

// Issue 11 point 4: at 60 columns a directory's header wraps rather than
// lose its ends, and the user list keeps its room for the address.
func TestTUIDirectoryNarrowKeepsWhatMatters(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 60, 16)
	r.wantFits(60, 16, "bellowscollege.com")
	if strings.Contains(r.view(), "…") {
		t.Errorf("something is cut at 60x16:\n%s", r.view())
	}
	r.wantView("created 2024-12-14")
	r.wantView("ada.adams@bellowscollege.com ")
}

// Issue 11 point 4: at 60 columns the directory list keeps its room for
// the domains, which name the rows, over the services.
func TestTUIDirectoriesNarrowKeepDomains(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 60, 16)
	r.keys("down", "down")
	r.wantView("contoso.com, litware.com ")
	if strings.Contains(r.view(), "…") {
		t.Errorf("something is cut at 60x16:\n%s", r.view())
	}
}

// Issue 11 point 4: at 60 columns a user's page wraps rather than cuts.
func TestTUIUserNarrowWraps(t *testing.T) {
	st := mergedStore(t)
	for _, who := range []string{"ben", "admin"} {
		r := newRunner(t, st, Options{Directory: "contoso.com"}, 60, 16)
		r.keys("/", who, "enter", "enter")
		r.wantView("Creation method")
		r.wantFits(60, 16, who)
		if strings.Contains(r.view(), "…") {
			t.Errorf("something is cut at 60x16:\n%s", r.view())
		}
		if who == "ben" {
			r.wantView("pgdn page down")
			r.keys("pgdown")
			for _, st := range []model.MappingStatus{model.Mapped, model.NeedsMigration, model.Dropped} {
				r.wantView(string(st))
			}
		}
	}
}

// Issue 11 point 4: too wide for the terminal, the breadcrumbs give up
// the oldest crumbs, not the current screen's title.
func TestTUICrumbsKeepTheCurrentTitle(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 60, 16)
	r.keys("/", "chloe.a", "enter", "enter")
	r.wantCrumbs("… › bellowscollege.com › chloe.adams@bellowscollege.com")
}
