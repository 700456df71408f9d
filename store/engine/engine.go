// Package engine is what the store needs from a database: an ordered
// key-value store with serializable transactions, a bulk loader and a
// change feed. The store's rules are written once over it (issue 13);
// store/engine/badger and store/engine/postgres implement it, and only
// they import their database's packages.
package engine

import (
	"errors"

	"selfserve/model"
)

// Engine is an open database.
type Engine interface {
	// Update runs fn in a serializable read-write transaction and
	// commits it. When a concurrent transaction conflicts with what fn
	// read, the engine runs fn again after a jittered back-off (see
	// Retry), so fn must only read and write through txn. A conflict
	// that outlasts the back-off's limit ends in model.ErrTryAgain.
	Update(fn func(txn Txn) error) error
	// View runs fn in a read-only transaction that sees one snapshot.
	View(fn func(txn Txn) error) error
	// NewLoader starts a bulk load, outside transactions: for filling a
	// new database (demo data, a restore, a migration).
	NewLoader() Loader
	// Reset deletes every record.
	Reset() error
	// Listen calls fn with each message that a transaction committed
	// after Listen returned sent with Txn.Notify, from this process or
	// any other using the same database, in commit order per process.
	// When the feed may have dropped messages (a reconnect), fn gets a
	// Note with Lost set. ErrNoFeed: the engine has none, and the
	// caller falls back to polling. stop ends the calls.
	Listen(fn func(Note)) (stop func(), err error)
	// Close releases the database.
	Close() error
}

// Txn is one transaction. Keys and values handed to its callbacks are
// valid only during the call; values returned by Get and GetMany are the
// caller's.
type Txn interface {
	// Get returns the value at k, or ErrNotFound.
	Get(k []byte) ([]byte, error)
	// GetMany returns the values at keys, in the same order, nil where
	// there is none: one round trip where the engine is across a network.
	GetMany(keys [][]byte) ([][]byte, error)
	// Scan calls fn for at most r.Limit records in r, in key order
	// (descending when r.Reverse), until fn returns false.
	Scan(r Range, fn func(k, v []byte) (more bool, err error)) error
	Set(k, v []byte) error
	Delete(k []byte) error
	// Notify sends msg to every Listen when, and only if, the
	// transaction commits.
	Notify(msg string)
}

// Range is a bounded scan: the keys k with Start <= k < End (End nil:
// no upper bound), read from Start up, or from End down when Reverse,
// at most Limit of them. Limit must be positive: every read of the
// store is bounded, so a walk over a million records is many short
// reads, never one long one (issue 13 point 1).
type Range struct {
	Start, End []byte
	Reverse    bool
	Limit      int
}

// Loader writes records without transactions; Flush makes them durable.
// After an error every later call returns it.
type Loader interface {
	Set(k, v []byte) error
	Flush() error
}

// Note is one message of the change feed.
type Note struct {
	Msg string
	// Lost says messages may have been missed before this one: every
	// listener should read again all it shows.
	Lost bool
}

// PrefixEnd is the first key after every key that starts with p (nil when
// there is none), the End of a Range over the prefix p.
func PrefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Errors engines return; the store passes them on to the front ends,
// which say what to do.
var (
	ErrNotFound = errors.New("no such key")
	// ErrConflict: a concurrent transaction wrote what this one read.
	// Update retries it; engines return it from their commit.
	ErrConflict = errors.New("transaction conflict")
	// ErrTooBig: the transaction holds more than the engine takes in
	// one; the caller splits its work.
	ErrTooBig = errors.New("transaction too big")
	// ErrNoFeed: the engine has no change feed.
	ErrNoFeed = errors.New("no change feed")
	// ErrDamaged marks a record or file that cannot be read back: no
	// retry or free disk space helps.
	ErrDamaged = errors.New("database damaged")
	// ErrNotSaved: a write failed in the storage, not by a rule; nothing
	// of it was written.
	ErrNotSaved = errors.New("saving failed, nothing was changed")
	// ErrDiskFull marks a write refused because the file system holding
	// the database is nearly full.
	ErrDiskFull = errors.New("disk full")
	// ErrNoDatabase: there is no database where the address points,
	// and the caller may not create one.
	ErrNoDatabase = model.Reason(model.ErrNotFound, "no database")
	// ErrForeignDir: the directory holds other files, so no database is
	// made there.
	ErrForeignDir = model.Reason(model.ErrInvalid, "not a database directory")
	// ErrBusy: another process kept the database for longer than the
	// wait allowed.
	ErrBusy = errors.New("another selfserve process is using it")
	// ErrUnreachable: a database server did not answer.
	ErrUnreachable = errors.New("database server unreachable")
)
