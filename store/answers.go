package store

import (
	"errors"
	"sync"
	"time"

	"selfserve/store/engine"
)

// answering remembers the last read of Answers, so that readiness probes
// never pile reads up behind a database server that stopped answering.
type answering struct {
	mu       sync.Mutex
	inFlight bool
	last     bool
	done     chan struct{}
}

// Answers reports whether the database answers a read within wait
// (/readyz). One read is in flight at a time: while it runs past wait,
// callers get the answer before it.
func (s *Store) Answers(wait time.Duration) bool {
	a := &s.answering
	a.mu.Lock()
	if !a.inFlight {
		a.inFlight, a.done = true, make(chan struct{})
		go func(done chan struct{}) {
			err := s.view(func(txn engine.Txn) error {
				_, err := txn.Get([]byte(kSeeded))
				if errors.Is(err, engine.ErrNotFound) {
					return nil
				}
				return err
			})
			a.mu.Lock()
			a.inFlight, a.last = false, err == nil
			a.mu.Unlock()
			close(done)
		}(a.done)
	}
	done := a.done
	a.mu.Unlock()
	select {
	case <-done:
	case <-time.After(wait):
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}
