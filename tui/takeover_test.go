package tui

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/demo"
	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// demoDNS starts the demo's authoritative server for domains and returns
// the console over st and the options the demo console runs with.
func demoDNS(t testing.TB, st *store.Store, domains ...string) (*ops.Console, Options) {
	t.Helper()
	_, oc, opts := startDemoDNS(t, st, domains...)
	return oc, opts
}

// startDemoDNS is demoDNS with the server, for tests that change what it
// serves behind the console's back.
func startDemoDNS(t testing.TB, st *store.Store, domains ...string) (*demo.DNS, *ops.Console, Options) {
	t.Helper()
	d, err := demo.StartDNS("", domains...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, &ops.Console{Store: st, DNS: dnscheck.Checker{Resolver: d.Addr, Port: d.Port, Timeout: time.Second, Lab: true}}, Options{Publish: d.Publish}
}

// Tokens are random, and so are the DNS server's port and job ids.
var (
	tokenRE = regexp.MustCompile(`MS=[0-9A-F]{40}|ms[0-9]+\.msv1\.invalid\.`)
	portRE  = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

func maskWizard(s string) string {
	return portRE.ReplaceAllString(tokenRE.ReplaceAllString(s, "<token>"), "127.0.0.1:<port>")
}

// snapshotWizard is snapshots with a fresh demo DNS server per size, so
// one size's published record is not another's.
func snapshotWizard(t *testing.T, steps ...step) {
	setup := func(t *testing.T) (*ops.Console, Options) {
		return demoDNS(t, fixtureStore(t), "bellowscollege.com", "contoso.co.uk")
	}
	snapshots(t, setup, func(_ *store.Store, s string) string { return maskWizard(s) }, steps...)
}

// Dan's internal takeover, step by step: each golden below stops at a
// later step of the same walk.
var (
	bellowsKind = []step{
		{want: "1 retired"},
		{keys: []string{"/", "bel", "enter", "enter"}, want: "user 1 of 41"},
		{keys: []string{"t"}, want: "What kind of takeover?"},
	}
	bellowsRecord = append(slices.Clone(bellowsKind),
		step{keys: []string{"enter"}, want: "Admin address"},
		step{keys: []string{"enter"}, want: "As a zone-file line"})
	bellowsCheck = append(slices.Clone(bellowsRecord),
		step{keys: []string{"p"}, want: "Published to the demo DNS"},
		step{keys: []string{"enter"}, want: "Verified."})
)

func TestTUITakeoverKindGolden(t *testing.T)   { snapshotWizard(t, bellowsKind...) }
func TestTUITakeoverRecordGolden(t *testing.T) { snapshotWizard(t, bellowsRecord...) }
func TestTUITakeoverCheckGolden(t *testing.T)  { snapshotWizard(t, bellowsCheck...) }
func TestTUITakeoverResultGolden(t *testing.T) {
	// "Done." shows before the header's state is read again: wait for
	// the new state, or the snapshot may catch the old one.
	snapshotWizard(t, append(slices.Clone(bellowsCheck), step{keys: []string{"enter"}, want: "bellowscollege.com  managed"})...)
}

func TestTUITakeoverImpactGolden(t *testing.T) {
	snapshotWizard(t,
		step{want: "1 retired"},
		// The jump reads in a command: wait until it lands, or enter
		// opens the row it left.
		step{keys: []string{"/", "contoso.co"}, want: "> contoso.co.uk"},
		step{keys: []string{"enter", "enter"}, want: "user 1 of 6"},
		step{keys: []string{"t"}, want: "What kind of takeover?"},
		step{keys: []string{"down", "enter"}, want: "into which managed directory"},
		step{keys: []string{"enter"}, want: "Admin address"},
		step{keys: []string{"enter"}, want: "As a zone-file line"},
		step{keys: []string{"p"}, want: "Published to the demo DNS"},
		step{keys: []string{"enter"}, want: "enter shows what the merge would do"},
		step{keys: []string{"enter"}, want: "Blocked by powerbi"})
}

// TestTUITakeoverWizard walks both demo stories through the wizard
// against a real (demo) DNS server: Dan takes bellowscollege.com over,
// then contoso.com's admin merges contoso.co.uk, forced past powerbi.
func TestTUITakeoverWizard(t *testing.T) {
	st := fixtureStore(t)
	oc, opts := demoDNS(t, st, "bellowscollege.com", "contoso.co.uk")
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 120, 40)

	// A managed directory says why not.
	r.keys("/", "contoso.com", "enter", "enter", "t")
	r.wantView("is managed")
	r.keys("esc")

	r.keys("/", "bel", "enter", "enter", "t")
	r.wantView("What kind of takeover?")
	r.keys("enter")
	r.wantView("Admin address: ada.adams@bellowscollege.com")
	r.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	r.keys(demo.Dan, "enter")
	r.wantView("Create this record at the DNS provider of bellowscollege.com")
	r.wantView("IN TXT \"MS=")

	// Checked before it is published: what was found, and r to retry.
	r.keys("enter")
	r.wantView("missing")
	r.wantView("Not verified yet.")
	r.keys("esc") // back to the record
	r.wantView("As a zone-file line")
	r.keys("p")
	r.wantView("Published to the demo DNS")
	r.keys("enter")
	r.wantView("found")
	r.wantView("Verified.")
	r.wantView("enter makes " + demo.Dan + " the global admin")
	r.keys("enter")
	r.wantView("Directory bellowscollege.com is now managed")
	d, err := st.Directory("bellowscollege.com")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != model.Managed || !slices.ContainsFunc(d.GlobalAdmins, func(a string) bool { return strings.EqualFold(a, demo.Dan) }) {
		t.Fatalf("after the wizard: state %s, admins %v; want managed with Dan", d.State, d.GlobalAdmins)
	}
	r.keys("enter")
	if _, ok := r.m.(*app).top().(*directoriesScreen); !ok {
		t.Fatalf("enter after the takeover did not return to the directory list:\n%s", r.view())
	}
	r.wantView("2 managed")

	// External, MX this time, blocked by powerbi until forced.
	r.keys("/", "contoso.co", "enter", "enter", "t", "down", "enter")
	r.wantView("contoso.com")
	r.keys("down", "enter") // bellowscollege.com is managed now, and first
	r.wantView("Admin address: admin@contoso.com")
	r.keys("enter", "m")
	r.wantView("IN MX 32767 ms")
	r.keys("p", "enter")
	r.wantView("enter shows what the merge would do")
	r.keys("enter")
	r.wantView("Blocked by powerbi")
	r.wantView("Forcing the merge (f) drops 3 grants (powerbi)")
	r.keys("f")
	r.wantView("Type y to drop 3 grants")
	r.keys("y")
	r.wantView("Forced: 3 grants (powerbi) will be dropped")
	r.keys("enter")
	r.wantView("Merged. contoso.co.uk is now a verified domain of managed directory")
	r.wantView("contoso.com")
	r.wantView("6 / 6 users")
	r.wantView("3 grants dropped")
	sum, err := st.Summary("contosouk001")
	if err != nil {
		t.Fatal(err)
	}
	if sum.State != model.Retired {
		t.Fatalf("contoso.co.uk is %s after the merge, want retired", sum.State)
	}
	r.keys("enter")
	r.wantView("Directories")
}

// footer is the help line: the keys the console offers now.
func (r *runner) footer() string {
	lines := strings.Split(r.view(), "\n")
	return lines[len(lines)-1]
}

// wantOffers checks the help line offers each key in want and none in
// dead (issue 11 point 8: only offer keys that work).
func (r *runner) wantOffers(want, dead []string) {
	r.t.Helper()
	f := r.footer()
	for _, k := range want {
		if !strings.Contains(f, k) {
			r.t.Errorf("help line %q does not offer %q", f, k)
		}
	}
	for _, k := range dead {
		if strings.Contains(f, k) {
			r.t.Errorf("help line %q offers %q, which does nothing here", f, k)
		}
	}
}

// wantWhole checks no line of the screen is cut off with an ellipsis.
func (r *runner) wantWhole() {
	r.t.Helper()
	for _, l := range strings.Split(r.view(), "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
			r.t.Errorf("line cut off: %q\n%s", l, r.view())
		}
	}
}

