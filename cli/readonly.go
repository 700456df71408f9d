package cli

import "github.com/spf13/cobra"

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

// showsUnless names the commands that only show unless one of these flags
// is given: `settings DIR` and `config` alone read, and must not write.
var showsUnless = map[string][]string{
	"selfserve settings": {"allow-email-verified-users", "allow-adhoc-subscriptions"},
	"selfserve config":   {"dns-server", "dns-resolver", "dns-port", "dns-lab", "recheck-interval"},
}

// onlyReads tells whether this run of cmd only reads.
func onlyReads(cmd *cobra.Command) bool {
	path := cmd.CommandPath()
	if readOnly[path] {
		return true
	}
	changes, ok := showsUnless[path]
	if !ok {
		return false
	}
	for _, flag := range changes {
		if cmd.Flags().Changed(flag) {
			return false
		}
	}
	return true
}
