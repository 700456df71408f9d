package cli

import (
	"errors"
	"fmt"

	"selfserve/store"
)

// advise adds what the user can do to a failure that the store only
// names and describes.
func advise(err error) error {
	if errors.Is(err, store.ErrDiskFull) {
		return fmt.Errorf("%w; free disk space there (or move --db to a larger disk), then try again", err)
	}
	return err
}
