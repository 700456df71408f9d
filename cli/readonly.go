package cli

// readOnly names the commands that only read. They open the database
// read-only, sharing it with other readers, so that they cannot change
// any file (issue 10 point 1: `directory list` on a damaged database
// deleted 188 of its 189 tables). One list rather than a flag on each
// command, so a reader added later shows up in one place, and
// TestReadOnlyCommandsExist keeps it in step with the command tree.
var readOnly = map[string]bool{
	"selfserve audit":          true,
	"selfserve consumer list":  true,
	"selfserve directory list": true,
	"selfserve directory show": true,
	"selfserve domain list":    true,
	"selfserve outbox":         true,
	"selfserve service list":   true,
	"selfserve user list":      true,
	"selfserve user show":      true,
}