// typeOver replaces the admin address the wizard offers with addr.
func typeOver(prefill, addr string) []string {
	keys := slices.Repeat([]string{"backspace"}, len(prefill))
	return append(keys, addr, "enter")
}

// nonMember is the refusal of an internal takeover by someone who is not
// one of the directory's users: the wizard shows it once, whole, with
// advice in console words and only the keys that still do something.
var nonMember = append(slices.Clone(bellowsKind),
	step{keys: []string{"enter"}, want: "Admin address"},
	step{keys: typeOver("ada.adams@bellowscollege.com", "nobody@bellowscollege.com"), want: "choose External"})

func TestTUITakeoverRefusalGolden(t *testing.T) { snapshotWizard(t, nonMember...) }

func TestTUITakeoverRefusalOnce(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{120, 40}, {80, 24}, {60, 16}} {
		oc, opts := demoDNS(t, fixtureStore(t), "bellowscollege.com")
		r := newConsoleRunner(t, oc, asciiRenderer(), opts, sz.w, sz.h)
		r.keys("/", "bel", "enter", "enter", "t", "enter")
		r.keys(typeOver("ada.adams@bellowscollege.com", "nobody@bellowscollege.com")...)
		flat := strings.Join(strings.Fields(r.view()), " ")
		if n := strings.Count(flat, "is not a user of"); n != 1 {
			t.Errorf("%dx%d: the refusal shows %d times, want once:\n%s", sz.w, sz.h, n, r.view())
		}
		for _, whole := range []string{"nobody@bellowscollege.com is not a user of bellowscollege.com with an address at bellowscollege.com", "choose External and pick your directory"} {
			if !strings.Contains(flat, whole) {
				t.Errorf("%dx%d: screen lacks %q in full:\n%s", sz.w, sz.h, whole, r.view())
			}
		}
		for _, cli := range []string{"--into", "selfserve ", "step 2", "step 1"} {
			if strings.Contains(flat, cli) {
				t.Errorf("%dx%d: console shows %q:\n%s", sz.w, sz.h, cli, r.view())
			}
		}
		r.wantWhole()
		r.wantOffers([]string{"esc back"}, []string{"enter", "m TXT/MX", "p publish", "r check again", "r try again"})
	}
}

