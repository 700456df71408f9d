package badger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"selfserve/model"
	"selfserve/store/engine"
)

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
	return fmt.Errorf("%w: no selfserve database at %s", engine.ErrNoDatabase, dir)
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
			return fmt.Errorf("%w: %s holds other files but no selfserve database", engine.ErrForeignDir, dir)
		}
	}
	if !create {
		return notFound(dir)
	}
	return nil
}
