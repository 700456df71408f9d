package badger

import (
	"bytes"
	"errors"
	"fmt"

	badgerdb "github.com/dgraph-io/badger/v4"

	"selfserve/store/engine"
)

// txn is one Badger transaction that notes the key ranges it read, so
// that the tables holding them are verified before it returns (verify.go).
type txn struct {
	t     *badgerdb.Txn
	read  []span
	notes []string
}

// span is a key range a transaction read, both ends included.
type span struct{ lo, hi []byte }

// keyMax sorts after every key the store writes: the top of a range
// read to its end.
var keyMax = bytes.Repeat([]byte{0xff}, 16)

func (x *txn) note(lo, hi []byte) {
	x.read = append(x.read, span{lo: bytes.Clone(lo), hi: bytes.Clone(hi)})
}

func (x *txn) Get(k []byte) ([]byte, error) {
	x.note(k, k)
	item, err := x.t.Get(k)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil, engine.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

func (x *txn) GetMany(keys [][]byte) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := x.Get(k)
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (x *txn) Scan(r engine.Range, fn func(k, v []byte) (bool, error)) error {
	if r.Limit <= 0 {
		return fmt.Errorf("scan without a limit")
	}
	it := x.t.NewIterator(badgerdb.IteratorOptions{Reverse: r.Reverse, PrefetchValues: true, PrefetchSize: min(r.Limit, 100)})
	defer it.Close()
	top := r.End
	if top == nil {
		top = keyMax
	}
	var last []byte
	ranOut := true
	switch {
	case !r.Reverse:
		it.Seek(r.Start)
	case r.End == nil:
		it.Rewind()
	default:
		it.Seek(r.End)
	}
	for n := 0; it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if r.Reverse && bytes.Equal(k, r.End) {
			continue // the seek lands on End itself, which is not in the range
		}
		if (!r.Reverse && r.End != nil && bytes.Compare(k, r.End) >= 0) || (r.Reverse && bytes.Compare(k, r.Start) < 0) {
			break
		}
		if n == r.Limit {
			ranOut = false
			break
		}
		n++
		last = item.KeyCopy(last)
		more := true
		err := item.Value(func(v []byte) (err error) {
			more, err = fn(last, v)
			return err
		})
		if err != nil {
			x.noteScan(r, top, last, false)
			return err
		}
		if !more {
			ranOut = false
			break
		}
	}
	x.noteScan(r, top, last, ranOut)
	return nil
}

// noteScan notes what a scan read: from where it started to the last key
// it looked at, or to the range's far end when it ran out of keys (a
// damaged block there could have hidden the next one).
func (x *txn) noteScan(r engine.Range, top, last []byte, ranOut bool) {
	switch {
	case ranOut:
		x.note(r.Start, top)
	case !r.Reverse:
		x.note(r.Start, last)
	default:
		x.note(last, top)
	}
}

func (x *txn) Set(k, v []byte) error { return tooBig(x.t.Set(k, v)) }

func (x *txn) Delete(k []byte) error { return tooBig(x.t.Delete(k)) }

func (x *txn) Notify(msg string) { x.notes = append(x.notes, msg) }

func tooBig(err error) error {
	if errors.Is(err, badgerdb.ErrTxnTooBig) {
		return fmt.Errorf("%w: %w", engine.ErrTooBig, err)
	}
	return err
}

// Update runs fn in a transaction after the free-space guard, retrying
// conflicts, and hands its notes to the listeners once it committed.
func (e *Engine) Update(fn func(engine.Txn) error) error {
	if err := e.checkSpace(); err != nil {
		return err
	}
	var done *txn
	err := engine.Retry(&e.retries, func() error {
		err := e.db.Update(func(t *badgerdb.Txn) error {
			x := &txn{t: t}
			done = x
			return e.checked(x, fn)
		})
		if errors.Is(err, badgerdb.ErrConflict) {
			return fmt.Errorf("%w: %w", engine.ErrConflict, err)
		}
		return tooBig(err)
	})
	if err == nil {
		e.listeners.publish(done.notes)
	}
	return err
}

// View runs fn in a read-only transaction, checked like Update's.
func (e *Engine) View(fn func(engine.Txn) error) error {
	return e.db.View(func(t *badgerdb.Txn) error { return e.checked(&txn{t: t}, fn) })
}

// checked runs fn and then verifies what it read; damage wins over fn's
// own answer, which may be a "not found" the damage caused.
func (e *Engine) checked(x *txn, fn func(engine.Txn) error) error {
	err := fn(x)
	if verr := e.verify(x.read); verr != nil {
		return verr
	}
	return err
}
