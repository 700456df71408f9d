// Package badger is the store's embedded engine: Badger in a directory
// (the default), or in memory for throw-away demo copies. It guards what
// Badger itself does not: damaged files are refused before Badger acts on
// them, every read is checked against its blocks' checksums, a full disk
// is refused before it becomes SIGBUS, and the directory is locked.
package badger

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"selfserve/store/engine"
)

// Options tune the engine; the zero value opens an existing directory
// for reading and writing.
type Options struct {
	// InMemory keeps nothing on disk (for throw-away demo copies).
	InMemory bool
	// Small sizes Badger for one of many small databases open at once in
	// one process (each SSH demo visitor's copy): see smallOptions.
	Small bool
	// Create allows making a new database; without it, opening a
	// directory that holds none is engine.ErrNoDatabase (a mistyped --db
	// must not quietly show an empty world).
	Create bool
	// LockWait is how long to wait for another process to close the
	// database before giving up with engine.ErrBusy.
	LockWait time.Duration
	// ReadOnly opens for commands that only read: Badger read-only, a
	// lock shared with other readers, no start-up writes, so no file
	// changes. A crash's leftovers (memtable logs a writer did not close,
	// a half-made table) make it ErrRecover: a writer must clear them
	// first.
	ReadOnly bool
}

// ErrRecover says a read-only open found a crash's leftovers, which only
// a writer may clear.
var ErrRecover = errors.New("a crash left work for a writer")

// Engine is an open Badger database.
type Engine struct {
	db   *badgerdb.DB
	dir  string // "" in memory
	opts Options
	lock *dirLock

	// What the checked reads know (txn.go): per table id, nil once
	// verified or the damage found, and Badger's list of tables.
	mu       sync.Mutex
	verdicts map[uint64]error
	tables   []tableRange
	listed   time.Time

	listeners listeners
	retries   atomic.Uint64
}

var _ engine.Engine = (*Engine)(nil)

// Open opens (with Options.Create, creating) the database in dir.
func Open(dir string, o Options) (*Engine, error) {
	bo := BadgerOptions(dir, o)
	if o.InMemory {
		db, err := badgerdb.Open(bo)
		if err != nil {
			return nil, fmt.Errorf("open database in memory: %w", err)
		}
		return &Engine{db: db, opts: o, verdicts: map[uint64]error{}}, nil
	}
	privateUmask()
	if err := makeDir(dir, o.Create); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir, o.ReadOnly, o.LockWait)
	if err != nil {
		return nil, err
	}
	e, err := openLocked(dir, bo, o, lock)
	if err != nil {
		lock.release()
		return nil, err
	}
	return e, nil
}

func openLocked(dir string, bo badgerdb.Options, o Options, lock *dirLock) (*Engine, error) {
	left, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	if err := checkDir(dir, o.Create); err != nil {
		return nil, err
	}
	if o.ReadOnly && left.any() {
		return nil, ErrRecover
	}
	if !o.ReadOnly {
		if err := tightenModes(dir); err != nil {
			return nil, err
		}
		if err := removeEmptyLogs(dir, left.emptyLogs); err != nil {
			return nil, err
		}
		if err := setAsideUnlisted(dir, left.orphans); err != nil {
			return nil, err
		}
	}
	db, err := openBadger(dir, bo)
	if err != nil {
		return nil, err
	}
	return &Engine{db: db, dir: dir, opts: o, lock: lock, verdicts: map[uint64]error{}}, nil
}

// Dir is the database's directory, "" in memory.
func (e *Engine) Dir() string { return e.dir }

// Reset deletes every record.
func (e *Engine) Reset() error {
	if err := e.db.DropAll(); err != nil {
		return fmt.Errorf("emptying the database: %w", err)
	}
	return nil
}

// Close flushes and closes the database, then lets the next process in.
func (e *Engine) Close() error {
	e.listeners.stop()
	err := e.db.Close()
	if e.lock != nil {
		if lerr := e.lock.release(); err == nil {
			err = lerr
		}
	}
	return err
}

// Stats counts the transactions retried after a conflict.
func (e *Engine) Stats() engine.Stats { return engine.Stats{Retries: e.retries.Load()} }

// openBadger opens Badger, turning a panic while it reads the files (in
// this goroutine) into damage.
func openBadger(dir string, bo badgerdb.Options) (db *badgerdb.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: opening it failed: %v", engine.ErrDamaged, dir, r)
		}
	}()
	db, err = badgerdb.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dir, err)
	}
	return db, nil
}

type quietLogger struct{}

func (quietLogger) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "badger: "+f, a...) }
func (quietLogger) Warningf(string, ...any)   {}
func (quietLogger) Infof(string, ...any)      {}
func (quietLogger) Debugf(string, ...any)     {}

// DB is the Badger database underneath: benchmarks compare the engine
// with raw Badger on the same files and options.
func (e *Engine) DB() *badgerdb.DB { return e.db }
