package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"selfserve/model"
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
}

// Store is an open selfserve database.
type Store struct {
	db    *checkedDB
	lock  *dirLock
	opts  Options
	rand  io.Reader
	codes codeKeyring // the key of the code MACs (codekey.go)
	feed  feed        // the change stream watchers share (changes.go)
}

const defaultBatchSize = 1000

// errRecover says a read-only open found a crash's leftovers, which only
// a writer may clear.
var errRecover = errors.New("a crash left work for a writer")

// Open opens (creating if needed) the database in dir, then finishes any
// takeover job a crash left running, so callers only ever see a takeover
// done or not started.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultBatchSize
	}
	if opts.ChallengeTTL <= 0 {
		opts.ChallengeTTL = model.DefaultChallengeTTL
	}
	bo := badgerOptions(dir, opts)
	if opts.InMemory {
		db, err := badger.Open(bo)
		if err != nil {
			return nil, fmt.Errorf("open database in memory: %w", err)
		}
		s := &Store{db: &checkedDB{DB: db}, opts: opts, rand: rand.Reader}
		if err := s.init(); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}
	s, err := openDir(dir, bo, opts)
	if !errors.Is(err, errRecover) {
		return s, err
	}
	w := opts
	w.ReadOnly, w.Create = false, false
	if s, err = openDir(dir, badgerOptions(dir, w), w); err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("closing database %s after finishing a crash's work: %w", dir, err)
	}
	return openDir(dir, bo, opts)
}

func badgerOptions(dir string, opts Options) badger.Options {
	bo := badger.DefaultOptions(dir).
		WithLogger(quietLogger{}).
		// Acknowledged means on disk: a sign-up the user was told about
		// must survive a power cut.
		WithSyncWrites(true).
		// Memory is sized for the 1,000,000-user takeover (PRODUCT.md §6:
		// peak RSS < 300 MiB), measured with BenchmarkExternalTakeover1M:
		// 16 MiB memtables, 3 of them, 2 MiB tables and a 32 MiB block
		// cache peaked at 955 MiB of Go heap and 1070 MiB RSS; the options
		// below, 361 MiB of heap and 615 MiB RSS, at the same speed
		// (37-44 s, noisy). The heap profile at peak is Badger's table
		// builders: with Snappy our JSON shrinks ~10x, a table is cut at
		// its compressed size, so a builder holds ~10x the table size of
		// raw blocks plus a compression buffer per block, and up to five
		// build at once per compaction. Smaller tables shrink every
		// builder; the L0 flush builder is sized by the memtable (48 MiB
		// live for an 8 MiB one). Memtables cannot go below 8 MiB while
		// ValueThreshold is 1 MiB (Badger needs 15% of a memtable to hold
		// one value). The cost: more, smaller tables make opening a
		// 1,000,000-user database ~30 ms instead of ~15 ms
		// (BenchmarkFirstFrameBaselineBadgerOpen), inside the 100 ms
		// first-frame target.
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBaseTableSize(128 << 10).
		// Decompressed blocks: 32 MiB held 27 MiB live during a takeover
		// that reads each block once; a page of the TUI needs a few.
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(16 << 20).
		WithNumCompactors(2).
		// Every block read is checked against its checksum (issue 10
		// point 2); checkedDB turns a failed check into an error.
		WithChecksumVerificationMode(options.OnBlockRead).
		// The lock is ours (dirLock), taken before the directory is read.
		WithBypassLockGuard(true).
		WithReadOnly(opts.ReadOnly).
		WithInMemory(opts.InMemory)
	if opts.Small {
		bo = smallOptions(bo)
	}
	if opts.InMemory {
		bo = bo.WithDir("").WithValueDir("")
	}
	return bo
}

