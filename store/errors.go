package store

import (
	"selfserve/store/engine"
	"selfserve/store/engine/badger"
)

// Failures of the database itself. They say what happened; the front
// ends add what to do (issue 11 point 2). The engines return them.
var (
	// ErrNoDatabase: the directory does not exist or holds no database
	// (or the server holds no selfserve table), and the command may not
	// create one.
	ErrNoDatabase = engine.ErrNoDatabase
	// ErrForeignDir: the directory holds other files, so no database is
	// made there.
	ErrForeignDir = engine.ErrForeignDir
	// ErrBusy: another process kept the database for longer than
	// Options.LockWait.
	ErrBusy = engine.ErrBusy
	// ErrNotSaved: a write failed in the storage, not by a rule; nothing
	// of it was written.
	ErrNotSaved = engine.ErrNotSaved
	// ErrDamaged marks a database whose files cannot be trusted: a
	// damaged MANIFEST, a table cut short or overwritten, a record that
	// does not decode. No retry helps.
	ErrDamaged = engine.ErrDamaged
	// ErrDiskFull marks a write refused because the file system holding
	// the database is nearly full. Nothing of the refused change was
	// written.
	ErrDiskFull = engine.ErrDiskFull
	// ErrUnreachable: the database server did not answer.
	ErrUnreachable = engine.ErrUnreachable
)

// UnlistedDir is where opening a Badger database sets aside tables its
// MANIFEST does not list, inside the database directory.
const UnlistedDir = badger.UnlistedDir
