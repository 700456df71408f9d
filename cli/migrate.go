package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/store"
)

func (a *app) migrateCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate --from DB --to DB",
		Short: "Copy a whole database to another engine (a directory ⇄ PostgreSQL)",
		Long: `Copies every record of --from into --to, as --from was at one instant,
with the key that checks sign-up codes already sent. Either may be a
database directory or a postgres:// URL. --to must be a new or empty
directory or an empty PostgreSQL database: a database that holds data is
never overwritten. Stop the servers on --from first, or records written
after the instant are not copied. Run selfserve check on --to afterwards.`,
		Example: `  selfserve migrate --from ~/.local/share/selfserve --to 'postgres://selfserve@db.example/selfserve?sslmode=verify-full'
  selfserve migrate --from "$SELFSERVE_DB" --to /srv/selfserve-copy`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageError{fmt.Errorf("give both --from and --to")}
			}
			n, err := store.Migrate(from, to, store.Options{LockWait: a.lock, MaxConns: a.pool})
			if err != nil {
				return err
			}
			out := struct {
				From    string `json:"from"`
				To      string `json:"to"`
				Records int64  `json:"records"`
			}{store.Describe(from), store.Describe(to), n}
			return a.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "copied %d records from %s to %s\n", out.Records, out.From, out.To)
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the database to copy: a directory or a postgres:// URL")
	cmd.Flags().StringVar(&to, "to", "", "the new database: an empty directory or PostgreSQL database")
	return cmd
}
