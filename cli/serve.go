package cli

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/spf13/cobra"
)

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--http ADDR] [--ssh ADDR]",
		Short: "Run the sign-up service: the sign-up page and API, the console over SSH, mail and scheduled work",
		Long: `Runs selfserve as a service on the database at --db, until ctrl+c or SIGTERM:

  --http ADDR   the sign-up page at / and the JSON API under /v1 (see
                /v1/openapi.json), /healthz, /readyz and /metrics
  --ssh ADDR    the console over SSH to listed keys

and always: the mail courier (with --smtp: codes and invitations are queued
with what they carry and delivered with retries), the scheduled work (due
DNS re-checks and the sweep of spent codes, stale challenges and retired
directories, every ten minutes), and a command socket in --db: every other
selfserve command on this database runs inside the server, with its usual
output and exit status (cron's domain recheck, backup, directory list).

Only public keys listed in the authorized-keys file get into the SSH
console (no passwords); each line names who the key signs in as, "operator"
or an admin's address, then the key as in OpenSSH's authorized_keys:

  operator ssh-ed25519 AAAAC3Nz... ops@laptop
  admin@contoso.com ssh-ed25519 AAAAC3Nz... alice

The operator sees every directory. An admin sees and acts only on the
directories they administer, those merged into them, and the unmanaged ones
of their own domain or its subdomains; :claim DOMAIN in the console starts
an external takeover of another domain. Every change is audited under their
address. The file is read again at every sign-in and every keystroke, and
every 10 seconds for the open sessions: removing a line keeps that key out
from its next connection and ends its open sessions within 10 seconds.
"ssh -p PORT HOST COMMAND…" runs a selfserve command inside the server as
the key's identity, with its output and exit status: the operator any
command the CLI runs on the server, an admin only directory list|show,
user list|show, domain list, service list and settings, within their reach
and as themselves. The way to script a remote server.`,
		Example: "  selfserve serve --http 127.0.0.1:8080 --ssh :2222\n" +
			"  selfserve --db /srv/selfserve --smtp localhost:25 serve --http 127.0.0.1:8080 --trusted-proxy 127.0.0.1/32 --public-url https://signup.example.com/",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.ssh.addr == "" && f.http == "" {
				return usageError{errors.New("serve needs --http ADDR, --ssh ADDR or both (e.g. --http 127.0.0.1:8080)")}
			}
			if err := f.ssh.check(); err != nil {
				return err
			}
			for _, p := range f.trusted {
				pr, err := netip.ParsePrefix(p)
				if err != nil {
					return usageError{fmt.Errorf("--trusted-proxy %q: want an address range like 10.0.0.0/8 or 127.0.0.1/32", p)}
				}
				f.proxies = append(f.proxies, pr.Masked())
			}
			if f.keys == "" {
				f.keys = a.beside("authorized_keys")
			}
			return a.serve(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.http, "http", "", "address for the sign-up page and API (e.g. 127.0.0.1:8080)")
	fl.StringVar(&f.publicURL, "public-url", "", "the sign-up page's address as people reach it (default http://ADDR/ of --http); code mails name it")
	fl.StringSliceVar(&f.trusted, "trusted-proxy", nil, "address range of a reverse proxy whose X-Forwarded-For names the client (repeatable)")
	fl.StringVar(&f.ssh.addr, "ssh", "", "address for the console over SSH (e.g. :2222)")
	fl.StringVar(&f.keys, "authorized-keys", "", "file of \"IDENTITY KEY\" lines (default: authorized_keys in --db, or for a PostgreSQL --db in "+dataDir()+")")
	f.ssh.register(cmd, "SSH: ")
	return cmd
}
