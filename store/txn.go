package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// update runs fn in a read-write transaction, retrying when a concurrent
// transaction changed what fn read (Badger's serialisable conflicts).
//
// Retries wait a random time up to a bound that doubles with each
// conflict ("full jitter"): retrying at once makes the transactions that
// just collided collide again, and under 64 concurrent sign-ups into one
// directory some used to give up after 50 immediate retries (issue 10
// point 10). The counters that caused that are sharded now (counters.go);
// the back-off is for whatever contention is left, such as wrong codes
// racing for one domain's budget.
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	if err := s.checkSpace(); err != nil {
		return err
	}
	deadline := time.Now().Add(retryFor)
	for bound := retryFirst; ; bound = min(2*bound, retryMax) {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || time.Now().After(deadline) {
			return wrapWriteErr(err)
		}
		time.Sleep(rand.N(bound))
	}
}

// The back-off of update: the first bound is about one synced commit, the
// largest keeps one wait short next to what a person notices, and
// conflicts for longer than retryFor end in ErrTryAgain.
const (
	retryFirst = time.Millisecond
	retryMax   = 100 * time.Millisecond
	retryFor   = 10 * time.Second
)

func (s *Store) view(fn func(txn *badger.Txn) error) error { return s.db.View(fn) }

// wrapWriteErr marks storage failures ErrNotSaved; Badger's own text ("no
// space left on device") is kept for the detail.
// Refusals by the rules pass through unchanged.
func wrapWriteErr(err error) error {
	switch {
	case err == nil || model.IsRefusal(err) || errors.Is(err, errDamaged):
		return err
	case errors.Is(err, badger.ErrConflict):
		return fmt.Errorf("%w: the database was too busy to save this; nothing was changed", model.ErrTryAgain)
	}
	return fmt.Errorf("%w (%w)", ErrNotSaved, err)
}
