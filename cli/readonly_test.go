package cli

import (
	"strings"
	"testing"
)

// Every command named read-only exists, so a renamed command cannot
// silently go back to opening the database for writing.
func TestReadOnlyCommandsExist(t *testing.T) {
	root := (&app{}).rootCommand()
	for path := range readOnly {
		args := strings.Fields(path)[1:]
		cmd, rest, err := root.Find(args)
		if err != nil || len(rest) != 0 || cmd.CommandPath() != path {
			t.Errorf("%q is not a command (found %q, %v)", path, cmd.CommandPath(), err)
		}
	}
}
