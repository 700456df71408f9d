package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// A backup file (selfserve backup, issue 10 point 4) is
//
//	backupMagic | Badger's backup stream | length (8 bytes) | SHA-256 (32) | backupEnd
//
// Badger's stream alone has no end mark: a file cut between two of its
// records loads without an error and restores a database with people
// missing. The trailer makes a cut or altered file an error before
// anything is restored, and the magic keeps a file that is not a backup
// from being parsed as one (its first bytes would be taken as a length).
const (
	backupMagic = "selfserve backup 1\n"
	backupEnd   = "\nend of selfserve backup\n"
	trailerLen  = 8 + sha256.Size + len(backupEnd)
)

// BackupInfo describes a backup that was written.
type BackupInfo struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	// Version is the snapshot's Badger timestamp: every transaction
	// committed at or before it is in the backup, none after.
	Version uint64 `json:"version"`
}

// Backup writes a consistent snapshot of the whole database to w while
// other transactions go on. It refuses a database with a damaged table:
// Badger's stream treats a block that fails its checksum as the end of
// its table, which would make a backup quietly short.
func (s *Store) Backup(w io.Writer) (BackupInfo, error) {
	for _, ti := range s.db.Tables() {
		if err := s.db.verdict(ti.ID); err != nil {
			return BackupInfo{}, err
		}
	}
	if _, err := io.WriteString(w, backupMagic); err != nil {
		return BackupInfo{}, err
	}
	sum := sha256.New()
	body := &countingWriter{w: io.MultiWriter(w, sum)}
	stream := s.db.NewStream()
	stream.LogPrefix = "selfserve backup"
	// One goroutine, because each of a Stream's goroutines opens its own
	// read transaction (Stream.produceKVs, when no read timestamp is set,
	// which only managed mode can set): with several, key ranges would be
	// read at different moments and a sign-up committed in between could
	// be half in the backup. One transaction is one snapshot.
	stream.NumGo = 1
	version, err := stream.Backup(body, 0)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	trailer := binary.BigEndian.AppendUint64(nil, uint64(body.n))
	trailer = append(sum.Sum(trailer), backupEnd...)
	if _, err := w.Write(trailer); err != nil {
		return BackupInfo{}, err
	}
	return BackupInfo{Bytes: int64(len(backupMagic)+trailerLen) + body.n, Version: version}, nil
}

