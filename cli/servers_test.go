package cli_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/ops/mailtest"
	"selfserve/store"
	"selfserve/store/engine/postgres/pgtest"
)

// changeLog keeps the time each change a watcher heard of arrived.
type changeLog struct {
	mu   sync.Mutex
	seen []struct {
		at time.Time
		ch store.Change
	}
}

// watchChanges records what w hears until ctx ends.
func (l *changeLog) watch(ctx context.Context, w *store.Watcher) {
	for {
		ch, err := w.Next(ctx)
		if err != nil {
			return
		}
		l.mu.Lock()
		l.seen = append(l.seen, struct {
			at time.Time
			ch store.Change
		}{time.Now(), ch})
		l.mu.Unlock()
	}
}

// directory waits up to wait for a change naming the directory id, and
// returns when it arrived.
func (l *changeLog) directory(id string, wait time.Duration) (time.Time, bool) {
	for deadline := time.Now().Add(wait); ; time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		for _, s := range l.seen {
			if s.ch.Directory(id) {
				l.mu.Unlock()
				return s.at, true
			}
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
	}
}

// verifiedSignup starts a sign-up through s, reads its code from the
// outbox with the binary (a process of its own, no socket), verifies it
// through s and returns the directory the user joined, with when the 201
// was sent and received.
func verifiedSignup(t *testing.T, bin, url string, s *server, email string) (dir directory, sent, created time.Time) {
	t.Helper()
	if code, err := s.post("/v1/signups", map[string]string{"email": email, "service": "rms"}, nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("start %s through %s: %d %v", email, s.url, code, err)
	}
	var msgs []message
	binJSON(t, bin, url, &msgs, "outbox")
	var code string
	for _, m := range msgs {
		if strings.EqualFold(m.To, email) {
			code = codeFrom(t, m)
		}
	}
	if code == "" {
		t.Fatalf("no code for %s in the outbox: %+v", email, msgs)
	}
	var done struct {
		Directory directory `json:"directory"`
	}
	sent = time.Now()
	if status, err := s.post("/v1/signups/verify", map[string]string{"email": email, "code": code}, &done); err != nil || status != http.StatusCreated {
		t.Fatalf("verify %s through %s: %d %v", email, s.url, status, err)
	}
	return done.Directory, sent, time.Now()
}

// Two `selfserve serve` processes on one PostgreSQL database (issue 13
// point 3): a sign-up through one reaches a watcher of a third store
// within a second of its 201 and shows in `directory list`, run as a
// process of its own while both serve; a sign-up through the other joins
// the same directory; each code mail is delivered once, by one of the
// two couriers; both stop on SIGTERM with status 0.
func TestTwoServersOnOneDatabase(t *testing.T) {
	url := pgtest.URL(t)
	bin := buildBinary(t)
	relay, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	a := startServe(t, bin, url, relay.Addr)
	b := startServe(t, bin, url, relay.Addr)

	// A console on a third machine, as it sees the database.
	st, err := store.Open(url, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w, err := st.Watch()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var changes changeLog
	watched := make(chan struct{})
	go func() { changes.watch(ctx, w); close(watched) }()
	t.Cleanup(func() { cancel(); <-watched })

	dir, sent, created := verifiedSignup(t, bin, url, a, "dan@bellowscollege.com")
	if dir.Name != "bellowscollege.com" || dir.ID == "" {
		t.Fatalf("the sign-up through the first server made %+v", dir)
	}
	heard, ok := changes.directory(dir.ID, 10*time.Second)
	if !ok {
		t.Fatalf("the watcher of a third store never heard of directory %s", dir.ID)
	}
	// The commit's notice may reach the watcher before the 201 reaches
	// the test: the latency is counted from the request.
	t.Logf("the watcher heard of the sign-up %s after the verify was sent (the 201 came after %s)", heard.Sub(sent), created.Sub(sent))
	if heard.Sub(created) > time.Second {
		t.Errorf("the watcher heard of the sign-up %s after the 201; want within a second", heard.Sub(created))
	}

	var list []directory
	binJSON(t, bin, url, &list, "directory", "list")
	listed := time.Since(created)
	if _, found := findDirectory(list, "bellowscollege.com"); !found {
		t.Fatalf("directory list while both serve: %+v", list)
	}
	t.Logf("directory list, a process of its own, showed it %s after the 201", listed)

	other, _, _ := verifiedSignup(t, bin, url, b, "ann@bellowscollege.com")
	if other.ID != dir.ID {
		t.Errorf("the sign-up through the second server joined %+v, want the first's %s", other, dir.ID)
	}
	if r := binRun(t, bin, url, "directory", "list"); r.code != 0 || !strings.Contains(r.stdout, "bellowscollege.com") {
		t.Errorf("directory list while both serve: %s", r)
	}

	// One courier of the two delivered each code mail, once.
	mctx, mcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer mcancel()
	if got, err := relay.Wait(mctx, func(m []mailtest.Mail) bool { return len(m) >= 2 }); err != nil {
		t.Fatalf("the relay took %+v: %v", got, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r := binRun(t, bin, url, "outbox"); strings.Count(r.stdout, "\n  sent\n") < 2; r = binRun(t, bin, url, "outbox") {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox never shows both mails sent: %s", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := relay.Received(); len(got) != 2 || strings.EqualFold(got[0].To, got[1].To) {
		t.Errorf("the relay took %+v; want one mail to each address", got)
	}

	a.terminate(t)
	b.terminate(t)
}
