package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"selfserve/store"
	"selfserve/tui/words"
)

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the whole database: every table's checksums and every rule",
		Long: `Reads all of --db without changing any file: every block of every table
against its checksum, then every rule the data must keep (each member in
one directory, counters that match the users, takeovers finished and
audited, …). Exit 0 when nothing is wrong, 1 with the list of what is.

A damaged database is best replaced by a backup: restore it into a new
directory (selfserve restore BACKUP --db NEWDIR) and point --db there.`,
		Example: "  selfserve check\n  selfserve check --db /srv/selfserve --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := store.Check(a.db, store.Options{LockWait: a.lock, MaxConns: a.pool})
			if err != nil {
				return err
			}
			err = a.emit(rep, func(w io.Writer) {
				if !rep.Damaged() {
					// A database server checks its own pages: only Badger's
					// tables are ours to count.
					tables := ""
					if !store.IsURL(a.db) {
						tables = words.Plural(rep.Tables, "table", "tables") + ", "
					}
					fmt.Fprintf(w, "no damage found: %s%s, %s checked in %s\n", tables,
						words.Plural(rep.Directories, "directory", "directories"), words.Plural(rep.Users, "user", "users"), rep.Dir)
				}
				for _, p := range rep.Problems {
					fmt.Fprintln(w, p)
				}
				if len(rep.Unlisted) > 0 {
					fmt.Fprintf(w, "%s set aside in %s, not listed by the MANIFEST: a crash's leftovers when nothing else is wrong (then they may be removed); keep them when problems are listed above\n",
						words.Plural(len(rep.Unlisted), "table", "tables"), filepath.Join(rep.Dir, store.UnlistedDir))
				}
			})
			if err == nil && rep.Damaged() {
				err = fmt.Errorf("%w: %s found in %s", store.ErrDamaged, words.Plural(len(rep.Problems), "problem", "problems"), rep.Dir)
			}
			return err
		},
	}
}