// BackupFile writes the backup to path: first to path.tmp, created 0600
// (the database holds people's addresses), synced, then renamed over path,
// so path is either the previous file or the whole new backup.
func (s *Store) BackupFile(path string) (info BackupInfo, err error) {
	tmp := path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return info, fmt.Errorf("backup to %s: %w", path, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return info, fmt.Errorf("backup to %s: %w", path, diskFull(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("backup to %s: %w", path, diskFull(err))
		}
	}()
	// The umask may have taken bits away, never added: make it exact.
	if err = f.Chmod(0o600); err != nil {
		return info, err
	}
	if info, err = s.Backup(f); err != nil {
		return info, err
	}
	if err = f.Sync(); err != nil {
		return info, err
	}
	if err = f.Close(); err != nil {
		return info, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return info, err
	}
	info.Path = path
	return info, syncDir(filepath.Dir(path))
}

// Restore loads the backup file into dir, which must be new or empty:
// restoring over a database would mix two of them. The file is checked
// whole before anything is written. Badger loads into a hidden directory
// inside dir, whose files move into dir only when the load has finished,
// MANIFEST last: until then dir holds no database, so an interrupted
// restore is never opened as a short one. Then the database is opened
// once as usual, which finishes a takeover the backup caught running.
func Restore(dir, backup string, opts Options) error {
	opts.ReadOnly, opts.Create = false, true
	f, stream, err := openBackup(backup)
	if err != nil {
		return err
	}
	defer f.Close()
	privateUmask()
	if err := makeDir(dir, true); err != nil {
		return err
	}
	lock, err := lockDir(dir, false, opts.LockWait)
	if err != nil {
		return err
	}
	if err := restoreLocked(dir, backup, stream, opts); err != nil {
		lock.release()
		return err
	}
	if err := lock.release(); err != nil {
		return err
	}
	opts.Create = false
	s, err := Open(dir, opts)
	if err != nil {
		return err
	}
	return s.Close()
}

// restoreLocked does the restore under the directory's lock.
func restoreLocked(dir, backup string, stream *io.SectionReader, opts Options) error {
	if _, err := os.Stat(filepath.Join(dir, badger.ManifestFilename)); err == nil {
		return fmt.Errorf("%w: %s already holds a database; restore only into a new or empty directory", model.ErrConflict, dir)
	}
	if err := checkDir(dir, true); err != nil {
		return err
	}
	if err := roomFor(dir, stream.Size(), badgerOptions(dir, opts)); err != nil {
		return err
	}
	staging := filepath.Join(dir, ".restoring")
	// A restore interrupted before its files moved leaves only this.
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.Mkdir(staging, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	if err := load(staging, stream, opts); err != nil {
		return fmt.Errorf("restore %s into %s: %w", backup, dir, diskFull(err))
	}
	if err := moveIn(staging, dir); err != nil {
		return fmt.Errorf("restore %s into %s: %w", backup, dir, err)
	}
	return nil
}

// openBackup opens a backup file and checks its magic, length and
// checksum; it returns the file and the section holding Badger's stream.
func openBackup(path string) (*os.File, *io.SectionReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: backup %v", model.ErrNotFound, err)
	}
	bad := func(why string) (*os.File, *io.SectionReader, error) {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %s is not a whole selfserve backup: %s", model.ErrInvalid, path, why)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	head := make([]byte, len(backupMagic))
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != backupMagic {
		return bad("it does not start as one")
	}
	bodyLen := info.Size() - int64(len(backupMagic)+trailerLen)
	trailer := make([]byte, trailerLen)
	if bodyLen < 0 {
		return bad("it is too short")
	}
	if _, err := f.ReadAt(trailer, info.Size()-int64(trailerLen)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if string(trailer[8+sha256.Size:]) != backupEnd {
		return bad("its end is missing (was the file cut short?)")
	}
	if n := binary.BigEndian.Uint64(trailer); n != uint64(bodyLen) {
		return bad(fmt.Sprintf("it says it holds %d bytes of data, but holds %d", n, bodyLen))
	}
	stream := io.NewSectionReader(f, int64(len(backupMagic)), bodyLen)
	sum := sha256.New()
	if _, err := io.Copy(sum, stream); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !bytes.Equal(sum.Sum(nil), trailer[8:8+sha256.Size]) {
		return bad("its checksum does not match its data")
	}
	return f, io.NewSectionReader(f, int64(len(backupMagic)), bodyLen), nil
}

// load opens a fresh Badger in dir, without the store's start-up writes
// (they would add records the backup's own versions must not meet), and
// loads the stream into it.
func load(dir string, stream io.Reader, opts Options) error {
	db, err := openBadger(dir, badgerOptions(dir, opts))
	if err != nil {
		return err
	}
	// 16 batches in flight: what Badger's own restore tool uses by
	// default is 256, sized for servers; this keeps memory near the
	// store's own budget.
	err = db.Load(stream, 16)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// moveIn renames every file of from into to, MANIFEST last, and makes
// the renames durable.
func moveIn(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != badger.ManifestFilename {
			if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := syncDir(to); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(from, badger.ManifestFilename), filepath.Join(to, badger.ManifestFilename)); err != nil {
		return err
	}
	return syncDir(to)
}

// roomFor refuses a restore that cannot fit: the database it builds is
// at most about the size of the backup's stream (tables are compressed,
// the stream is not), plus what Badger needs while it loads.
func roomFor(dir string, size int64, bo badger.Options) error {
	free, err := freeSpace(dir)
	if err != nil {
		return nil
	}
	need := uint64(size) + uint64(bo.MemTableSize)*uint64(bo.NumMemtables+1) + diskMargin
	if free < need {
		return fmt.Errorf("%w: restoring needs about %s in %s, which has %s free", ErrDiskFull, mib(need), dir, mib(free))
	}
	return nil
}

// diskFull marks an error from a file system out of space as ErrDiskFull.
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
