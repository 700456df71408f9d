package tui

import (
	"context"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// tickingStore is the fixture on a clock that moves a second per reading,
// so audit entries made one after another sort in the order made.
func tickingStore(t testing.TB) *store.Store {
	var n atomic.Int64
	return fixtureStoreClock(t, func() time.Time { return fixed.Add(time.Duration(n.Add(1)) * time.Second) })
}

// TestTUIAuditEntryOperatorAsDan (issue 11 points 5 and 6): the operator
// runs Dan's takeover in the wizard, typing his address. The audit log
// names both, a check entry shows its outcome in the list, and enter on
// it shows each DNS server's answer.
func TestTUIAuditEntryOperatorAsDan(t *testing.T) {
	st := tickingStore(t)
	oc, opts := demoDNS(t, st, demo.Bellows)
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 120, 40)
	r.keys("/", "bel", "enter", "enter", "t", "enter")
	r.wantView("Admin address")
	r.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	r.keys(demo.Dan, "enter")
	r.wantView("Create this record")
	r.keys("enter") // checked before it is published
	r.wantView("Not verified yet.")
	r.keys("esc", "p", "enter")
	r.wantView("Verified.")
	r.keys("enter")
	r.wantView("is now managed")
	r.keys("enter", "a")
	r.wantView("Directories › Audit log")

	dan := "dan@bellowscollege.com"
	// The newest entry is the takeover.
	if l := r.selectedLine(); !strings.Contains(l, "operator as "+dan+"  takeover.internal") {
		t.Errorf("the takeover's entry = %q, want it made by the operator as %s", l, dan)
	}
	r.wantView("operator as " + dan + "  challenge.issue")
	r.wantView("domain.check       bellowscollege.com  found at 1 of 1 server")
	r.wantView("domain.check       bellowscollege.com  missing at 1 of 1 ser")

	// Down to the failed check.
	for i := 0; i < 10 && !strings.Contains(r.selectedLine(), "missing"); i++ {
		r.keys("down")
	}
	r.keys("enter")
	r.wantView("Directories › Audit log › domain.check bellowscollege.com")
	for _, want := range []string{
		"Actor    operator",
		"As       " + dan + ": operator acted under this admin's name",
		"Outcome  missing at 1 of 1 server",
		"What each DNS server answered for TXT \"MS=",
		"missing     ns1.bellowscollege.com (127.0.0.1:",
		"not published yet",
	} {
		r.wantView(want)
	}
	r.keys("esc")
	r.wantView("Directories › Audit log\n")

	// The takeover, before and after, field by field.
	r.keys("home", "enter")
	r.wantView("Directories › Audit log › takeover.internal bellows0001")
	pad := strings.Repeat(" ", len("switches.allowAdHocSubscriptions")-len("globalAdmins"))
	r.wantView("Changed\n  globalAdmins" + pad + "  none → " + dan + "\n  state")
	r.wantView("unmanaged → managed\n\nUnchanged\n  createdAt")
	r.wantView("2024-12-14 09:26:00 UTC")
	r.wantView("switches.allowAdHocSubscriptions  on")
}

// TestTUIAuditShowsActorAt80 (issue 11 point 4): at 80 columns the audit
// log keeps who acted; the change summary gives way first.
func TestTUIAuditShowsActorAt80(t *testing.T) {
	r := newRunner(t, activityStore(t), Options{}, 80, 24)
	r.keys("a")
	header := strings.Split(r.view(), "\n")[1]
	for _, col := range []string{"TIME", "ACTOR", "ACTION", "TARGET"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %s at 80 columns", header, col)
		}
	}
	r.wantSelected("2025-03-14 12:26:00  operator  service.put")
	r.wantView("settings.change  contoso00001")
}

