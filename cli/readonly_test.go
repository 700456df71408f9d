package cli

import (
	"github.com/spf13/cobra"
	"strings"
	"testing"
)

// Every command named read-only exists, so a renamed command cannot
// silently go back to opening the database for writing.
func TestReadOnlyCommandsExist(t *testing.T) {
	root := (&app{}).rootCommand()
	find := func(path string) *cobra.Command {
		cmd, rest, err := root.Find(strings.Fields(path)[1:])
		if err != nil || len(rest) != 0 || cmd.CommandPath() != path {
			t.Errorf("%q is not a command (found %q, %v)", path, cmd.CommandPath(), err)
			return nil
		}
		return cmd
	}
	for path := range readOnly {
		find(path)
	}
	for path, flags := range showsUnless {
		cmd := find(path)
		for _, f := range flags {
			if cmd != nil && cmd.Flags().Lookup(f) == nil {
				t.Errorf("%s has no flag --%s", path, f)
			}
		}
	}
}
