package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"selfserve/demo"
	"selfserve/model"
	"selfserve/store"
)

// demoMarker marks a directory as a demo database, so a fresh demo never
// deletes a real one.
const demoMarker = ".selfserve-demo"

func (a *app) demoCommand() *cobra.Command {
	size := demo.DefaultSize
	var walk bool
	var ssh sshFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build fresh demo data (Bellows College, Contoso and thousands more)",
		Long: `Builds the demo's stories (Dan at Bellows College and his unmanaged
directory; Contoso merging contoso.co.uk) into a fresh database (by default
selfserve-demo in your cache directory, e.g. ~/.cache, which must be yours
and closed to others; --db picks another, which must be empty or an
earlier demo) and opens the console on it (at a terminal; elsewhere it
prints how to explore it with the other commands).
Every run starts from fresh data. --tour then walks both takeovers against
the demo's own DNS server on loopback, with the same checks as real use.`,
		Example: "  selfserve demo\n  selfserve demo --tour\n  selfserve demo --http 127.0.0.1:8080\n  selfserve demo --ssh :2222\n  selfserve demo --db /tmp/mydemo --directories 100 --big-users 1000\n  selfserve demo --users 1000000",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if size.Directories < 0 || size.BigUsers < 0 || size.Users < 0 {
				return usageError{fmt.Errorf("--directories, --big-users and --users cannot be negative")}
			}
			if cmd.Flags().Changed("users") && cmd.Flags().Changed("big-users") {
				return usageError{fmt.Errorf("give --users or --big-users, not both")}
			}
			dir := a.db
			if !cmd.Flags().Changed("db") {
				var err error
				if dir, err = defaultDemoDir(); err != nil {
					return err
				}
			}
			if ssh.addr != "" {
				if !cmd.Flags().Changed("directories") && !cmd.Flags().Changed("big-users") && !cmd.Flags().Changed("users") {
					size = sshSize
				}
				return a.serveSSHDemo(cmd.Context(), ssh, dir, size)
			}
			if err := resetDemoDir(dir); err != nil {
				return err
			}
			started := time.Now()
			st, err := store.Open(dir, store.Options{Create: true})
			if err != nil {
				return err
			}
			sum, err := demo.Build(st, size)
			took := time.Since(started)
			if err == nil && walk && !a.json {
				fmt.Fprintf(a.out, "Demo data: %d directories, %d users, built in %s in %s\n", sum.Directories, sum.Users, took.Round(time.Millisecond), dir)
				err = tour(cmd.Context(), st, a.out)
			}
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("demo in %s: %w", dir, err)
			}
			out := map[string]any{"db": dir, "summary": sum, "seconds": took.Seconds()}
			if !walk && a.interactive() {
				return a.demoConsole(cmd, dir, size)
			}
			if walk && !a.json {
				fmt.Fprintf(a.out, "\nThe demo database stays in %s: selfserve --db %s directory list --state managed\n", dir, shellQuote(dir))
				return nil
			}
			return a.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "Demo data: %d directories, %d users, built in %s in %s\n\n", sum.Directories, sum.Users, took.Round(time.Millisecond), dir)
				fmt.Fprintf(w, "Watch both takeovers run against the demo's DNS server: selfserve demo --tour\n")
				fmt.Fprintf(w, "At a terminal, selfserve demo opens the console. Or explore with the commands:\n")
				for _, c := range []string{
					"directory list --state managed",
					"directory show " + demo.Bellows,
					"user list " + demo.Bellows + " --limit 10",
					"settings " + demo.Bellows,
					"domain challenge " + demo.Bellows + " --as " + demo.Dan,
					"domain challenge " + demo.ContosoUK + " --as " + demo.ContosoAdmin + " --into " + demo.Contoso,
				} {
					fmt.Fprintf(w, "  selfserve --db %s %s\n", dir, c)
				}
			})
		},
	}
	cmd.Flags().IntVar(&size.Directories, "directories", size.Directories, "number of small filler directories")
	cmd.Flags().IntVar(&size.BigUsers, "big-users", size.BigUsers, "users of the large directory "+demo.BigDomain)
	cmd.Flags().IntVar(&size.Users, "users", 0, "users in all, instead of --big-users: "+demo.BigDomain+" gets what the rest leave (e.g. 1000000)")
	cmd.Flags().BoolVar(&walk, "tour", false, "walk both takeovers against the demo's DNS server")
	cmd.Flags().StringVar(&a.httpAddr, "http", "", "serve the sign-up page and API on this address (e.g. 127.0.0.1:8080) while the console runs, so sign-ups arrive in it")
	cmd.Flags().StringVar(&ssh.addr, "ssh", "", "serve the demo over SSH on this address (e.g. :2222); each session gets its own copy (default size 300 directories, 20000 big users)")
	ssh.register(cmd, "with --ssh: ")
	return cmd
}

// resetDemoDir empties dir if it is an earlier demo, or refuses.
func resetDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return writeMarker(dir)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%w: %s holds data that is not a selfserve demo; give --db an empty directory", model.ErrRefused, dir)
		}
		// The contents, not dir itself: defaultDemoDir checked dir, and a
		// new one made in its place would not be.
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return writeMarker(dir)
}

func writeMarker(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("selfserve demo data; deleted by the next selfserve demo\n"), 0o600)
}

// defaultDemoDir is the demo's directory when --db is not given: one per
// user, in the user's cache directory (the temporary directory, with the
// user id in the name, when there is none). It must be the user's own and
// closed to others (issue 10 point 7): a directory another user planted
// in a shared place, with a host key of their choosing, was used as is.
func defaultDemoDir() (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("selfserve-demo-%d", os.Getuid()))
	if cache, err := os.UserCacheDir(); err == nil {
		dir = filepath.Join(cache, "selfserve-demo")
		if err := os.MkdirAll(cache, 0o700); err != nil {
			return "", err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	// Checked after making it: whoever made it first, it must be ours.
	info, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !info.IsDir():
		return "", fmt.Errorf("%w: the demo directory %s is not a directory (%s); remove it or give --db", model.ErrRefused, dir, info.Mode().Type())
	case !ok || int(st.Uid) != os.Getuid():
		return "", fmt.Errorf("%w: the demo directory %s belongs to another user; remove it or give --db", model.ErrRefused, dir)
	case info.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("%w: the demo directory %s is open to others (mode %#o); remove it or give --db", model.ErrRefused, dir, info.Mode().Perm())
	}
	return dir, nil
}
