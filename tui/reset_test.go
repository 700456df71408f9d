package tui

import (
	"errors"
	"strings"
	"testing"
)

// ctrl+r restores the demo data only where the demo offers it, and brings
// the person back to the freshly read directory list.
func TestTUIDemoReset(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{}, 120, 40)
	r.keys("enter", "ctrl+r")
	if !strings.Contains(r.view(), "›") {
		t.Fatal("outside the demo ctrl+r does nothing: the directory stays open")
	}

	resets := 0
	fail := error(nil)
	r = newRunner(t, st, Options{Reset: func() error { resets++; return fail }}, 120, 40)
	r.keys("enter", "ctrl+r", "y")
	if resets != 1 || strings.Contains(strings.SplitN(r.view(), "\n", 2)[0], "›") {
		t.Fatalf("ctrl+r in the demo: %d resets, screen:\n%s", resets, r.view())
	}
	fail = errors.New("disk full")
	r.keys("ctrl+r", "y")
	if !strings.Contains(r.view(), "restoring the demo data failed: disk full") {
		t.Fatalf("a failed restore must say so:\n%s", r.view())
	}
}
