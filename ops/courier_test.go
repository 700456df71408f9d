package ops_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/ops/mailtest"
	"selfserve/store"
)

// movable is a clock a test moves past back-off pauses.
type movable struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movable) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *movable) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// queueing is a console that queues mail for a courier delivering to a
// real SMTP server on loopback.
func queueing(t *testing.T, dir string, clock func() time.Time) (*ops.Console, *ops.Courier, *mailtest.Server) {
	t.Helper()
	st, err := store.Open(dir, store.Options{Create: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	relay, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	mail := ops.SMTP{Addr: relay.Addr, From: "selfserve@example.com"}
	return &ops.Console{Store: st, Mail: mail, Queue: true}, &ops.Courier{Store: st, Mail: mail}, relay
}

func stateOf(t *testing.T, st *store.Store, to string) model.Message {
	t.Helper()
	msgs, err := st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.To == to {
			return m
		}
	}
	t.Fatalf("no mail to %s in %+v", to, msgs)
	return model.Message{}
}

// The code mail is queued with its code and delivered by the running
// courier; the outbox shows it sent.
func TestCourierDeliversQueuedMail(t *testing.T) {
	c, courier, relay := queueing(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- courier.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if _, err := c.SignupStart(context.Background(), "dan@bellowscollege.com", "rms"); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	got, err := relay.Wait(wctx, func(m []mailtest.Mail) bool { return len(m) == 1 })
	if err != nil {
		t.Fatalf("no mail delivered: %v (got %+v)", err, got)
	}
	if got[0].To != "dan@bellowscollege.com" || !strings.Contains(got[0].Subject, "sign-up code") {
		t.Errorf("delivered %+v", got[0])
	}
	// The courier settles the mail just after the relay took it.
	deadline := time.Now().Add(30 * time.Second)
	for stateOf(t, c.Store, "dan@bellowscollege.com").State != model.MailSent {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox never shows the mail sent: %+v", stateOf(t, c.Store, "dan@bellowscollege.com"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A relay that says "try later" gets the mail again after the back-off;
// one that refuses for good ends it as failed, once.
func TestCourierRetriesThenGivesUp(t *testing.T) {
	clock := &movable{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	c, courier, relay := queueing(t, t.TempDir(), clock.Now)
	ctx := context.Background()

	relay.Refuse(451)
	if _, err := c.SignupStart(ctx, "dan@bellowscollege.com", "rms"); err != nil {
		t.Fatal(err)
	}
	if err := courier.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	m := stateOf(t, c.Store, "dan@bellowscollege.com")
	if m.State != model.MailQueued || m.Attempts != 1 || !m.Next.After(clock.Now()) || !strings.Contains(m.LastError, "451") {
		t.Fatalf("after a 451: %+v", m)
	}
	// Not due yet: nothing is tried.
	courier.DeliverDue(ctx)
	if m2 := stateOf(t, c.Store, "dan@bellowscollege.com"); m2.Attempts != 1 {
		t.Errorf("tried again before the back-off ended: %+v", m2)
	}
	relay.Refuse(0)
	clock.Add(model.MailRetryAfter(1))
	courier.DeliverDue(ctx)
	if m := stateOf(t, c.Store, "dan@bellowscollege.com"); m.State != model.MailSent || m.Attempts != 2 {
		t.Errorf("after the back-off: %+v", m)
	}
	if n := len(relay.Received()); n != 1 {
		t.Errorf("the relay took %d mails, want 1", n)
	}

	relay.Refuse(550)
	if _, err := c.SignupStart(ctx, "ann@bellowscollege.com", "rms"); err != nil {
		t.Fatal(err)
	}
	courier.DeliverDue(ctx)
	clock.Add(24 * time.Hour)
	courier.DeliverDue(ctx)
	if m := stateOf(t, c.Store, "ann@bellowscollege.com"); m.State != model.MailFailed || m.Attempts != 1 {
		t.Errorf("after a 550: %+v", m)
	}
	if _, ok, _ := c.Store.NextMail(); ok {
		t.Error("a failed mail is still queued")
	}
}

// TestCourierChildQueuesAndDies is the child of
// TestKilledAfterCommitLosesNoMail: it queues a code mail and is killed
// before any courier runs.
func TestCourierChildQueuesAndDies(t *testing.T) {
	dir := os.Getenv("SELFSERVE_COURIER_CHILD")
	if dir == "" {
		t.Skip("run by TestKilledAfterCommitLosesNoMail")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &ops.Console{Store: st, Mail: ops.SMTP{Addr: "127.0.0.1:1"}, Queue: true}
	if _, err := c.SignupStart(context.Background(), "dan@bellowscollege.com", "rms"); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
}

// A process killed (SIGKILL) between the commit of a code and the
// delivery of its mail loses no mail: the next courier sends it.
func TestKilledAfterCommitLosesNoMail(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCourierChildQueuesAndDies$")
	cmd.Env = append(os.Environ(), "SELFSERVE_COURIER_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed after queueing (%v):\n%s", err, out)
	}
	_, courier, relay := queueing(t, dir, nil)
	if err := courier.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := relay.Received(); len(got) != 1 || got[0].To != "dan@bellowscollege.com" {
		t.Errorf("after the restart the relay got %+v", got)
	}
}
