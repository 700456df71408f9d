package badger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	badgerdb "github.com/dgraph-io/badger/v4"

	"selfserve/model"
	"selfserve/store/engine"
)

// Fill makes a new database in dir, which must be new or empty, with
// what fill loads into it: a restore or a migration. size is about how
// many bytes fill writes, to refuse a disk that cannot hold them. The
// engine loads into a hidden directory inside dir, whose files move into
// dir only when fill has finished, MANIFEST last: until then dir holds no
// database, so an interrupted fill is never opened as a short one.
func Fill(dir string, o Options, size int64, fill func(e *Engine) error) error {
	o.ReadOnly, o.Create, o.InMemory = false, true, false
	privateUmask()
	if err := makeDir(dir, true); err != nil {
		return err
	}
	lock, err := lockDir(dir, false, o.LockWait)
	if err != nil {
		return err
	}
	defer lock.release()
	if _, err := os.Stat(filepath.Join(dir, badgerdb.ManifestFilename)); err == nil {
		return fmt.Errorf("%w: %s already holds a database; fill only a new or empty directory", model.ErrConflict, dir)
	}
	if err := checkDir(dir, true); err != nil {
		return err
	}
	if err := roomFor(dir, size, BadgerOptions(dir, o)); err != nil {
		return err
	}
	staging := filepath.Join(dir, ".restoring")
	// An interrupted fill leaves only this.
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.Mkdir(staging, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	db, err := openBadger(staging, BadgerOptions(staging, o))
	if err != nil {
		return err
	}
	e := &Engine{db: db, dir: staging, opts: o, verdicts: map[uint64]error{}}
	err = fill(e)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return diskFull(err)
	}
	return moveIn(staging, dir)
}

// LoadStream loads a backup stream in Badger's own format: what backups
// made before issue 13 hold.
func (e *Engine) LoadStream(r io.Reader) error {
	// 16 batches in flight: Badger's own restore tool uses 256, sized for
	// servers; this keeps memory near the store's own budget.
	return e.db.Load(r, 16)
}

// moveIn renames every file of from into to, MANIFEST last, and makes
// the renames durable.
func moveIn(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != badgerdb.ManifestFilename {
			if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := SyncDir(to); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(from, badgerdb.ManifestFilename), filepath.Join(to, badgerdb.ManifestFilename)); err != nil {
		return err
	}
	return SyncDir(to)
}

// roomFor refuses a fill that cannot fit: the database it builds is at
// most about the size of what is loaded (tables are compressed, the
// records are not), plus what Badger needs while it loads.
func roomFor(dir string, size int64, bo badgerdb.Options) error {
	free, err := freeSpace(dir)
	if err != nil {
		return nil
	}
	need := uint64(size) + uint64(bo.MemTableSize)*uint64(bo.NumMemtables+1) + diskMargin
	if free < need {
		return fmt.Errorf("%w: filling needs about %s in %s, which has %s free", engine.ErrDiskFull, mib(need), dir, mib(free))
	}
	return nil
}

// diskFull marks an error from a file system out of space as
// engine.ErrDiskFull.
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) && !errors.Is(err, engine.ErrDiskFull) {
		return fmt.Errorf("%w: %w", engine.ErrDiskFull, err)
	}
	return err
}

// SyncDir makes the renames and creations in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
