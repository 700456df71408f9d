package ops_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/ops"
	"selfserve/ops/mailtest"
	"selfserve/store"
	"selfserve/store/engine/postgres/pgtest"
)

// The mail courier on several servers of one PostgreSQL database (issue
// 13 point 3): the couriers of two stores opened on one database are two
// servers' couriers, and the courier's lease lets one deliver at a time.

// countingMailer is one server's way to the relay: it counts what it
// delivered, and its pause, when set, runs before each delivery.
type countingMailer struct {
	ops.Mailer
	sent  atomic.Int64
	pause func()
}

func (m *countingMailer) Send(ctx context.Context, msg model.Message) error {
	if m.pause != nil {
		m.pause()
	}
	err := m.Mailer.Send(ctx, msg)
	if err == nil {
		m.sent.Add(1)
	}
	return err
}

// server is one server's store, console and courier on the database url.
type server struct {
	store   *store.Store
	console *ops.Console
	courier *ops.Courier
	mail    *countingMailer
}

func newServer(t *testing.T, url string, relay *mailtest.Server, clock func() time.Time) *server {
	t.Helper()
	st, err := store.Open(url, store.Options{Create: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := &countingMailer{Mailer: ops.SMTP{Addr: relay.Addr, From: "selfserve@example.com"}}
	return &server{store: st, console: &ops.Console{Store: st, Mail: m, Queue: true}, courier: &ops.Courier{Store: st, Mail: m}, mail: m}
}

func startRelay(t *testing.T) *mailtest.Server {
	t.Helper()
	relay, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	return relay
}

// queueMail starts n sign-ups through the servers in turn, each queueing
// one code mail, to addresses numbered from first.
func queueMail(t *testing.T, first, n int, servers ...*server) {
	t.Helper()
	for i := first; i < first+n; i++ {
		s := servers[i%len(servers)]
		if _, err := s.console.SignupStart(context.Background(), fmt.Sprintf("user%02d@bellowscollege.com", i), "rms"); err != nil {
			t.Fatal(err)
		}
	}
}

// deliveredOnce waits until the relay took n mails and the outbox shows
// them all sent, then checks each address got its mail exactly once.
func deliveredOnce(t *testing.T, relay *mailtest.Server, st *store.Store, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if got, err := relay.Wait(ctx, func(m []mailtest.Mail) bool { return len(m) >= n }); err != nil {
		t.Fatalf("the relay took %d of %d mails: %v", len(got), n, err)
	}
	for {
		msgs, err := st.Outbox()
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, m := range msgs {
			if m.State == model.MailSent {
				sent++
			}
		}
		if sent == n {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the outbox shows %d of %d mails sent", sent, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := map[string]int{}
	for _, m := range relay.Received() {
		got[m.To]++
	}
	for i := range n {
		if to := fmt.Sprintf("user%02d@bellowscollege.com", i); got[to] != 1 {
			t.Errorf("%s got %d mails, want 1", to, got[to])
		}
	}
	if len(relay.Received()) != n {
		t.Errorf("the relay took %d mails, want %d", len(relay.Received()), n)
	}
}

// Two servers' couriers run at once: one delivers; when it stops (its
// context ends) in the middle of the queue, it gives the lease up and the
// other delivers the rest at once, each mail exactly once.
func TestCourierOnTwoServersHandsOverOnStop(t *testing.T) {
	url := pgtest.URL(t)
	relay := startRelay(t)
	servers := []*server{newServer(t, url, relay, nil), newServer(t, url, relay, nil)}
	const n, stopAt = 20, 5
	queueMail(t, 0, n, servers...)

	// The first server to deliver stops before its stopAt-th mail: its
	// context ends there, and the mail under way is finished.
	stopping := make(chan int, 1)
	var stopped atomic.Bool
	cancels := make([]context.CancelFunc, len(servers))
	errs, dones := make([]error, len(servers)), make([]chan struct{}, len(servers))
	for i, s := range servers {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i], dones[i] = cancel, make(chan struct{})
		s.mail.pause = func() {
			if s.mail.sent.Load() == stopAt-1 && stopped.CompareAndSwap(false, true) {
				stopping <- i
				<-ctx.Done()
			}
		}
		go func() { errs[i] = s.courier.Run(ctx); close(dones[i]) }()
		t.Cleanup(func() { cancel(); <-dones[i] })
	}
	var holder int
	select {
	case holder = <-stopping:
	case <-time.After(20 * time.Second):
		t.Fatal("no courier delivered")
	}
	other := servers[1-holder]
	if n := other.mail.sent.Load(); n != 0 {
		t.Errorf("both couriers delivered: the other one %d mails", n)
	}
	cancels[holder]()
	<-dones[holder]
	if err := errs[holder]; err != nil {
		t.Fatalf("the stopped courier: %v", err)
	}
	stoppedAt := time.Now()
	deliveredOnce(t, relay, other.store, n)
	t.Logf("the other server's courier delivered the %d mails left %s after the first one stopped", n-stopAt, time.Since(stoppedAt))
	if got := servers[holder].mail.sent.Load(); got != stopAt {
		t.Errorf("the stopped courier delivered %d mails, want %d", got, stopAt)
	}
	if got := other.mail.sent.Load(); got != n-stopAt {
		t.Errorf("the other courier delivered %d mails, want %d", got, n-stopAt)
	}
}

// A server that dies keeps the courier's lease until it runs out: until
// then the other server's courier delivers nothing; then it delivers
// what the dead one left, each mail once.
func TestCourierOnTwoServersTakesOverFromDeadOne(t *testing.T) {
	url := pgtest.URL(t)
	relay := startRelay(t)
	clock := &movable{now: time.Now()}
	dead, other := newServer(t, url, relay, clock.Now), newServer(t, url, relay, clock.Now)
	ctx := context.Background()
	queueMail(t, 0, 5, dead, other)
	if err := dead.courier.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	// It dies now, holding the lease, with mail still to send.
	dead.store.Close()
	queueMail(t, 5, 5, other)
	if err := other.courier.DeliverDue(ctx); err == nil || other.mail.sent.Load() != 0 {
		t.Fatalf("with the dead server's lease live the other courier delivered %d mails (%v)", other.mail.sent.Load(), err)
	}
	clock.Add(2 * time.Minute) // the courier's lease is a minute
	if err := other.courier.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	deliveredOnce(t, relay, other.store, 10)
	if d, o := dead.mail.sent.Load(), other.mail.sent.Load(); d != 5 || o != 5 {
		t.Errorf("the dead server's courier delivered %d, the other %d; want 5 each", d, o)
	}
}

// A pass longer than the courier's lease (a slow relay, a burst of mail)
// keeps the lease, renewed as it goes: another server's courier does not
// take the mail over in the middle and send again what is on its way.
func TestCourierLongPassKeepsLease(t *testing.T) {
	url := pgtest.URL(t)
	relay := startRelay(t)
	clock := &movable{now: time.Now()}
	holder, other := newServer(t, url, relay, clock.Now), newServer(t, url, relay, clock.Now)
	const n = 5
	queueMail(t, 0, n, holder)
	ctx := context.Background()
	// Each delivery after the first takes 45 s by the clock: the pass
	// lasts three minutes, the lease one.
	holder.mail.pause = func() {
		if holder.mail.sent.Load() == 0 {
			return
		}
		clock.Add(45 * time.Second)
		if holder.mail.sent.Load() == n-2 {
			if err := other.courier.DeliverDue(ctx); err == nil || other.mail.sent.Load() != 0 {
				t.Errorf("in the middle of a long pass another courier delivered %d mails (%v)", other.mail.sent.Load(), err)
			}
		}
	}
	if err := holder.courier.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	deliveredOnce(t, relay, holder.store, n)
}
