package tui

import (
	"regexp"
	"selfserve/ops"
	"selfserve/store"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/demo"
	"selfserve/dnscheck"
	"selfserve/model"
)

// demoDNS starts the demo's authoritative server for domains and returns
// the console over st and the options the demo console runs with.
func demoDNS(t testing.TB, st *store.Store, domains ...string) (*ops.Console, Options) {
	t.Helper()
	d, err := demo.StartDNS("", domains...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &ops.Console{Store: st, DNS: dnscheck.Checker{Resolver: d.Addr, Port: d.Port, Timeout: time.Second, Lab: true}}, Options{Publish: d.Publish}
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
	snapshotWizard(t, append(slices.Clone(bellowsCheck), step{keys: []string{"enter"}, want: "Done."})...)
}

func TestTUITakeoverImpactGolden(t *testing.T) {
	snapshotWizard(t,
		step{want: "1 retired"},
		step{keys: []string{"/", "contoso.co", "enter", "enter"}, want: "user 1 of 6"},
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
	r.wantView("Verified. enter makes " + demo.Dan + " the global admin")
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
	r.keys("enter") // refused without force
	r.wantView("press f to force")
	r.keys("f")
	r.wantView("Type y to drop 3 grants")
	r.keys("y")
	r.wantView("Forced: 3 grants will be dropped")
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
