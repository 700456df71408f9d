package badger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/badger/v4/y"
	"google.golang.org/protobuf/proto"

	"selfserve/store/engine"
)

// leftovers are what a crash leaves that the next open must clear up: a
// table written by a flush or compaction the MANIFEST never recorded
// (set aside, never deleted: setAsideUnlisted), an empty log file, and memtable
// logs at all (a clean close flushes and removes them; Badger replays
// them, and only a writer may cut off a half-written last entry, so a
// read-only open of them fails with "Log truncate required").
type leftovers struct {
	orphans   []string
	emptyLogs []string
	memLogs   int
}

func (l leftovers) any() bool { return len(l.orphans)+len(l.emptyLogs)+l.memLogs > 0 }

// inspect reads the directory before Badger may act on it. Badger trusts
// its MANIFEST: a table file it does not list is deleted as a compaction
// leftover, so a MANIFEST cut to 16 bytes made Badger delete 188 of 189
// tables (issue 10 point 1), and a table cut short panics in a goroutine
// of Badger's that no recover reaches (point 6). inspect refuses both
// with ErrDamaged, naming the file, and touches nothing.
func inspect(dir string) (leftovers, error) {
	var left leftovers
	entries, err := os.ReadDir(dir)
	if err != nil {
		return left, err
	}
	onDisk := map[uint64]fs.DirEntry{}
	for _, e := range entries {
		if id, ok := table.ParseFileID(e.Name()); ok && !e.IsDir() {
			onDisk[id] = e
		}
		if strings.HasSuffix(e.Name(), ".mem") {
			left.memLogs++
		}
		if strings.HasSuffix(e.Name(), ".mem") || strings.HasSuffix(e.Name(), ".vlog") {
			if info, err := e.Info(); err == nil && info.Size() == 0 {
				left.emptyLogs = append(left.emptyLogs, e.Name())
			}
		}
	}
	m, cut, err := readManifest(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(onDisk) == 0:
		return left, nil // nothing stored yet: checkDir decides
	case errors.Is(err, fs.ErrNotExist):
		return left, fmt.Errorf("%w: %s is missing, but %d tables are beside it", engine.ErrDamaged, filepath.Join(dir, badgerdb.ManifestFilename), len(onDisk))
	case err != nil:
		return left, err
	}
	for id := range m.Tables {
		if _, ok := onDisk[id]; !ok {
			return left, fmt.Errorf("%w: %s lists table %s, which is missing", engine.ErrDamaged, filepath.Join(dir, badgerdb.ManifestFilename), table.IDToFilename(id))
		}
	}
	for id, e := range onDisk {
		if _, ok := m.Tables[id]; !ok {
			left.orphans = append(left.orphans, e.Name())
		}
	}
	manifest := filepath.Join(dir, badgerdb.ManifestFilename)
	switch {
	// A first flush killed between writing its table and recording it
	// leaves one table, unlisted, beside its memtable log; more than one,
	// or one with no log, is a MANIFEST that lost what it listed.
	case len(m.Tables) == 0 && len(left.orphans) > 0 && (len(left.orphans) > 1 || left.memLogs == 0):
		return left, fmt.Errorf("%w: %s lists none of the %d tables in %s", engine.ErrDamaged, manifest, len(left.orphans), dir)
	// Badger appends each change in one write and syncs it, so a kill
	// cannot leave half an entry; a cut-off entry with tables it may have
	// listed is a truncated file, and opening would delete those tables.
	case cut != "" && len(left.orphans) > 0:
		return left, fmt.Errorf("%w: %s %s, and %d tables are not listed in it", engine.ErrDamaged, manifest, cut, len(left.orphans))
	}
	var listed []string
	for id, e := range onDisk {
		if _, ok := m.Tables[id]; ok {
			listed = append(listed, filepath.Join(dir, e.Name()))
		}
	}
	return left, checkFooters(listed)
}

// checkFooters runs checkFooter on four files at a time, as Badger opens
// its tables in parallel: one at a time added ~30 ms to opening a
// 1,000,000-user database of 350 tables.
func checkFooters(paths []string) error {
	next := make(chan string)
	errs := make(chan error, len(paths))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for p := range next {
				errs <- checkFooter(p)
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readManifest replays the MANIFEST the way Badger will, read-only. cut
// describes a last entry that ends early ("" when the file ends cleanly).
func readManifest(dir string) (m badgerdb.Manifest, cut string, err error) {
	path := filepath.Join(dir, badgerdb.ManifestFilename)
	f, err := os.Open(path)
	if err != nil {
		return m, "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return m, "", err
	}
	m, end, err := badgerdb.ReplayManifestFile(f, 0, badgerdb.DefaultOptions(dir).WithLogger(quietLogger{}))
	if err != nil {
		return m, "", fmt.Errorf("%w: %s cannot be read: %v", engine.ErrDamaged, path, err)
	}
	if end < info.Size() {
		cut = fmt.Sprintf("ends in a cut-off entry at byte %d of %d", end, info.Size())
	}
	return m, cut, nil
}

// checkFooter reads a table's tail the way Badger's table.OpenTable does
// (index, index length, checksum, checksum length, from the end) and
// verifies the index's checksum, so a table cut short or with an
// overwritten index is an error here rather than a panic inside Badger.
func checkFooter(path string) (err error) {
	damaged := func(why string) error {
		return fmt.Errorf("%w: %s is cut short or overwritten (%s)", engine.ErrDamaged, path, why)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	pos := info.Size()
	read := func(n int64) ([]byte, error) {
		if n < 0 || n > pos {
			return nil, damaged(fmt.Sprintf("a length of %d at byte %d points outside the file", n, pos))
		}
		pos -= n
		b := make([]byte, n)
		if _, err := f.ReadAt(b, pos); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		return b, nil
	}
	length := func() (int64, error) {
		b, err := read(4)
		if err != nil {
			return 0, err
		}
		return int64(binary.BigEndian.Uint32(b)), nil
	}
	n, err := length()
	if err != nil {
		return err
	}
	b, err := read(n)
	if err != nil {
		return err
	}
	var sum pb.Checksum
	if err := proto.Unmarshal(b, &sum); err != nil {
		return damaged("its checksum record does not decode")
	}
	if sum.Algo != pb.Checksum_CRC32C && sum.Algo != pb.Checksum_XXHash64 {
		return damaged(fmt.Sprintf("unknown checksum kind %d", sum.Algo))
	}
	if n, err = length(); err != nil {
		return err
	}
	index, err := read(n)
	if err != nil {
		return err
	}
	if err := y.VerifyChecksum(index, &sum); err != nil {
		return damaged(fmt.Sprintf("its index fails its checksum: %v", err))
	}
	return nil
}
