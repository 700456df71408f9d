package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// mergedStore is the fixture after a real, forced external takeover of
// contoso.co.uk into contoso.com, through the store's own path, so its
// users carry every kind of users-to-resources mapping: rms is remapped,
// sharepoint needs migration, powerbi (a block service) is dropped.
func mergedStore(t testing.TB) *store.Store {
	t.Helper()
	st := fixtureStore(t)
	mergeContosoUK(t, st)
	return st
}

// mergeContosoUK takes contoso.co.uk over into contoso.com, forced, as
// admin@contoso.com.
func mergeContosoUK(t testing.TB, st *store.Store) {
	t.Helper()
	admin, err := model.ParseAddress("admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	c := store.Claim{Domain: "contoso.co.uk", Admin: admin, Into: "contoso.com"}
	if _, err := st.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := st.Pending(c.Domain, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.TakeOverExternal(c, p, true, nil); err != nil {
		t.Fatal(err)
	}
}

// snapshotStore is snapshots over a store of the test's choosing; mask
// replaces what the store drew at random (ids made by a takeover).
func snapshotStore(t *testing.T, build func(testing.TB) *store.Store, mask func(*store.Store, string) string, opts Options, steps ...step) {
	snapshots(t, func(t *testing.T) (*ops.Console, Options) { return &ops.Console{Store: build(t)}, opts }, mask, steps...)
}

func TestTUISwitchesGolden(t *testing.T) {
	// The way a user gets there: jump to the directory, open it, s, then
	// turn AllowEmailVerifiedUsers off without saving.
	snapshotStore(t, fixtureStore, nil, Options{},
		step{want: "1 retired"},
		step{keys: []string{"/", "bel", "enter", "enter"}, want: "user 1 of 41"},
		step{keys: []string{"s"}, want: "DECISION TABLE"},
		step{keys: []string{" "}, want: "Unsaved changes"})
}

func TestTUIUserGolden(t *testing.T) {
	var ben model.User
	mask := func(st *store.Store, out string) string {
		a, _ := model.ParseAddress("ben.brown@contoso.co.uk")
		u, _, err := st.User("contoso.com", a)
		if err != nil {
			t.Fatal(err)
		}
		ben = u
		// The new id derives from the job's random id.
		return strings.ReplaceAll(out, u.ID, strings.Repeat("#", len(u.ID)))
	}
	snapshotStore(t, mergedStore, mask, Options{Directory: "contoso.com"},
		step{want: "user 1 of 9"},
		step{keys: []string{"/", "ben", "enter"}, want: "ben.brown@"},
		step{keys: []string{"enter"}, want: "MAPPINGS"})
	if ben.FormerID == "" {
		t.Errorf("ben.brown was not merged in: %+v", ben)
	}
}

// tableLine is the decision table's line for scenario sc.
func tableLine(t *testing.T, view string, sc model.Scenario) string {
	t.Helper()
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), string(sc)+" ") {
			return l
		}
	}
	t.Fatalf("no line for %s:\n%s", sc, view)
	return ""
}

func TestTUISwitchesToggleMarksChanges(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 120, 40)
	r.keys("s")
	r.wantView("Directories › bellowscollege.com › Switches")
	r.wantView("No changes")
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	check := func(proposed model.Switches) {
		t.Helper()
		for _, sc := range model.Scenarios {
			now, next := model.Decide(sc, on), model.Decide(sc, proposed)
			l := tableLine(t, r.view(), sc)
			if strings.Count(l, string(now)) == 0 || !strings.Contains(l, string(next)) {
				t.Errorf("%s: line %q lacks %s or %s", sc, l, now, next)
			}
			if marked := strings.Contains(l, "* "+string(next)); marked != (now != next) {
				t.Errorf("%s: marked %v, changed %v: %q", sc, marked, now != next, l)
			}
		}
	}
	check(on)
	r.keys(" ") // AllowEmailVerifiedUsers off
	check(model.Switches{AllowEmailVerifiedUsers: false, AllowAdHocSubscriptions: true})
	if l := tableLine(t, r.view(), model.NewUserSignup); !strings.Contains(l, "* blocked-email-verified") {
		t.Errorf("new-user-signup: %q", l)
	}
	r.wantView("blocks new users only: the 41 existing users keep their access")
	r.keys("down", "enter") // and AllowAdHocSubscriptions off
	check(model.Switches{})
	r.wantView("stops the 41 existing users from adding non-exempt services")
	r.keys(" ", "up", " ") // both back: nothing changes
	check(on)
	r.wantView("No changes")
}

