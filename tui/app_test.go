package tui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"selfserve/ops"
	"selfserve/store"
)

var sizes = []struct{ w, h int }{{120, 40}, {80, 24}}

// step is keys to send, then text to wait for: waiting between steps
// keeps keys from racing a screen that opens in the background.
type step struct {
	keys []string
	want string
}

// snapshots runs the console at every size in a real (test) program on
// setup's console and options, through steps, and compares the final View
// with the golden file; mask (when set) blanks what is drawn at random.
func snapshots(t *testing.T, setup func(*testing.T) (*ops.Console, Options), mask func(*store.Store, string) string, steps ...step) {
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			oc, opts := setup(t)
			st := oc.Store
			tm := teatest.NewTestModel(t, New(oc, asciiRenderer(), opts), teatest.WithInitialTermSize(sz.w, sz.h))
			for _, s := range steps {
				for _, k := range s.keys {
					for _, msg := range keyMsgs(k) {
						tm.Send(msg)
					}
				}
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(s.want)) },
					teatest.WithDuration(5*time.Second))
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			out := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View()
			if mask != nil {
				out = mask(st, out)
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

// snapshot is snapshots on the fixture store.
func snapshot(t *testing.T, opts Options, steps ...step) {
	snapshots(t, func(t *testing.T) (*ops.Console, Options) { return &ops.Console{Store: fixtureStore(t)}, opts }, nil, steps...)
}

func TestTUIDirectoriesGolden(t *testing.T) {
	snapshot(t, Options{}, step{want: "1 retired"})
}

func TestTUIDirectoryGolden(t *testing.T) {
	// Open bellowscollege.com the way a user does, then move a little
	// so the cursor is not on the first row.
	snapshot(t, Options{},
		step{want: "1 retired"},
		step{keys: []string{"/", "bel", "enter", "enter"}, want: "user 1 of 41"},
		step{keys: []string{"down", "down"}, want: "user 3 of 41"})
}

func TestTUIManagedDirectoryGolden(t *testing.T) {
	snapshot(t, Options{Directory: "contoso.com"}, step{want: "user 1 of 3"})
}

func TestTUIDirectoriesPrefixJump(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.wantSelected("bellowscollege.com")
	r.keys("/", "contoso.co")
	r.wantSelected("contoso.co.uk")
	r.keys("m")
	r.wantSelected("contoso.com")
	r.keys("x")
	r.wantSelected("contoso.com") // a miss does not move
	r.wantView(`no domain starts with "contoso.comx"`)
	r.keys("esc")
	r.wantSelected("bellowscollege.com") // cancel goes back
	// A secondary domain finds its directory.
	r.keys("/", "litw", "enter")
	r.wantSelected("contoso.com")
	// Only the tab's directories are candidates.
	r.keys("tab", "/", "nor")
	r.wantSelected("northwind00.example")
	r.keys("esc", "tab", "/", "n")
	r.wantView(`no domain starts with "n"`)
}

func TestTUIDirectoriesFilter(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.wantView("[all (28)]")
	r.keys("/", "contoso.com", "enter", "tab")
	r.wantView("[unmanaged (26)]")
	r.wantSelected("bellowscollege.com") // contoso.com is not unmanaged
	r.keys("tab")
	r.wantView("[managed (1)]")
	r.wantSelected("contoso.com")
	if strings.Contains(r.view(), "bellowscollege") {
		t.Error("managed tab lists an unmanaged directory")
	}
	r.keys("tab")
	r.wantView("[all (28)]")
	r.wantSelected("contoso.com") // the selection survives switching tabs
}

func TestTUIUsersPrefixJump(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("/", "e")
	r.wantSelected("emma.adams@")
	r.keys("mma.b")
	r.wantSelected("emma.brown@")
	r.keys("enter")
	r.wantSelected("emma.brown@")
	// Addresses are compared case-insensitively, as they are stored.
	r.keys("/", "DAN")
	r.wantSelected("Dan@BellowsCollege.com"[:4])
	r.keys("esc")
	r.wantSelected("emma.brown@")
	r.keys("/", "zz")
	r.wantView(`no address starts with "zz"`)
	r.wantSelected("emma.brown@")
}

func TestTUIUsersEnd(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("G")
	r.wantSelected("hugo.evans@")
	r.wantView("user 41 of 41 users")
	lines := strings.Split(r.view(), "\n")
	// The last page fills the screen: the row above the help line's
	// status is the last user.
	if got := lines[len(lines)-3]; !strings.Contains(got, "hugo.evans@") {
		t.Errorf("last user not at the bottom:\n%s", r.view())
	}
	r.keys("g")
	r.wantSelected("ada.adams@")
	r.wantView("user 1 of 41 users")
	r.keys("end", "up")
	r.wantSelected("hugo.diaz@")
	r.keys("pgdown")
	r.wantSelected("hugo.evans@")
}

func TestTUIEscGoesBack(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.keys("down", "enter")
	r.wantView("Directories › contoso.co.uk")
	r.keys("esc")
	if first := strings.SplitN(r.view(), "\n", 2)[0]; first != "Directories" {
		t.Errorf("breadcrumb after esc = %q", first)
	}
	r.wantSelected("contoso.co.uk") // back where we were
	r.keys("esc")                   // nothing above the list: stays
	r.wantView("[all (28)]")
	if r.quit {
		t.Error("esc on the first screen quit")
	}
}

func TestTUIWindowTooSmall(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 59, 30)
	r.wantView("This window is 59x30.")
	r.wantView("needs at least 60x16")
	r.send(tea.WindowSizeMsg{Width: 100, Height: 15})
	r.wantView("This window is 100x15.")
	r.send(tea.WindowSizeMsg{Width: 60, Height: 16})
	r.wantView("> bellowscollege")
	r.wantFits(60, 16, "the list")
}

