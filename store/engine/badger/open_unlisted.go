package badger

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UnlistedDir is where opening sets aside tables the MANIFEST does not
// list, inside the database directory.
const UnlistedDir = "unlisted"

// setAsideUnlisted moves the tables the MANIFEST does not list out of
// Badger's sight before it opens, which would otherwise delete them. Most
// are what a crash leaves (a flush or compaction killed before recording
// its output: the records are still in its inputs or the memtable log),
// but a MANIFEST cut exactly at an entry boundary reads as a valid,
// shorter one, and the tables its lost entries listed look the same: the
// only copy of their records must not be deleted on a guess. `selfserve
// check` then finds what is missing and names the tables set aside.
func setAsideUnlisted(dir string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	aside := filepath.Join(dir, UnlistedDir)
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return fmt.Errorf("setting aside %d unlisted tables of %s: %w", len(names), dir, err)
	}
	for _, name := range names {
		// Badger may give a later table the same id: keep both.
		to := filepath.Join(aside, name)
		for n := 1; exists(to); n++ {
			to = filepath.Join(aside, fmt.Sprintf("%s-%d.sst", strings.TrimSuffix(name, ".sst"), n))
		}
		if err := os.Rename(filepath.Join(dir, name), to); err != nil {
			return fmt.Errorf("setting aside unlisted table %s: %w", filepath.Join(dir, name), err)
		}
	}
	return SyncDir(dir)
}

// Unlisted names the tables set aside by earlier opens.
func Unlisted(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, UnlistedDir, "*.sst"))
	if err != nil {
		return nil, err
	}
	return names, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
