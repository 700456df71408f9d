package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// get decodes the record at k into v; found is false when there is none.
func get(txn *badger.Txn, k []byte, v any) (found bool, err error) {
	item, err := lookup(txn, k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return decode(k, b, v) })
}

// lookup is txn.Get, noted for checkedDB: a damaged block reads as a
// missing key.
func lookup(txn *badger.Txn, k []byte) (*badger.Item, error) {
	noteRead(txn, k, k)
	return txn.Get(k)
}

// errDamaged marks a record or file that cannot be read back: no retry or
// free disk space helps, so it is reported as it is (exported as
// ErrDamaged for the front ends, which add what to do).
var errDamaged = errors.New("database damaged")

// encode is what put stores. The records are plain data, so the only way
// to fail is a value read from a damaged record that JSON can decode but
// not encode (a time zone offset of 24 hours): that is damage too.
func encode(k []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: record %q cannot be written back (%v)", errDamaged, k, err)
	}
	return b, nil
}

func decode(k, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: record %q cannot be read (%v)", errDamaged, k, err)
	}
	return nil
}

func put(txn *badger.Txn, k []byte, v any) error {
	b, err := encode(k, v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// addCount adjusts the counter at k. Counters live beside the records so
// listings show totals without walking a directory of a million users.
func addCount(txn *badger.Txn, k []byte, delta int64) error {
	n, err := readCount(txn, k)
	if err != nil {
		return err
	}
	n += delta
	if n == 0 {
		return txn.Delete(k)
	}
	return txn.Set(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func readCount(txn *badger.Txn, k []byte) (int64, error) {
	item, err := lookup(txn, k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = item.Value(func(b []byte) (err error) {
		n, err = countValue(k, b)
		return err
	})
	return n, err
}

func countValue(k, b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: counter %q cannot be read", errDamaged, k)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// scan calls fn for each record under prefix in key order, starting at
// the key from (nil: the prefix), until fn returns false.
func scan(txn *badger.Txn, prefix, from []byte, fn func(k []byte, val []byte) (bool, error)) error {
	it := newIterator(txn, badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	start := prefix
	if from != nil {
		start = from
	}
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		var more bool
		err := item.Value(func(v []byte) error {
			var err error
			more, err = fn(item.KeyCopy(nil), v)
			return err
		})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// each decodes every record under prefix, in key order, and calls fn
// with its key and value.
func each[T any](txn *badger.Txn, prefix string, fn func(k []byte, rec T) error) error {
	return scan(txn, []byte(prefix), nil, func(k, v []byte) (bool, error) {
		var rec T
		if err := decode(k, v, &rec); err != nil {
			return false, err
		}
		return true, fn(k, rec)
	})
}

// after is the first key that sorts after k.
func after(k []byte) []byte { return append(append([]byte{}, k...), 0) }

// notedIterator is a Badger iterator that notes, when closed, the range of
// keys it read (see checkedDB). Loops must test ValidForPrefix, which is
// where it learns how far they got.
type notedIterator struct {
	*badger.Iterator
	txn           *badger.Txn
	prefix        []byte
	reverse       bool
	from, last    []byte
	seeked, ended bool
}

func newIterator(txn *badger.Txn, o badger.IteratorOptions) *notedIterator {
	return &notedIterator{Iterator: txn.NewIterator(o), txn: txn, prefix: o.Prefix, reverse: o.Reverse}
}

func (it *notedIterator) Seek(k []byte) {
	it.from, it.seeked = bytes.Clone(k), true
	it.Iterator.Seek(k)
}

func (it *notedIterator) ValidForPrefix(p []byte) bool {
	ok := it.Iterator.ValidForPrefix(p)
	if ok {
		it.last = it.Item().KeyCopy(it.last)
	} else {
		it.ended = true
	}
	return ok
}

func (it *notedIterator) Close() {
	if it.seeked {
		// From the seek to the last key looked at; to the prefix's end
		// (its start, backwards) when the loop ran out of keys.
		reached := it.from
		if it.last != nil {
			reached = it.last
		}
		switch {
		case it.reverse && it.ended:
			noteRead(it.txn, it.prefix, it.from)
		case it.reverse:
			noteRead(it.txn, reached, it.from)
		case it.ended:
			noteRead(it.txn, it.from, prefixEnd(it.prefix))
		default:
			noteRead(it.txn, it.from, reached)
		}
	}
	it.Iterator.Close()
}
