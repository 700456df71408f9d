package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"selfserve/store/engine"
)

// get decodes the record at k into v; found is false when there is none.
func get(txn engine.Txn, k []byte, v any) (found bool, err error) {
	b, err := txn.Get(k)
	if errors.Is(err, engine.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decode(k, b, v)
}

// errDamaged marks a record or file that cannot be read back: no retry or
// free disk space helps, so it is reported as it is (the front ends add
// what to do).
var errDamaged = engine.ErrDamaged

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

func put(txn engine.Txn, k []byte, v any) error {
	b, err := encode(k, v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// addCount adjusts the counter at k. Counters live beside the records so
// listings show totals without walking a directory of a million users.
func addCount(txn engine.Txn, k []byte, delta int64) error {
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

func readCount(txn engine.Txn, k []byte) (int64, error) {
	b, err := txn.Get(k)
	if errors.Is(err, engine.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return countValue(k, b)
}

func countValue(k, b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: counter %q cannot be read", errDamaged, k)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// scan calls fn for each record under prefix in key order, starting at
// the key from (nil: the prefix), until fn returns false. It reads in
// pages of scanPage records, each a bounded read of the engine, so a walk
// over a million records is many short reads (issue 13 point 1); fn may
// keep k.
func scan(txn engine.Txn, prefix, from []byte, fn func(k []byte, val []byte) (bool, error)) error {
	r := engine.Range{Start: prefix, End: engine.PrefixEnd(prefix), Limit: scanPage}
	if from != nil && bytes.Compare(from, prefix) > 0 {
		r.Start = from
	}
	return pages(txn, r, fn)
}

// scanBack is scan backwards: fn gets the records under prefix that sort
// before the key before (nil: the prefix's end), last first.
func scanBack(txn engine.Txn, prefix, before []byte, fn func(k []byte, val []byte) (bool, error)) error {
	r := engine.Range{Start: prefix, End: engine.PrefixEnd(prefix), Reverse: true, Limit: scanPage}
	if before != nil {
		r.End = before
	}
	return pages(txn, r, fn)
}

// pages reads r a page at a time, each page starting after the last key
// of the one before (before it, backwards), until fn says stop or a page
// comes back short.
func pages(txn engine.Txn, r engine.Range, fn func(k []byte, val []byte) (bool, error)) error {
	for {
		n, more := 0, true
		var last []byte
		err := txn.Scan(r, func(k, v []byte) (bool, error) {
			n++
			last = bytes.Clone(k)
			var err error
			more, err = fn(last, v)
			return more, err
		})
		if err != nil || !more || n < r.Limit {
			return err
		}
		if r.Reverse {
			r.End = last
		} else {
			r.Start = after(last)
		}
	}
}

// scanPage is how many records one read of a walk holds: enough that a
// round trip to a database server is small next to reading them.
const scanPage = 256

// each decodes every record under prefix, in key order, and calls fn
// with its key and value.
func each[T any](txn engine.Txn, prefix string, fn func(k []byte, rec T) error) error {
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
