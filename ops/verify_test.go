package ops_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"selfserve/demo"
	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

// fixture is a store with Dan signed up at bellowscollege.com and a demo
// DNS server authoritative for it.
func fixture(t *testing.T) (*ops.Console, *demo.DNS) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := demo.StartDNS("", demo.Bellows)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c := &ops.Console{Store: st, PollStart: 20 * time.Millisecond,
		DNS: dnscheck.Checker{Resolver: d.Addr, Port: d.Port, Timeout: time.Second, Lab: true}}
	ctx := context.Background()
	if _, err := c.SignupStart(ctx, demo.Dan, "rms"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Outbox()
	code := msgs[len(msgs)-1].Subject[len(msgs[len(msgs)-1].Subject)-6:]
	if _, err := c.SignupVerify(demo.Dan, code); err != nil {
		t.Fatal(err)
	}
	return c, d
}

func TestVerifyWaitsForTheRecord(t *testing.T) {
	c, d := fixture(t)
	ch, err := c.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, "")
	if err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	opt := ops.VerifyOptions{Wait: 10 * time.Second, Progress: func(a ops.Attempt) {
		if attempts.Add(1) == 3 {
			// The admin's change reaches DNS while selfserve waits.
			d.Publish(ch.Challenge.Record())
		}
		if a.Result.Verified() || a.Next <= 0 {
			t.Errorf("progress for a check that should end the wait: %+v", a)
		}
	}}
	rep, err := c.Verify(context.Background(), demo.Bellows, demo.Dan, opt)
	if err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 3 || rep.Directory.State != model.Managed {
		t.Fatalf("after %d failed checks: %+v", attempts.Load(), rep)
	}
	entries, _ := c.Store.Audit(time.Time{}, 0)
	checks := 0
	for _, e := range entries {
		if e.Action == "domain.check" {
			checks++
		}
	}
	if checks != 4 {
		t.Errorf("every check is audited: %d entries, want 4", checks)
	}
}

func TestVerifyWaitGivesUpAtTheDeadline(t *testing.T) {
	c, _ := fixture(t)
	if _, err := c.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, ""); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := c.Verify(context.Background(), demo.Bellows, demo.Dan, ops.VerifyOptions{Wait: 300 * time.Millisecond})
	if !errors.Is(err, model.ErrNotVerified) || rep.Check == nil || rep.Check.Outcome != dnscheck.Missing {
		t.Fatalf("never published: %+v %v", rep.Check, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("gave up after %s, the wait was 300ms", took)
	}
	if !strings.Contains(err.Error(), "not published yet") {
		t.Errorf("the message should say what to do: %v", err)
	}
}

func TestVerifyStopsAtTheRateLimit(t *testing.T) {
	c, _ := fixture(t)
	if _, err := c.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, ""); err != nil {
		t.Fatal(err)
	}
	// Another admin's checks of the domain do not spend Dan's budget.
	for range store.MaxChecksPerDomain {
		if err := c.Store.CountCheck(demo.Bellows, "eve@bellowscollege.com"); err != nil {
			t.Fatal(err)
		}
	}
	// Dan has been checking a lot already: one check is left.
	for range store.MaxChecksPerDomain - 1 {
		if err := c.Store.CountCheck(demo.Bellows, "dan@bellowscollege.com"); err != nil {
			t.Fatal(err)
		}
	}
	var progress int
	_, err := c.Verify(context.Background(), demo.Bellows, demo.Dan, ops.VerifyOptions{Wait: time.Minute,
		Progress: func(ops.Attempt) { progress++ }})
	if progress != 1 {
		t.Errorf("one check should have run before the limit, ran %d", progress)
	}
	if !errors.Is(err, model.ErrRefused) || !strings.Contains(err.Error(), "DNS checks") {
		t.Fatalf("polling past the per-domain limit: %v", err)
	}
}

func TestRecheckFlagsAVanishedRecord(t *testing.T) {
	c, d := fixture(t)
	ch, _ := c.Challenge(demo.Bellows, demo.Dan, model.ModeMX, "")
	d.Publish(ch.Challenge.Record())
	ctx := context.Background()
	if _, err := c.Verify(ctx, demo.Bellows, demo.Dan, ops.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	done, err := c.Recheck(ctx, time.Hour, false, time.Second)
	if err != nil || len(done) != 0 {
		t.Fatalf("checked just now, not due: %+v %v", done, err)
	}
	done, err = c.Recheck(ctx, time.Hour, true, time.Second)
	if err != nil || len(done) != 1 || done[0].Domain.Flagged {
		t.Fatalf("record still there: %+v %v", done, err)
	}
	d.Clear() // the admin removes the record
	done, err = c.Recheck(ctx, time.Hour, true, time.Second)
	if err != nil || len(done) != 1 || !done[0].Domain.Flagged || !done[0].Domain.Verified {
		t.Fatalf("record gone: %+v %v", done, err)
	}
	sum, _ := c.Store.Summary(demo.Bellows)
	if sum.State != model.Managed || !sum.DomainRecords[0].Flagged {
		t.Fatalf("the directory shows the flag and stays managed: %+v", sum)
	}
}
