package tui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// Goldens and assertions read plain text: no colour, no escape codes.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// fixed is the fixture's clock: everything rendered derives from it, so
// goldens do not change with the day they are made.
var fixed = time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)

func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

var (
	firsts = []string{"ada", "ben", "chloe", "dev", "emma", "farid", "grace", "hugo"}
	lasts  = []string{"adams", "brown", "chen", "diaz", "evans"}
)

// fixtureStore is a small world with every kind of row the screens show:
// unmanaged, managed (with an admin, a guest and two domains), retired,
// users on several services, and enough directories to scroll at 80x24.
func fixtureStore(t testing.TB) *store.Store {
	t.Helper()
	return fixtureStoreClock(t, func() time.Time { return fixed })
}

// fixtureStoreClock is fixtureStore on the clock now, for tests that
// need changes made at different times.
func fixtureStoreClock(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	created := fixed.Add(-90 * 24 * time.Hour)
	l := st.NewLoader()
	n := 0
	user := func(dir, email string, kind model.UserKind, method model.CreationMethod, grants ...string) {
		n++
		l.User(model.User{ID: fmt.Sprintf("u%05d", n), Email: email, Directory: dir, Kind: kind,
			CreationMethod: method, Grants: grants, CreatedAt: created.Add(time.Duration(n*37) * time.Minute)})
	}
	// Retired first: contoso.com later takes its domain record over.
	l.Directory(model.Directory{ID: "litware00001", Name: "litware.com", State: model.Retired, Domains: []string{"litware.com"},
		Switches: on, CreatedAt: created, RetiredAt: fixed.Add(-24 * time.Hour), MergedInto: "contoso00001"})
	l.Directory(model.Directory{ID: "bellows0001", Name: "bellowscollege.com", State: model.Unmanaged,
		Domains: []string{"bellowscollege.com"}, Switches: on, CreatedAt: created})
	user("bellows0001", "Dan@BellowsCollege.com", model.Member, model.EmailVerified, "rms")
	for i := range 40 {
		grants := []string{"rms"}
		if i%5 == 0 {
			grants = append(grants, "sharepoint")
		}
		user("bellows0001", fmt.Sprintf("%s.%s@bellowscollege.com", firsts[i%len(firsts)], lasts[i/len(firsts)]), model.Member, model.EmailVerified, grants...)
	}
	l.Directory(model.Directory{ID: "contoso00001", Name: "contoso.com", State: model.Managed, Domains: []string{"contoso.com", "litware.com"},
		GlobalAdmins: []string{"admin@contoso.com"}, Switches: model.Switches{AllowEmailVerifiedUsers: false, AllowAdHocSubscriptions: true}, CreatedAt: created})
	user("contoso00001", "admin@contoso.com", model.Member, model.EmailVerified, "exchange", "sharepoint")
	user("contoso00001", "ann@litware.com", model.Member, model.EmailVerified, "rms")
	user("contoso00001", "partner@fabrikam.com", model.Guest, model.Invited)
	l.Directory(model.Directory{ID: "contosouk001", Name: "contoso.co.uk", State: model.Unmanaged,
		Domains: []string{"contoso.co.uk"}, Switches: model.Switches{AllowEmailVerifiedUsers: true}, CreatedAt: created})
	for i := range 6 {
		grants := []string{"rms"}
		if i%2 == 1 {
			grants = append(grants, "powerbi", "sharepoint")
		}
		user("contosouk001", fmt.Sprintf("%s.%s@contoso.co.uk", firsts[i], lasts[i%len(lasts)]), model.Member, model.EmailVerified, grants...)
	}
	for i := range 24 {
		id, domain := fmt.Sprintf("filler%06d", i), fmt.Sprintf("northwind%02d.example", i)
		l.Directory(model.Directory{ID: id, Name: domain, State: model.Unmanaged, Domains: []string{domain}, Switches: on, CreatedAt: created})
		for j := range 1 + i%3 {
			user(id, fmt.Sprintf("%s@%s", firsts[j], domain), model.Member, model.EmailVerified, "rms")
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	return st
}

// runner drives the root model without a terminal: each message is
// handled, then every command it returned is run and its message fed back
// until none is left, so after send returns the model is where a user
// would see it settle.
type runner struct {
	t     testing.TB
	m     tea.Model
	quit  bool
	queue []tea.Msg
}

func newRunner(t testing.TB, st *store.Store, opts Options, w, h int) *runner {
	return newRunnerWith(t, st, asciiRenderer(), opts, w, h)
}

func newRunnerWith(t testing.TB, st *store.Store, rr *lipgloss.Renderer, opts Options, w, h int) *runner {
	return newConsoleRunner(t, &ops.Console{Store: st}, rr, opts, w, h)
}

// newConsoleRunner is newRunnerWith for a console that needs more than a
// store (a DNS checker).
func newConsoleRunner(t testing.TB, oc *ops.Console, rr *lipgloss.Renderer, opts Options, w, h int) *runner {
	opts.Static = true // the runner runs each command to its end
	r := &runner{t: t, m: New(oc, rr, opts)}
	r.run(r.m.Init())
	r.send(tea.WindowSizeMsg{Width: w, Height: h})
	return r
}

func (r *runner) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			r.run(c)
		}
	case tea.QuitMsg:
		r.quit = true
	default:
		r.queue = append(r.queue, msg)
	}
}

func (r *runner) send(msgs ...tea.Msg) *runner {
	r.queue = append(r.queue, msgs...)
	for len(r.queue) > 0 {
		msg := r.queue[0]
		r.queue = r.queue[1:]
		var cmd tea.Cmd
		r.m, cmd = r.m.Update(msg)
		r.run(cmd)
	}
	return r
}

// keys sends each key in turn: names of special keys, or text typed one
// rune at a time.
func (r *runner) keys(keys ...string) *runner {
	for _, k := range keys {
		for _, msg := range keyMsgs(k) {
			r.send(msg)
		}
	}
	return r
}

var specialKeys = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "up": tea.KeyUp, "down": tea.KeyDown,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC, "ctrl+r": tea.KeyCtrlR,
}

func keyMsgs(k string) []tea.Msg {
	if t, ok := specialKeys[k]; ok {
		return []tea.Msg{tea.KeyMsg{Type: t}}
	}
	var out []tea.Msg
	for _, c := range k {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{c}})
	}
	return out
}

func (r *runner) view() string { return r.m.View() }

// selectedLine is the line with the cursor marker.
func (r *runner) selectedLine() string {
	for _, l := range strings.Split(r.view(), "\n") {
		if strings.HasPrefix(l, marker) {
			return l
		}
	}
	return ""
}

func (r *runner) wantSelected(prefix string) {
	r.t.Helper()
	if got := strings.TrimPrefix(r.selectedLine(), marker); !strings.HasPrefix(got, prefix) {
		r.t.Errorf("selected row = %q, want it to start with %q\n%s", got, prefix, r.view())
	}
}

func (r *runner) wantView(substr string) {
	r.t.Helper()
	if !strings.Contains(r.view(), substr) {
		r.t.Errorf("screen lacks %q:\n%s", substr, r.view())
	}
}

// wantFits checks the view is the terminal's size: h lines, none wider
// than w.
func (r *runner) wantFits(w, h int, what string) {
	r.t.Helper()
	lines := strings.Split(r.view(), "\n")
	if len(lines) != h {
		r.t.Errorf("%dx%d %s: %d lines", w, h, what, len(lines))
	}
	for _, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			r.t.Errorf("%dx%d %s: line of %d: %q", w, h, what, n, l)
		}
	}
}
