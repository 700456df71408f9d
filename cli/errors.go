package cli

import (
	"errors"
	"fmt"
	"strings"

	"selfserve/store"
)

// adviseDamaged adds what to do to a damaged database, which store only
// names and describes (STYLE.md: advice belongs to the front end). A
// damaged database is never repaired in place (issue 10 point 1): the way
// back is a backup. Commands that already said how (check) are left as
// they are.
func adviseDamaged(err error) error {
	if errors.Is(err, store.ErrDamaged) && !strings.Contains(err.Error(), "selfserve restore") {
		return fmt.Errorf("%w; restore a backup (selfserve restore)", err)
	}
	return err
}
