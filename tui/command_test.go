package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/model"
	"selfserve/store"
)

// activityStore is the fixture with a history: switches changed, the
// catalogue edited and sign-up mails kept, each at its own time, so the
// audit log and the outbox have rows in a known order.
func activityStore(t testing.TB) *store.Store {
	t.Helper()
	now := fixed
	st := fixtureStoreClock(t, func() time.Time { return now })
	at := func(d time.Duration) { now = fixed.Add(d) }
	at(time.Hour)
	if _, err := st.SetSwitches("contoso.com", "operator", true, func(s model.Switches) model.Switches {
		s.AllowEmailVerifiedUsers = true
		return s
	}); err != nil {
		t.Fatal(err)
	}
	at(2 * time.Hour)
	if _, err := st.PutService("operator", model.Service{Name: "yammer", Takeover: model.Remap, ExemptAdHoc: true}); err != nil {
		t.Fatal(err)
	}
	at(3 * time.Hour)
	if _, err := st.PutService("operator", model.Service{Name: "powerbi", Takeover: model.Migrate}); err != nil {
		t.Fatal(err)
	}
	for i, to := range []string{"zoe@bellowscollege.com", "yan@northwind00.example"} {
		at(time.Duration(4+i) * time.Hour)
		addr, err := model.ParseAddress(to)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.StartSignup(addr, "rms", true, func(code string) model.Message {
			return model.Message{Time: now, To: addr.String(), Subject: "Your selfserve sign-up code",
				Body: "Hello,\n\nyour code for rms is " + code + ". It is valid for 15 minutes.\n\nIf you did not ask for it, ignore this mail: nobody can sign up with your address without the code.\n"}
		}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestTUIAuditGolden(t *testing.T) {
	snapshotStore(t, activityStore, nil, Options{}, step{want: "1 retired"}, step{keys: []string{"a"}, want: "entry 1 of"})
}

func TestTUIOutboxGolden(t *testing.T) {
	snapshotStore(t, activityStore, nil, Options{}, step{want: "1 retired"}, step{keys: []string{"o"}, want: "mail 1 of 2"})
}

func TestTUIMailGolden(t *testing.T) {
	// The sign-up code is drawn at random.
	code := regexp.MustCompile(`code for rms is [0-9]+`)
	mask := func(_ *store.Store, s string) string { return code.ReplaceAllString(s, "code for rms is 000000") }
	snapshotStore(t, activityStore, mask, Options{}, step{want: "1 retired"}, step{keys: []string{"o"}, want: "mail 1 of 2"},
		step{keys: []string{"down", "enter"}, want: "Mail to zoe@"})
}

func TestTUIServicesGolden(t *testing.T) {
	snapshotStore(t, activityStore, nil, Options{}, step{want: "1 retired"}, step{keys: []string{"S"}, want: "service 1 of"})
}

func TestTUICommandLineGolden(t *testing.T) {
	snapshot(t, Options{}, step{want: "1 retired"}, step{keys: []string{":"}, want: "tab completes"})
}

func TestTUICommandDir(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.keys(":", "dir contoso.com", "enter")
	r.wantView("Directories › contoso.com")
	r.wantView("admin@contoso.com")
	// A command opens its screen in place of the top one.
	r.keys(":audit", "enter")
	r.wantCrumbs("Directories › Audit log")
	r.keys("esc")
	r.wantCrumbs("Directories")
	// A secondary domain and an id find the directory too; :dirs goes
	// back to the list in one step.
	r.keys(":dir litware.com", "enter")
	r.wantCrumbs("Directories › contoso.com")
	r.keys("enter", ":dir contosouk001", "enter")
	r.wantCrumbs("Directories › contoso.com › contoso.co.uk")
	r.keys(":dirs", "enter")
	r.wantCrumbs("Directories")
}

func TestTUICommandErrors(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.keys(":dir nowhere.example", "enter")
	r.wantView(`no directory has the domain or id "nowhere.example"`)
	r.wantView("Directories\n") // stayed on the list
	r.keys("down")              // the next key clears the error
	r.wantView("? help • q quit")
	r.keys(":frobnicate", "enter")
	r.wantView(`unknown command "frobnicate": try dir, claim, dirs, audit, outbox, services or q`)
	r.keys(":dir", "enter")
	r.wantView("usage: :dir DOMAIN-OR-ID")
	r.keys(":", "esc")
	r.wantView("? help • q quit")
	if r.quit {
		t.Error("a command error quit")
	}
}

func TestTUICommandTyping(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 80, 24)
	r.keys(":", "q?")
	if r.quit {
		t.Fatal("q in the command line quit")
	}
	r.wantView(":q?")
	if strings.Contains(r.view(), "filter by state") {
		t.Error("? in the command line opened the help")
	}
	r.keys("esc")
	r.wantView("? help • q quit")
	// tab completes a unique name, and "dir" with its space.
	r.keys(":", "au", "tab")
	r.wantView(":audit")
	r.keys("enter")
	r.wantView("Directories › Audit log")
	r.keys(":", "o", "tab", "enter")
	r.wantCrumbs("Directories › Outbox")
	r.keys(":", "se", "tab", "enter")
	r.wantView("Services")
	r.keys(":", "d", "tab")
	r.wantView(":dir")
	r.keys("esc", ":q", "enter")
	if !r.quit {
		t.Error(":q did not quit")
	}
	// A burst (tmux send-keys) opens the line and types into it.
	r = newRunner(t, fixtureStore(t), Options{}, 80, 24)
	r.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(":dir contoso.com")})
	r.keys("enter")
	r.wantView("Directories › contoso.com")
}

func TestTUIScreenKeys(t *testing.T) {
	st := activityStore(t)
	r := newRunner(t, st, Options{}, 120, 40)
	r.keys("a")
	r.wantView("Directories › Audit log")
	r.wantSelected(fixed.Add(3 * time.Hour).Format(auditTimeLayout)) // newest first
	r.wantView("takeover block → migrate")                           // what changed
	r.wantView("allowEmailVerifiedUsers off → on")
	r.keys("esc", "o")
	r.wantSelected(fixed.Add(5 * time.Hour).Format(auditTimeLayout))
	r.keys("enter")
	r.wantView("Directories › Outbox › Mail to yan@northwind00.example")
	r.wantView("your code for rms is")
	r.keys("esc", "esc", "S")
	r.wantView("Directories › Services")
	r.wantView("yammer")
	r.keys("esc")
	// The keys belong to the list: on a directory, a does nothing.
	r.keys("enter", "a")
	r.wantView("Directories › bellowscollege.com\n")
}

func TestTUICommandScreensFit(t *testing.T) {
	st := activityStore(t)
	for _, sz := range []struct{ w, h int }{{60, 16}, {80, 24}, {120, 40}, {200, 50}} {
		for _, keys := range [][]string{{"a"}, {"o"}, {"o", "enter"}, {"S"}, {":"}, {":nope", "enter"}} {
			r := newRunner(t, st, Options{}, sz.w, sz.h)
			r.keys(keys...).wantFits(sz.w, sz.h, fmt.Sprint(keys))
		}
	}
}
