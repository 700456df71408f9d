package store

import (
	"sync"
	"testing"
	"time"

	"selfserve/model"
)

// clock is a settable time source for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	opts.Create = true
	s, err := Open(dbFor(t, dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addr(t testing.TB, s string) model.Address {
	t.Helper()
	a, err := model.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signup runs start and verify, reading the code from the outbox mail.
func signup(t testing.TB, s *Store, email, service string) (SignupResult, error) {
	t.Helper()
	a := addr(t, email)
	var code string
	_, err := s.StartSignup(a, service, false, func(c string) model.Message { code = c; return model.Message{} })
	if err != nil {
		return SignupResult{}, err
	}
	return s.VerifySignup(a, code)
}

func mustSignup(t testing.TB, s *Store, email, service string) SignupResult {
	t.Helper()
	res, err := signup(t, s, email, service)
	if err != nil {
		t.Fatalf("sign-up %s for %s: %v", email, service, err)
	}
	return res
}

func checkInvariants(t testing.TB, s *Store) {
	t.Helper()
	if err := s.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