// openDir locks dir, refuses it if it is not a selfserve database or is
// damaged, clears a crash's leftovers, and opens it.
func openDir(dir string, bo badger.Options, opts Options) (*Store, error) {
	privateUmask()
	if err := makeDir(dir, opts.Create); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir, opts.ReadOnly, opts.LockWait)
	if err != nil {
		return nil, err
	}
	s, err := openLocked(dir, bo, opts, lock)
	if err != nil {
		lock.release()
		return nil, err
	}
	return s, nil
}

func openLocked(dir string, bo badger.Options, opts Options, lock *dirLock) (*Store, error) {
	left, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	if err := checkDir(dir, opts.Create); err != nil {
		return nil, err
	}
	if opts.ReadOnly && left.any() {
		return nil, errRecover
	}
	if !opts.ReadOnly {
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
	s := &Store{db: &checkedDB{DB: db, dir: dir, verdicts: map[uint64]error{}}, lock: lock, opts: opts, rand: rand.Reader}
	if opts.ReadOnly {
		err = s.noRunningJob()
	} else {
		err = s.init()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// makeDir creates dir, private, when the command may create a database;
// otherwise a missing dir is a mistyped --db.
func makeDir(dir string, create bool) error {
	_, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		return os.MkdirAll(dir, 0o700)
	case errors.Is(err, fs.ErrNotExist):
		return notFound(dir)
	case err != nil:
		return fmt.Errorf("%w: %s is not a usable directory: %v", model.ErrInvalid, dir, err)
	}
	return nil
}

func notFound(dir string) error {
	return fmt.Errorf("%w: no selfserve database at %s", ErrNoDatabase, dir)
}

// checkDir refuses a --db that is not a selfserve database: an empty one
// unless creating, and a directory of other files always. It runs under
// the lock, so another process's half-made database is never mistaken for
// foreign files.
func checkDir(dir string, create bool) error {
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err == nil {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %s is not a usable directory: %v", model.ErrInvalid, dir, err)
	}
	for _, e := range entries {
		// A first open killed before MANIFEST existed leaves at most
		// Badger's own LOCK file (taken by an older selfserve) and the
		// MANIFEST-REWRITE that Badger writes and then renames to MANIFEST.
		if !strings.HasPrefix(e.Name(), ".") && e.Name() != "LOCK" && e.Name() != "MANIFEST-REWRITE" {
			return fmt.Errorf("%w: %s holds other files but no selfserve database", ErrForeignDir, dir)
		}
	}
	if !create {
		return notFound(dir)
	}
	return nil
}

// openBadger opens Badger, turning a panic while it reads the files (in
// this goroutine) into damage.
func openBadger(dir string, bo badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: opening it failed: %v", errDamaged, dir, r)
		}
	}()
	db, err = badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dir, err)
	}
	return db, nil
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

// Reset empties the database and starts it afresh (the demo's restore).
func (s *Store) Reset() error {
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("emptying the database: %w", err)
	}
	return s.init()
}

// Close flushes and closes the database, then lets the next process in.
func (s *Store) Close() error {
	s.feed.stop()
	err := s.db.Close()
	if s.lock != nil {
		if lerr := s.lock.release(); err == nil {
			err = lerr
		}
	}
	return err
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

type quietLogger struct{}

// smallOptions fit a database of a few tens of thousands of records, many
// of which run in one process: memtables, tables and caches of a megabyte
// or less instead of the default's tens. Records are far smaller than the
// lowered value threshold, so they stay in the LSM tree as before (Badger
// requires the threshold to fit in 15% of a memtable).
func smallOptions(bo badger.Options) badger.Options {
	return bo.WithMemTableSize(2 << 20).
		WithNumMemtables(2).
		WithValueThreshold(64 << 10).
		WithBaseTableSize(64 << 10).
		WithBlockCacheSize(1 << 20).
		WithIndexCacheSize(1 << 20)
}

func (quietLogger) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "badger: "+f, a...) }
func (quietLogger) Warningf(string, ...any)   {}
func (quietLogger) Infof(string, ...any)      {}
func (quietLogger) Debugf(string, ...any)     {}