// TestTUITakeoverAdminRefusal: an admin signed in with a key, who is
// never asked whom to act as, is refused an internal takeover of a
// directory not theirs with advice that names no step they never saw.
func TestTUITakeoverAdminRefusal(t *testing.T) {
	r := newRunner(t, fixtureStore(t), Options{Viewer: viewer(t, "admin@contoso.com")}, 80, 24)
	r.keys(":claim contoso.co.uk", "enter")
	r.wantView("What kind of takeover?")
	r.keys("enter")
	r.wantView("admin@contoso.com is not a user of contoso.co.uk")
	r.wantView("choose External and pick your directory")
	for _, wrong := range []string{"step 2", "type another address", "Act as"} {
		if strings.Contains(r.view(), wrong) {
			t.Errorf("an admin is told %q:\n%s", wrong, r.view())
		}
	}
	r.wantWhole()
	r.keys("esc")
	r.wantView("What kind of takeover?") // where External is
}

// TestTUITakeoverCheckAgain: a check that finds nothing offers what
// fixes it, and those keys work: p publishes to the demo DNS and checks
// again, r checks again.
func TestTUITakeoverCheckAgain(t *testing.T) {
	oc, opts := demoDNS(t, fixtureStore(t), "bellowscollege.com")
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 80, 24)
	r.keys("/", "bel", "enter", "enter", "t", "enter", "enter")
	r.wantView("As a zone-file line")
	r.keys("enter")
	r.wantView("Not verified yet")
	r.wantOffers([]string{"r check again", "p publish", "esc back"}, []string{"enter next"})
	r.keys("r")
	r.wantView("Not verified yet (check 2).")
	r.keys("p")
	r.wantView("Verified.")
	r.wantView("found")
	r.wantOffers([]string{"enter next"}, []string{"p publish"})
}

// TestTUITakeoverNewChallenge: a challenge that expired before it was
// checked is replaced with c, the key the advice names.
func TestTUITakeoverNewChallenge(t *testing.T) {
	var later atomic.Int64
	st := fixtureStoreClock(t, func() time.Time { return fixed.Add(time.Duration(later.Load())) })
	oc, opts := demoDNS(t, st, "bellowscollege.com")
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 80, 24)
	r.keys("/", "bel", "enter", "enter", "t", "enter", "enter", "p")
	r.wantView("Published to the demo DNS")
	r.wantWhole() // the note wraps in the status line
	old := tokenRE.FindString(r.view())
	later.Store(int64(8 * 24 * time.Hour))
	r.keys("enter")
	r.wantView("expired")
	r.wantView("Press c to issue a new challenge")
	r.wantOffers([]string{"c new challenge"}, []string{"enter next"})
	r.keys("c")
	r.wantView("As a zone-file line")
	if now := tokenRE.FindString(r.view()); now == "" || now == old {
		t.Errorf("c showed token %q, want a new one (was %q):\n%s", now, old, r.view())
	}
	r.keys("p", "enter")
	r.wantView("Verified.")
}

// TestTUITakeoverRunRefused: a takeover refused when it runs (the
// record vanished after the check) says so once with its advice, and the
// keys it names work from there: p publishes and checks again, and the
// takeover then goes through.
func TestTUITakeoverRunRefused(t *testing.T) {
	st := fixtureStore(t)
	d, oc, opts := startDemoDNS(t, st, "bellowscollege.com")
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 80, 24)
	r.keys("/", "bel", "enter", "enter", "t", "enter", "enter", "p", "enter")
	r.wantView("Verified.")
	d.Clear()
	r.keys("enter")
	r.wantView("The takeover did not happen")
	r.wantView("Press p to publish the record to the demo DNS")
	r.wantOffers([]string{"enter directory list", "r check again", "p publish"}, []string{"esc back", "c new challenge"})
	r.keys("p")
	r.wantView("Verified.")
	r.keys("enter")
	r.wantView("Directory bellowscollege.com is now managed")
}

