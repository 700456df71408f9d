package cli

import (
	"errors"
	"fmt"

	"selfserve/store"
)

// adviseDamaged adds what to do to a damaged database, which store only
// names and describes (STYLE.md: advice belongs to the front end). A
// damaged database is never repaired in place (issue 10 point 1): the way
// back is a backup, restored beside the damaged copy.
func adviseDamaged(err error) error {
	if errors.Is(err, store.ErrDamaged) {
		return fmt.Errorf("%w; restore a backup into a new directory (selfserve restore BACKUP --db NEWDIR) and use that", err)
	}
	return err
}
