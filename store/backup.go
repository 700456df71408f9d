package store

import (
	"bufio"
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

	"selfserve/model"
	"selfserve/store/engine"
	"selfserve/store/engine/badger"
)

// A backup file (selfserve backup, issue 10 point 4) is
//
//	backupMagic | records | length (8 bytes) | SHA-256 (32) | backupEnd
//
// where each record is a key and a value, each a uvarint length and its
// bytes, in key order: the same for every engine, so a backup of Badger
// restores on PostgreSQL and back (issue 13). The records alone have no
// end mark: a file cut between two of them would load without an error
// and restore a database with people missing. The trailer makes a cut or
// altered file an error before anything is restored, and the magic keeps
// a file that is not a backup from being parsed as one. Backups made
// before issue 13 hold Badger's own stream (backupMagicBadger) and
// restore into a directory only.
const (
	backupMagic       = "selfserve backup 2\n"
	backupMagicBadger = "selfserve backup 1\n"
	backupEnd         = "\nend of selfserve backup\n"
	trailerLen        = 8 + sha256.Size + len(backupEnd)
)

// BackupInfo describes a backup that was written.
type BackupInfo struct {
	Path    string `json:"path"`
	Bytes   int64  `json:"bytes"`
	Records int64  `json:"records"`
}

// Backup writes a consistent snapshot of the whole database to w while
// other transactions go on: one read transaction, read in bounded pages.
// Damage met on the way fails it, rather than making a backup quietly
// short. The sign-up code key of a database server is left out, like
// Badger's key file (codekey.go).
func (s *Store) Backup(w io.Writer) (BackupInfo, error) {
	if _, err := io.WriteString(w, backupMagic); err != nil {
		return BackupInfo{}, err
	}
	sum := sha256.New()
	body := &countingWriter{w: bufio.NewWriterSize(io.MultiWriter(w, sum), 256<<10)}
	var records int64
	err := s.view(func(txn engine.Txn) error {
		return eachRecord(txn, func(k, v []byte) error {
			records++
			return body.record(k, v)
		})
	})
	if err == nil {
		err = body.w.(*bufio.Writer).Flush()
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup: %w", err)
	}
	trailer := binary.BigEndian.AppendUint64(nil, uint64(body.n))
	trailer = append(sum.Sum(trailer), backupEnd...)
	if _, err := w.Write(trailer); err != nil {
		return BackupInfo{}, err
	}
	return BackupInfo{Bytes: int64(len(backupMagic)+trailerLen) + body.n, Records: records}, nil
}

// eachRecord calls fn with every record a backup or a migration copies.
func eachRecord(txn engine.Txn, fn func(k, v []byte) error) error {
	return scan(txn, nil, nil, func(k, v []byte) (bool, error) {
		if string(k) == kCodeKey {
			return true, nil
		}
		return true, fn(k, v)
	})
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
	return info, badger.SyncDir(filepath.Dir(path))
}

// Restore loads the backup file into db, which must be new or empty:
// restoring over a database would mix two of them. The file is checked
// whole before anything is written (fill). Then the database is opened
// once as usual, which finishes a takeover the backup caught running.
func Restore(db, backup string, opts Options) error {
	f, stream, legacy, err := openBackup(backup)
	if err != nil {
		return err
	}
	defer f.Close()
	if legacy {
		if IsURL(db) {
			return fmt.Errorf("%w: %s was made by a selfserve before issue 13, in Badger's own format, which restores into a directory only", model.ErrInvalid, backup)
		}
		err = badger.Fill(db, badger.Options{LockWait: opts.LockWait}, stream.Size(), func(e *badger.Engine) error {
			return e.LoadStream(stream)
		})
	} else {
		err = fill(db, opts, stream.Size(), func(l engine.Loader) error { return readRecords(stream, l.Set) })
	}
	if err != nil {
		return fmt.Errorf("restore %s into %s: %w", backup, Describe(db), err)
	}
	return reopen(db, opts)
}

// readRecords hands each record of a backup's body to set.
func readRecords(r io.Reader, set func(k, v []byte) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	for {
		k, err := readField(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := readField(br)
		if err != nil {
			return fmt.Errorf("%w: a record is cut short (%v)", model.ErrInvalid, err)
		}
		if err := set(k, v); err != nil {
			return err
		}
	}
}

func readField(r *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > maxField {
		return nil, fmt.Errorf("%w: a record of %d bytes is more than any selfserve writes", model.ErrInvalid, n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

// maxField bounds one key or value read back, so a file whose checksum
// matches but whose lengths are nonsense cannot ask for all the memory.
const maxField = 64 << 20

// openBackup opens a backup file and checks its magic, length and
// checksum; it returns the file, the section holding the records, and
// whether they are in Badger's own format (a backup from before issue 13;
// both magics have one length).
func openBackup(path string) (*os.File, *io.SectionReader, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%w: backup %v", model.ErrNotFound, err)
	}
	bad := func(why string) (*os.File, *io.SectionReader, bool, error) {
		f.Close()
		return nil, nil, false, fmt.Errorf("%w: %s is not a whole selfserve backup: %s", model.ErrInvalid, path, why)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, false, err
	}
	head := make([]byte, len(backupMagic))
	if _, err := f.ReadAt(head, 0); err != nil || (string(head) != backupMagic && string(head) != backupMagicBadger) {
		return bad("it does not start as one")
	}
	legacy := string(head) == backupMagicBadger
	bodyLen := info.Size() - int64(len(backupMagic)+trailerLen)
	trailer := make([]byte, trailerLen)
	if bodyLen < 0 {
		return bad("it is too short")
	}
	if _, err := f.ReadAt(trailer, info.Size()-int64(trailerLen)); err != nil {
		f.Close()
		return nil, nil, false, fmt.Errorf("reading %s: %w", path, err)
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
		return nil, nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	if !bytes.Equal(sum.Sum(nil), trailer[8:8+sha256.Size]) {
		return bad("its checksum does not match its data")
	}
	return f, io.NewSectionReader(f, int64(len(backupMagic)), bodyLen), legacy, nil
}

// diskFull marks an error from a file system out of space as ErrDiskFull.
func diskFull(err error) error {
	if errors.Is(err, syscall.ENOSPC) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
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

// record writes one key and value, each as a uvarint length and bytes.
func (c *countingWriter) record(k, v []byte) error {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	b = append(b, v...)
	_, err := c.Write(b)
	return err
}
