package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// signUp signs addr up as another session would: through its own ops
// console on the same store, not through this console.
func signUp(t *testing.T, st *store.Store, addr string) {
	t.Helper()
	a, err := model.ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	var code string
	if _, err := st.StartSignup(a, "rms", true, func(c string) model.Message {
		code = c
		return model.Message{To: addr, Subject: "code"}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.VerifySignup(a, code); err != nil {
		t.Fatal(err)
	}
}

// waitScreen waits (generously: the machine may be busy) for the console
// to draw want, with no key pressed.
func waitScreen(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// A console shows what others change without a key press: a sign-up
// from elsewhere appears in the directory list, and its entry in an open
// audit log; an admin's switch change moves the switches screen's "now"
// column while the change proposed here stays unsaved (issue 12 point 9).
func TestTUIFollowsOthersChanges(t *testing.T) {
	st := fixtureStore(t)
	tm := teatest.NewTestModel(t, New(&ops.Console{Store: st}, asciiRenderer(), Options{}), teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "bellowscollege.com")

	signUp(t, st, "ann@aardvark.example")
	waitScreen(t, tm, "aardvark.example")

	for _, msg := range keyMsgs(":audit") {
		tm.Send(msg)
	}
	tm.Send(keyMsgs("enter")[0])
	waitScreen(t, tm, "Audit log")
	signUp(t, st, "bob@aardvark.example")
	waitScreen(t, tm, "bob@aardvark.example")

	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// Someone else's switch change reaches an open switches screen: the
// "now" column moves, and what this screen proposed and has not saved
// stays proposed.
func TestTUISwitchesFollowAnotherSessionsChange(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 120, 40)
	r.keys("s")
	r.wantView("No changes")
	r.keys(" ") // propose AllowEmailVerifiedUsers off
	d, err := st.SetSwitches("bellowscollege.com", model.Operator, true, func(sw model.Switches) model.Switches {
		sw.AllowAdHocSubscriptions = false
		return sw
	})
	if err != nil {
		t.Fatal(err)
	}
	r.send(changedMsg{ops.Change{Directories: map[string]bool{d.ID: true}}})
	// Now: theirs (AllowAdHocSubscriptions off); proposed: ours on top
	// of theirs, so saving keeps their change.
	if l := tableLine(t, r.view(), model.NewUserSignup); !strings.Contains(l, string(model.BlockedAdHoc)) {
		t.Errorf("the now column does not show the other session's change: %q\n%s", l, r.view())
	}
	if strings.Contains(r.view(), "No changes") {
		t.Errorf("the unsaved proposal was dropped:\n%s", r.view())
	}
	r.keys("w", "y") // save
	got, err := st.Directory("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	if got.Switches != (model.Switches{}) {
		t.Errorf("after saving, switches = %+v; want ours (AllowEmailVerifiedUsers off) and theirs (AllowAdHocSubscriptions off)", got.Switches)
	}
}

// An open directory's counts follow sign-ups made elsewhere.
func TestTUIDirectoryCountsFollowSignups(t *testing.T) {
	st := fixtureStore(t)
	tm := teatest.NewTestModel(t, New(&ops.Console{Store: st}, asciiRenderer(), Options{Directory: "bellowscollege.com"}), teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "rms: 41 users")
	signUp(t, st, "newcomer@bellowscollege.com")
	waitScreen(t, tm, "rms: 42 users")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// An open directory shows users others add, where they sort, and its
// cursor stays on the user it was on.
func TestTUIDirectoryRowsFollowSignups(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 120, 40)
	r.keys("down", "down")
	before := r.selectedLine()
	signUp(t, st, "aaron.aardvark@bellowscollege.com") // sorts first
	d, err := st.Directory("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	r.send(changedMsg{ops.Change{Directories: map[string]bool{d.ID: true}}})
	r.wantView("aaron.aardvark@bellowscollege.com")
	if got := r.selectedLine(); got != before {
		t.Errorf("the cursor moved to %q, was on %q", got, before)
	}
	r.wantView("rms: 42 users")
}
