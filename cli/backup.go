package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"selfserve/store"
)

func (a *app) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent snapshot of the database to FILE",
		Long: `Writes everything in --db (a directory or a PostgreSQL URL), as it was at
one instant, to FILE (created -rw-------: it holds people's addresses). The file is written beside FILE
as FILE.tmp and renamed into place when complete, so FILE is always either
the previous backup or the whole new one. A database with a damaged table is
refused (run selfserve check).

The backup takes turns with other selfserve commands on --db like any
reader; while selfserve serve holds the database, the server writes it
(FILE is still relative to where you run the command).`,
		Example: "  selfserve backup /var/backups/selfserve-$(date +%F)",
		Args:    exactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var info store.BackupInfo
			err := a.readStore(cmd, func(st *store.Store) (err error) {
				info, err = st.BackupFile(a.path(args[0]))
				return err
			})
			if err != nil {
				return err
			}
			return a.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "backed up %s to %s (%d records, %d bytes)\n", store.Describe(a.db), info.Path, info.Records, info.Bytes)
			})
		},
	}
}

func (a *app) restoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into a new or empty --db",
		Long: `Restores a file written by selfserve backup into --db, which must be a new
or empty directory or an empty PostgreSQL database: a database that holds
data is never overwritten. The whole file is checked first (a file cut
short or altered restores nothing). A backup of either kind restores into
either kind (backups made before PostgreSQL support, into a directory only).
Point --db at the new database afterwards.`,
		Example: "  selfserve restore /var/backups/selfserve-2026-11-29 --db /srv/selfserve-restored",
		Args:    exactArgs("FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.Restore(a.db, args[0], store.Options{LockWait: a.lock, MaxConns: a.pool}); err != nil {
				return err
			}
			st, err := store.Open(a.db, store.Options{ReadOnly: true, LockWait: a.lock, MaxConns: a.pool})
			if err != nil {
				return err
			}
			defer st.Close()
			out := struct {
				DB          string `json:"db"`
				Backup      string `json:"backup"`
				Directories int    `json:"directories"`
				Users       int64  `json:"users"`
			}{DB: store.Describe(a.db), Backup: args[0]}
			if out.Directories, out.Users, err = st.Totals(); err != nil {
				return err
			}
			return a.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "restored %s into %s: %d directories, %d users\n", out.Backup, out.DB, out.Directories, out.Users)
			})
		},
	}
}
