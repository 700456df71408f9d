package badger

import (
	"fmt"
	"os"
	"path/filepath"
)

// removeEmptyLogs deletes memtable and value logs of zero bytes. Badger
// creates a log, then sizes it and writes its 20-byte header; a kill in
// between leaves an empty file, and Badger's next open fails on it with
// "Create a new file" (upstream badger issue #2207; a second open works,
// because the failed one wrote the header). A log of zero bytes has no
// header and so no entry: no write that was acknowledged can be in it,
// and no value pointer can point into it, so removing it loses nothing
// (issue 10 point 9).
func removeEmptyLogs(dir string, names []string) error {
	for _, name := range names {
		p := filepath.Join(dir, name)
		info, err := os.Stat(p)
		if err != nil || info.Size() != 0 {
			continue // gone, or written since inspect looked: not ours to touch
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("removing the empty log %s a crash left: %w", p, err)
		}
	}
	return nil
}