// TestTUIAuditWrapsAt80 (issue 11 point 4): when who acted, what and on
// what do not fit on one line of 80 columns, each entry takes two lines
// rather than cut them.
func TestTUIAuditWrapsAt80(t *testing.T) {
	oc, opts := auditEntryStore(t)
	r := newConsoleRunner(t, oc, asciiRenderer(), opts, 80, 24)
	r.keys("a")
	r.wantView("\n  TIME                 ACTOR ")
	r.wantView("\n    ACTION             TARGET              CHANGE")
	r.wantSelected("2025-03-14 09:26:")
	if l := r.selectedLine(); !strings.HasSuffix(strings.TrimRight(l, " "), "operator as dan@bellowscollege.com") {
		t.Errorf("selected entry's first line %q, want the whole actor", l)
	}
	r.wantView("    domain.check       bellowscollege.com  missing at 1 of 1 server")
	r.wantView("    challenge.issue    bellowscollege.com  new bellowscollege.com")
	r.wantView("entry 1 of 4")
}

// auditEntryStore holds the check entries of the operator taking
// bellowscollege.com over as Dan: one check before the record was
// published, one after.
func auditEntryStore(t *testing.T) (*ops.Console, Options) {
	oc, opts := demoDNS(t, tickingStore(t), demo.Bellows)
	s := oc.As(ops.Viewer{})
	ch, err := s.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(context.Background(), demo.Bellows, demo.Dan, ops.VerifyOptions{}); err == nil {
		t.Fatal("verified before the record was published")
	}
	if err := opts.Publish(ch.Challenge.Record()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(context.Background(), demo.Bellows, demo.Dan, ops.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	return oc, opts
}

// How long a server took differs from run to run.
var rttRE = regexp.MustCompile(`in [0-9.]+[µm]?s`)

func TestTUIAuditEntryGolden(t *testing.T) {
	mask := func(_ *store.Store, s string) string { return rttRE.ReplaceAllString(maskWizard(s), "in <rtt>") }
	snapshots(t, auditEntryStore, mask,
		step{want: "1 retired"},
		step{keys: []string{"a"}, want: "entry 1 of"},
		step{keys: []string{"down", "down", "enter"}, want: "What each DNS server answered"})
}

// TestTUIAuditEntryTakeoverExternal (issue 11 point 5): an external
// takeover records the source directory before and {source, target, job}
// after; the entry compares the source field by field, lists the rest,
// and says where in the long text the screen is.
func TestTUIAuditEntryTakeoverExternal(t *testing.T) {
	c := NewCommon(context.Background(), nil, asciiRenderer())
	dir := func(state string, extra ...string) map[string]any {
		d := map[string]any{"id": "contosouk001", "name": "contoso.co.uk", "state": state}
		for i := 0; i+1 < len(extra); i += 2 {
			d[extra[i]] = extra[i+1]
		}
		return d
	}
	e := model.AuditEntry{Time: fixed, Actor: model.Operator, As: "admin@contoso.com", Action: model.ActionTakeoverExt, Target: "contosouk001",
		Before: dir("unmanaged", "job", "j1"),
		After: map[string]any{
			"source": dir("retired", "mergedInto", "contoso00001"),
			"target": map[string]any{"id": "contoso00001", "name": "contoso.com", "state": "managed"},
			"job":    map[string]any{"id": "j1", "moved": 120000.0, "admin": "admin@contoso.com", "by": model.Operator},
		}}
	p := newAuditEntryScreen(c, e)
	p.SetSize(80, 14)
	v := p.View()
	for _, want := range []string{
		"Changed\n  job         j1 → none\n  mergedInto  none → contoso00001\n  state       unmanaged → retired",
		"Unchanged\n  id          contosouk001\n",
		"lines 1–13 of 23",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("entry lacks %q:\n%s", want, v)
		}
	}
	p.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	v = p.View()
	// The last page ends at the last line.
	for _, want := range []string{"Also recorded\n  job.admin     admin@contoso.com", "job.moved     120,000", "target.name   contoso.com", "lines 11–23 of 23"} {
		if !strings.Contains(v, want) {
			t.Errorf("second page lacks %q:\n%s", want, v)
		}
	}
}