func TestTUISwitchesSaveWithConfirmation(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("s", "down", " ", "w")
	r.wantView("Save the switches of bellowscollege.com? y/n")
	r.keys("n") // no: still here, still proposed
	r.wantView("Unsaved changes")
	r.send(tea.KeyMsg{Type: tea.KeyCtrlS})
	r.wantView("? y/n")
	r.keys("esc") // answers the question, does not leave
	r.wantView("› Switches")
	r.keys("w", "y")
	if first := strings.SplitN(r.view(), "\n", 2)[0]; first != "Directories › bellowscollege.com" {
		t.Errorf("after saving, breadcrumbs = %q", first)
	}
	r.wantView("ad-hoc subscriptions off")
	sum, err := st.Summary("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := (model.Switches{AllowEmailVerifiedUsers: true}); sum.Switches != want {
		t.Errorf("saved switches = %+v, want %+v", sum.Switches, want)
	}
	// The list below shows the new value too, and keeps its selection.
	r.keys("esc")
	r.wantSelected("bellowscollege.com")
	if l := r.selectedLine(); !strings.Contains(l, "off") {
		t.Errorf("directory list not reloaded: %q", l)
	}
}

func TestTUISwitchesEscDiscards(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("s", " ", "down", " ", "esc", "y")
	r.wantCrumbs("Directories › bellowscollege.com")
	sum, err := st.Summary("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Switches.AllowEmailVerifiedUsers || !sum.Switches.AllowAdHocSubscriptions {
		t.Errorf("esc saved: %+v", sum.Switches)
	}
	r.keys("s")
	r.wantView("No changes") // a fresh proposal from what is stored
}

// A directory retired (merged away) while its switches are open refuses
// the save; the refusal stays on screen with the proposal.
func TestTUISwitchesRefusalIsShown(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "contoso.co.uk"}, 80, 24)
	r.keys("s", " ")
	mergeContosoUK(t, st)
	r.keys("w", "y")
	r.wantView("Not saved: ")
	r.wantView("retired")
	r.wantView("› Switches") // still here, nothing crashed
	r.wantView("[ ] off")    // the proposal is kept
}

func TestTUIUserShowsMappings(t *testing.T) {
	st := mergedStore(t)
	r := newRunner(t, st, Options{Directory: "contoso.com"}, 120, 40)
	r.keys("/", "ben", "enter", "enter")
	r.wantView("Directories › contoso.com › ben.brown@contoso.co.uk")
	a, _ := model.ParseAddress("ben.brown@contoso.co.uk")
	u, maps, err := st.User("contoso.com", a)
	if err != nil || len(maps) != 3 {
		t.Fatalf("fixture: %d mappings, %v", len(maps), err)
	}
	r.wantView(u.ID)
	r.wantView(u.FormerID)
	for _, m := range maps {
		var line string
		for _, l := range strings.Split(r.view(), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), m.Service+" ") {
				line = l
			}
		}
		if !strings.Contains(line, string(m.Status)) || !strings.Contains(line, "contoso.co.uk") || !strings.Contains(line, m.OldUser) {
			t.Errorf("mapping %+v shown as %q", m, line)
		}
	}
	r.keys("esc")
	r.wantSelected("ben.brown@")
	// A user who was never merged says so.
	r.keys("/", "admin", "enter", "enter")
	r.wantView("No users-to-resources mappings")
}

func TestTUINewScreensFit(t *testing.T) {
	st := mergedStore(t)
	for _, sz := range []struct{ w, h int }{{60, 16}, {80, 24}, {120, 40}} {
		for _, keys := range [][]string{{"s"}, {"s", " ", "down", " "}, {"/", "ben", "enter", "enter"}} {
			r := newRunner(t, st, Options{Directory: "contoso.com"}, sz.w, sz.h)
			r.keys(keys...).wantFits(sz.w, sz.h, fmt.Sprint(keys))
		}
	}
}
