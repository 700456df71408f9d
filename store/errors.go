package store

import (
	"errors"

	"selfserve/model"
)

// Failures of the database itself, beside ErrDamaged and ErrDiskFull. They
// say what happened; the front ends add what to do (issue 11 point 2).
var (
	// ErrNoDatabase: the directory does not exist or holds no database,
	// and the command may not create one.
	ErrNoDatabase = model.Reason(model.ErrNotFound, "no database")
	// ErrForeignDir: the directory holds other files, so no database is
	// made there.
	ErrForeignDir = model.Reason(model.ErrInvalid, "not a database directory")
	// ErrBusy: another process kept the database for longer than
	// Options.LockWait.
	ErrBusy = errors.New("another selfserve process is using it")
	// ErrNotSaved: a write failed in the storage, not by a rule; nothing
	// of it was written.
	ErrNotSaved = errors.New("saving failed, nothing was changed")
)
