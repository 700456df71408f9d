package badger

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// privateUmask makes every file this process creates from now on
// unreadable to group and others, keeping whatever else the umask already
// withholds. The database holds people's addresses and code hashes
// (issue 10 point 7: directory 0700, files 0600 whatever the umask), and
// Badger creates its tables, logs and DISCARD file with mode 0666 at
// any time while open, with no option to ask for less: a chmod after
// opening would miss every table a later compaction writes, so the umask,
// which is per process, is the one place that covers them. It is never
// loosened again, since Badger goes on creating files until Close.
func privateUmask() {
	old := syscall.Umask(0o077)
	if old&0o077 != 0o077 {
		syscall.Umask(old | 0o077)
	}
}

// tightenModes takes group and other permissions off the directory and
// the files in it: a database made by an older selfserve, or copied in
// with cp, may have them.
func tightenModes(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	paths := []string{dir}
	for _, e := range entries {
		if e.Type().IsRegular() {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	for _, p := range paths {
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return fmt.Errorf("making %s private: %w", p, err)
			}
		}
	}
	return nil
}
