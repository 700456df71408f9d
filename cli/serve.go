package cli

import (
	"errors"
	"path/filepath"

	"github.com/spf13/cobra"
)

func (a *app) serveCommand() *cobra.Command {
	var ssh sshFlags
	var keys string
	cmd := &cobra.Command{
		Use:   "serve --ssh ADDR",
		Short: "Serve the console over SSH to the operator and domain admins",
		Long: `Serves the console over SSH on the database at --db. Only public keys listed
in the authorized-keys file get in (no passwords); each line names who the
key signs in as, "operator" or an admin's address, then the key as in
OpenSSH's authorized_keys:

  operator ssh-ed25519 AAAAC3Nz... ops@laptop
  admin@contoso.com ssh-ed25519 AAAAC3Nz... alice

The operator sees every directory. An admin sees and acts only on the
directories they administer, those merged into them, and the unmanaged ones
of their own domain or its subdomains; :claim DOMAIN in the console starts
an external takeover of another domain. Every change is audited under their
address. The file is read again at every sign-in and every keystroke, and
every 10 seconds for the open sessions: removing a line keeps that key out
from its next connection and ends its open sessions within 10 seconds.
Only the console is served: "ssh host COMMAND" is refused; run the CLI on the
server. The server holds the database while it runs, so other selfserve
commands on it wait for --lock-timeout and then fail.`,
		Example: "  selfserve serve --ssh :2222\n  selfserve --db /srv/selfserve serve --ssh :22 --authorized-keys /etc/selfserve/keys",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ssh.addr == "" {
				return usageError{errors.New("serve needs --ssh ADDR (e.g. --ssh :2222)")}
			}
			if keys == "" {
				keys = filepath.Join(a.db, "authorized_keys")
			}
			return a.serveSSHShared(cmd.Context(), ssh, keys)
		},
	}
	cmd.Flags().StringVar(&ssh.addr, "ssh", "", "address to listen on (e.g. :2222)")
	cmd.Flags().StringVar(&keys, "authorized-keys", "", "file of \"IDENTITY KEY\" lines (default: authorized_keys in --db)")
	ssh.register(cmd, "")
	return cmd
}