// TestTUITakeoverForceOnce: arming the force says so once, and enter
// on a blocked merge is not offered before it is forced.
func TestTUITakeoverForceOnce(t *testing.T) {
	oc, opts := demoDNS(t, fixtureStore(t), "contoso.co.uk")
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 80, 24)
	r.keys("/", "contoso.co", "enter", "enter", "t", "down", "enter", "enter", "enter", "p", "enter", "enter")
	r.wantView("Blocked by powerbi")
	r.wantOffers([]string{"f force", "esc back"}, []string{"enter"})
	r.keys("f", "y")
	if n := strings.Count(r.view(), "will be dropped"); n != 1 {
		t.Errorf("the force is announced %d times, want once:\n%s", n, r.view())
	}
	r.wantOffers([]string{"enter"}, []string{"f force"})
	r.wantWhole()
}

// TestTUITakeoverBigNumbers: the impact and the progress of a
// 120,000-user merge show their numbers whole, in the one number format.
func TestTUITakeoverBigNumbers(t *testing.T) {
	for _, w := range []int{120, 80, 60} {
		c := NewCommon(nil, (&ops.Console{Store: fixtureStore(t)}).As(ops.Viewer{}), asciiRenderer())
		c.SetSize(w, 20)
		tk := newTakeoverScreen(c, "contosouk001")
		tk.external, tk.step = true, stepImpact
		tk.check = &ops.VerifyReport{Impact: &model.Impact{Users: 120000, Services: []model.ServiceImpact{
			{Service: "rms", Policy: model.Remap, Users: 120000}, {Service: "sharepoint", Policy: model.Migrate, Users: 13000}}}}
		view := strings.Join(tk.viewImpact(20), "\n")
		for _, want := range []string{"120,000 users move", "  120,000  ", "   13,000  "} {
			if !strings.Contains(view, want) {
				t.Errorf("width %d: impact lacks %q:\n%s", w, want, view)
			}
		}
		if strings.Contains(view, "…") {
			t.Errorf("width %d: impact cut off:\n%s", w, view)
		}
		bar := progressBar(13000, 120000, w-4)
		if !strings.Contains(bar, "13,000 / 120,000 users") || textWidth(bar) > w {
			t.Errorf("width %d: progress bar %q, want 13,000 / 120,000 users within the width", w, bar)
		}
	}
}

// TestTUITakeoverReadsInCmd: the wizard reads its directory in a
// command, not when it is built (issue 11 point 1), so it shows the
// directory as it is when the screen opens.
func TestTUITakeoverReadsInCmd(t *testing.T) {
	st := fixtureStore(t)
	c := NewCommon(nil, (&ops.Console{Store: st}).As(ops.Viewer{}), asciiRenderer())
	c.SetSize(80, 20)
	tk := newTakeoverScreen(c, "late00000001")
	l := st.NewLoader()
	l.Directory(model.Directory{ID: "late00000001", Name: "late.example", State: model.Unmanaged, Domains: []string{"late.example"}, CreatedAt: fixed})
	for _, who := range []string{"ann", "bob"} {
		l.User(model.User{ID: "late-" + who, Email: who + "@late.example", Directory: "late00000001", Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: fixed})
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	cmd := tk.Init()
	if cmd == nil {
		t.Fatal("Init reads nothing: the wizard read its directory when it was built")
	}
	tk.Update(cmd())
	if v := tk.View(); !strings.Contains(v, "Take over late.example  unmanaged · 2 users") {
		t.Errorf("after Init the wizard shows:\n%s\nwant late.example with 2 users, read when the screen opened", v)
	}
}

// TestTUITakeoverLosingAccess: who loses access fills the room left
// and counts the rest, quickly even for a million names.
func TestTUITakeoverLosingAccess(t *testing.T) {
	who := make([]string, 1000000)
	for i := range who {
		who[i] = fmt.Sprintf("user%07d@contoso.co.uk", i)
	}
	start := time.Now()
	lines := names("Losing access: ", who, 80, 3)
	if d := time.Since(start); d > time.Second {
		t.Errorf("naming took %v", d)
	}
	if len(lines) != 3 || !strings.HasSuffix(lines[2], "more") || !strings.Contains(strings.Join(lines, " "), "user0000000@contoso.co.uk") {
		t.Errorf("got %q, want three lines from the first name that count the rest", lines)
	}
	for _, l := range lines {
		if textWidth(l) > 80 {
			t.Errorf("line %q is wider than 80", l)
		}
	}
}
