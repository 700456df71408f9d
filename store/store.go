package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
	"selfserve/store/engine/badger"
)

// Options tune a Store; the zero value is right for production.
type Options struct {
	// Now is the clock; tests move it to expire codes and challenges.
	Now func() time.Time
	// BatchSize is how many users one takeover transaction moves.
	BatchSize int
	// AfterBatch, when set, is called after each committed takeover batch
	// (progress bars, and the crash tests that kill the process there).
	AfterBatch func(model.Job)
	// ChallengeTTL overrides how long a challenge stays valid.
	ChallengeTTL time.Duration
	// InMemory keeps nothing on disk (for throw-away demo copies).
	InMemory bool
	// Small sizes Badger for one of many small databases open at once in
	// one process (each SSH demo visitor's copy): see smallOptions.
	Small bool
	// Create allows making a new database; without it, opening a
	// directory that holds none is an error (a mistyped --db must not
	// quietly show an empty world).
	Create bool
	// LockWait is how long to wait for another process to close the
	// database before giving up.
	LockWait time.Duration
	// ReadOnly opens for commands that only read: Badger read-only, a
	// lock shared with other readers, no start-up writes, so no file
	// changes. The one exception is a crash's leftovers (memtable logs
	// a writer did not close, a half-made table, an unfinished
	// takeover): those a writer must finish first, as any open did
	// before, so the open does that and then reads.
	ReadOnly bool
	// JobLease overrides how long a takeover job stays with the store
	// running it after its last batch (JobLease): crash tests make it
	// short, so that the store opened after a kill resumes at once.
	JobLease time.Duration
	// MaxConns caps a PostgreSQL engine's connection pool (0: pgx's
	// default, the larger of 4 and the number of CPUs).
	MaxConns int32
}

// Store is an open selfserve database.
type Store struct {
	eng   engine.Engine
	db    string // the directory or URL it was opened with
	owner string // names this store in the leases it holds (lease.go)
	opts  Options
	rand  io.Reader
	codes codeKeyring // the key of the code MACs (codekey.go)
	feed  feed        // the change stream watchers share (changes.go)

	answering answering // the last readiness read (answers.go)
}

const defaultBatchSize = 1000

// errRecover says a read-only open found a crash's leftovers, which only
// a writer may clear.
var errRecover = errors.New("a crash left work for a writer")

// Open opens the database at db: a directory (Badger, created if needed
// with Options.Create) or a postgres:// URL. Then it finishes any
// takeover job a crash left running, so callers only ever see a takeover
// done or not started.
func Open(db string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultBatchSize
	}
	if opts.ChallengeTTL <= 0 {
		opts.ChallengeTTL = model.DefaultChallengeTTL
	}
	if IsURL(db) {
		return openPostgres(db, opts)
	}
	s, err := openBadger(db, opts)
	if !errors.Is(err, errRecover) {
		return s, err
	}
	w := opts
	w.ReadOnly, w.Create = false, false
	if s, err = openBadger(db, w); err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("closing database %s after finishing a crash's work: %w", db, err)
	}
	return openBadger(db, opts)
}

// IsURL says db names a database server rather than a directory.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func openBadger(dir string, opts Options) (*Store, error) {
	e, err := badger.Open(dir, badger.Options{InMemory: opts.InMemory, Small: opts.Small, Create: opts.Create, LockWait: opts.LockWait, ReadOnly: opts.ReadOnly})
	if errors.Is(err, badger.ErrRecover) {
		return nil, errRecover
	}
	if err != nil {
		return nil, err
	}
	return start(e, dir, opts)
}

// start makes a Store of an open engine: a writer does its start-up work,
// a reader of a directory checks that no crash left a takeover for a
// writer to finish.
func start(e engine.Engine, db string, opts Options) (*Store, error) {
	s := &Store{eng: e, db: db, opts: opts, rand: rand.Reader}
	owner, err := s.newID(8)
	if err != nil {
		e.Close()
		return nil, err
	}
	s.owner = owner
	switch {
	case opts.ReadOnly && !s.exclusive():
		// On a server a running takeover is another server's to finish:
		// readers see its batches as they commit.
	case opts.ReadOnly:
		err = s.noRunningJob()
	default:
		err = s.init()
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init() error {
	if err := s.seedServices(); err != nil {
		return err
	}
	if _, err := s.purgeRetired(); err != nil {
		return err
	}
	return s.ResumeJobs()
}

// noRunningJob is what a read-only open checks instead of resuming jobs:
// a takeover a crash interrupted must be finished before anyone reads,
// so that readers only ever see it done or not started.
func (s *Store) noRunningJob() error {
	running := false
	err := s.view(func(txn engine.Txn) error {
		return each(txn, pJob, func(_ []byte, j model.Job) error {
			running = running || j.State == model.JobRunning
			return nil
		})
	})
	if err != nil {
		return err
	}
	if running {
		return errRecover
	}
	return nil
}

// Reset empties the database and starts it afresh (the demo's restore).
func (s *Store) Reset() error {
	if err := s.eng.Reset(); err != nil {
		return err
	}
	s.feed.lost()
	return s.init()
}

// Close flushes and closes the database, then lets the next process in.
func (s *Store) Close() error {
	s.feed.stop()
	return s.eng.Close()
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.opts.Now() }

// newID returns n random bytes as hex.
func (s *Store) newID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("drawing an id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Stats are the engine's counters, for /metrics.
func (s *Store) Stats() engine.Stats {
	if st, ok := s.eng.(engine.Statser); ok {
		return st.Stats()
	}
	return engine.Stats{}
}
