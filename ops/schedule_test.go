package ops_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/ops/metrics"
	"selfserve/store"
)

// A server re-checks verified domains on its own once their check is
// older than the configured interval, and flags one whose record is gone.
func TestScheduleRechecksAndFlags(t *testing.T) {
	c, d := fixture(t)
	c.Metrics = metrics.New()
	ch, _ := c.Challenge(demo.Bellows, demo.Dan, model.ModeTXT, "")
	d.Publish(ch.Challenge.Record())
	ctx := context.Background()
	if _, err := c.Verify(ctx, demo.Bellows, demo.Dan, ops.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.SetDNSConfig(model.Operator, func(cfg store.DNSConfig) store.DNSConfig {
		cfg.RecheckInterval = time.Millisecond
		return cfg
	}); err != nil {
		t.Fatal(err)
	}
	d.Clear() // the admin removes the record
	verified := time.Now()
	for time.Since(verified) < 2*time.Millisecond {
		time.Sleep(time.Millisecond) // the check must be older than the interval
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		(&ops.Schedule{Console: c, Every: 10 * time.Millisecond, PerCheck: 5 * time.Second}).Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sum, err := c.Store.Summary(demo.Bellows)
		if err != nil {
			t.Fatal(err)
		}
		if sum.DomainRecords[0].Flagged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedule never flagged %s: %+v", demo.Bellows, sum.DomainRecords[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the schedule does not stop with its context")
	}
	rec := httptest.NewRecorder()
	c.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`selfserve_dns_checks_total{kind="recheck"`, `selfserve_dns_checks_total{kind="challenge",outcome="found"} 1`,
		`selfserve_takeovers_total{kind="internal",result="done"} 1`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
