package store

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// update runs fn in a read-write transaction, retrying when a concurrent
// transaction changed what fn read (Badger's serialisable conflicts).
func (s *Store) update(fn func(txn *badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || attempt == 50 {
			return wrapWriteErr(err)
		}
	}
}

func (s *Store) view(fn func(txn *badger.Txn) error) error { return s.db.View(fn) }

// wrapWriteErr turns storage failures into messages that say what to do;
// Badger's own text ("no space left on device") is kept for the detail.
// Refusals by the rules pass through unchanged.
func wrapWriteErr(err error) error {
	switch {
	case err == nil || model.IsRefusal(err) || errors.Is(err, errDamaged):
		return err
	case errors.Is(err, badger.ErrConflict):
		return fmt.Errorf("%w: the database was too busy to save this; nothing was changed", model.ErrTryAgain)
	}
	return fmt.Errorf("saving failed, nothing was changed (%w); free disk space or check the database directory, then try again", err)
}
