package store

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
)

// update runs fn in a read-write transaction of the engine, which retries
// it when a concurrent transaction changed what fn read. What fn writes is
// classified as it goes (changeOf) and sent to every watcher, in this
// process and others on the same database, when the transaction commits.
func (s *Store) update(fn func(txn engine.Txn) error) error {
	return wrapWriteErr(s.eng.Update(func(txn engine.Txn) error {
		w := &watched{Txn: txn}
		if err := fn(w); err != nil {
			return err
		}
		if !w.change.Empty() {
			txn.Notify(w.change.encode())
		}
		return nil
	}))
}

func (s *Store) view(fn func(txn engine.Txn) error) error { return s.eng.View(fn) }

// watched is a transaction that notes which kinds of records it writes.
type watched struct {
	engine.Txn
	change Change
}

func (w *watched) Set(k, v []byte) error {
	changeOf(&w.change, string(k))
	return w.Txn.Set(k, v)
}

func (w *watched) Delete(k []byte) error {
	changeOf(&w.change, string(k))
	return w.Txn.Delete(k)
}

// wrapWriteErr marks storage failures ErrNotSaved, keeping the engine's
// own words ("no space left on device") and sentinels for the detail.
// Refusals by the rules pass through unchanged, and so does a database
// server that stopped answering: its error says whether the commit may
// have happened, which "nothing was changed" would contradict.
func wrapWriteErr(err error) error {
	switch {
	case err == nil || model.IsRefusal(err) || errors.Is(err, errDamaged) || errors.Is(err, engine.ErrDiskFull) ||
		errors.Is(err, engine.ErrNotSaved) || errors.Is(err, engine.ErrUnreachable):
		return err
	}
	return fmt.Errorf("%w (%w)", ErrNotSaved, err)
}