func TestTUIQuitKeys(t *testing.T) {
	st := fixtureStore(t)
	r := newRunner(t, st, Options{Directory: "bellowscollege.com"}, 80, 24)
	r.keys("/", "q")
	if r.quit {
		t.Fatal("q in the prefix input quit")
	}
	r.wantView("Jump to address: q")
	r.keys("?") // types too
	r.wantView("Jump to address: q?")
	r.keys("esc", "q")
	if !r.quit {
		t.Error("q outside an input did not quit")
	}
	r = newRunner(t, st, Options{}, 80, 24)
	r.keys("/", "ctrl+c")
	if !r.quit {
		t.Error("ctrl+c in the prefix input did not quit")
	}
}

func TestTUIHelp(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 80, 24)
	r.wantView("? help • q quit")
	r.keys("?")
	r.wantView("filter by state")
	r.wantView("page down")
	// Issue 11 point 8: it spells out the abbreviated switch columns.
	r.wantView("AEVU AllowEmailVerifiedUsers")
	r.wantView("AAHS AllowAdHocSubscriptions")
	r.wantFits(80, 24, "full help")
	r.keys("esc")
	r.wantView("? help • q quit")
}

func TestTUIEveryLineFits(t *testing.T) {
	st := fixtureStore(t)
	for _, sz := range []struct{ w, h int }{{60, 16}, {80, 24}, {120, 40}, {200, 50}} {
		for _, opts := range []Options{{}, {Directory: "contoso.com"}, {Directory: "litware.com"}} {
			newRunner(t, st, opts, sz.w, sz.h).wantFits(sz.w, sz.h, opts.Directory)
		}
	}
}

func TestTUIKeyBursts(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	burst := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	r.send(burst("jj")) // a held key repeating
	r.wantSelected("contoso.com")
	r.send(burst("/bel")) // typed faster than one read
	r.wantSelected("bellowscollege.com")
	r.wantView("Jump to domain: bel")
	r.keys("esc")
	r.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q"), Paste: true})
	if r.quit {
		t.Error("a pasted q quit")
	}
}

// Issue 11 point 10: a client may ask for any terminal size (an SSH PTY
// of 65535×65535 made one keystroke render 135 MB). The console draws at
// most maxWidth × maxHeight, whatever it is told.
func TestHugeTerminalIsClamped(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{}, 120, 40)
	r.send(tea.WindowSizeMsg{Width: 65535, Height: 65535})
	r.keys("down")
	lines := strings.Split(r.view(), "\n")
	if len(lines) > maxHeight {
		t.Fatalf("the view has %d lines, want at most %d", len(lines), maxHeight)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > maxWidth {
			t.Fatalf("line %d is %d cells wide, want at most %d", i, w, maxWidth)
		}
	}
}
