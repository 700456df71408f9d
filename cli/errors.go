package cli

import (
	"errors"
	"fmt"

	"selfserve/store"
)

// advise adds what the user can do to a failure that the store only
// names and describes (STYLE.md: advice belongs to the front end). A
// damaged database is never repaired in place (issue 10 point 1): the way
// back is a backup, restored beside the damaged copy.
func advise(err error) error {
	switch {
	case errors.Is(err, store.ErrDamaged):
		return fmt.Errorf("%w; restore a backup into a new directory (selfserve restore BACKUP --db NEWDIR) and use that", err)
	case errors.Is(err, store.ErrDiskFull):
		return fmt.Errorf("%w; free disk space there (or move --db to a larger disk), then try again", err)
	}
	return err
}
