// Package cli is selfserve's command line: one cobra command per operation
// of PRODUCT.md §4, each a thin layer over package ops.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"selfserve/ops"
	"selfserve/store"
)

// usageError marks a mistake in the command line itself (exit status 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// app holds the global flags every command shares.
type app struct {
	db      string
	json    bool
	smtp    string
	from    string
	timeout time.Duration
	lock    time.Duration
	pool    int32 // --db-pool: a database server's connections
	// extra lengthens the command's deadline beyond timeout (verify --wait).
	extra time.Duration
	out   io.Writer
	errw  io.Writer
	// args is the command line, sent as it is to a server holding --db.
	args []string
	// attached is the console of the server this command runs inside
	// (socket.go); nil when the command opens the database itself.
	attached *ops.Console
	// cwd is the directory relative paths are read from: the caller's,
	// when the command runs inside a server.
	cwd string
	// httpAddr (demo --http) serves the sign-up page beside the console.
	httpAddr string
	// viewer is who runs the command: the operator (zero), or over SSH
	// the admin the key signs in as.
	viewer ops.Viewer
}

// Run executes the command line and returns the process exit status:
// 0 done, 1 refused or failed (message on stderr), 2 usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, &app{out: stdout, errw: stderr, args: args}, args, stdout, stderr)
}

func run(ctx context.Context, a *app, args []string, stdout, stderr io.Writer) int {
	root := a.rootCommand()
	if a.attached != nil {
		root.PersistentPreRunE = a.refuseInServer
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var fwd forwarded
	if errors.As(err, &fwd) {
		return fwd.code // the server wrote the command's output
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "selfserve:", advise(err))
	if isUsage(err) {
		fmt.Fprintln(stderr, "Run 'selfserve --help' or 'selfserve COMMAND --help' for usage.")
		return 2
	}
	return 1
}

func isUsage(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	// cobra reports these itself, before any flag or argument hook runs.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "required flag", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "selfserve",
		Short: "Admin console for self-service sign-up directories",
		Long: `selfserve keeps the directories that self-service sign-up creates: the first
person from a domain creates an unmanaged directory, later ones join it, and
an admin who proves the domain in DNS takes it over (internal) or merges it
into their managed directory (external).

Run without a command at a terminal, it opens the console on --db.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		// At a terminal the console opens on --db; elsewhere (pipes,
		// scripts) the overview of commands.
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !a.interactive() {
				return cmd.Help()
			}
			return a.openConsole(cmd, a.db, nil)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		// pflag's text for a bad boolean ends in Go parser internals.
		if msg, _, found := strings.Cut(err.Error(), ": strconv.ParseBool"); found {
			err = errors.New(msg + ": use true or false")
		}
		return usageError{err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", defaultDB(), "database directory, or a postgres:// URL (env SELFSERVE_DB)")
	pf.Int32Var(&a.pool, "db-pool", 0, "connections to a PostgreSQL --db at most (0: the larger of 4 and the number of CPUs)")
	pf.BoolVar(&a.json, "json", false, "print machine-readable JSON on stdout")
	pf.StringVar(&a.smtp, "smtp", os.Getenv("SELFSERVE_SMTP"), "SMTP relay HOST:PORT for codes and invitations (env SELFSERVE_SMTP); unset keeps mail in the outbox")
	pf.StringVar(&a.from, "mail-from", "selfserve@localhost", "sender address for mail sent through --smtp")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "give up on DNS and mail after this long")
	pf.DurationVar(&a.lock, "lock-timeout", 10*time.Second, "wait this long for another selfserve process to close the database")
	root.AddCommand(a.signupCommand(), a.outboxCommand(), a.directoryCommand(), a.userCommand(),
		a.domainCommand(), a.settingsCommand(), a.inviteCommand(), a.serviceCommand(), a.auditCommand(),
		a.consumerCommand(), a.configCommand(), a.demoCommand(), a.serveCommand(),
		a.checkCommand(), a.backupCommand(), a.restoreCommand(), a.migrateCommand())
	return root
}

func defaultDB() string {
	if db := os.Getenv("SELFSERVE_DB"); db != "" {
		return db
	}
	return dataDir()
}

// dataDir is where this user's selfserve keeps its files: the default
// database, and a server's SSH host key when the database is PostgreSQL.
func dataDir() string {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "selfserve")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "selfserve-data"
	}
	return filepath.Join(home, ".local", "share", "selfserve")
}

// creates marks the commands that may start a new database; every other
// command refuses a --db that holds none, so a typo shows as one.
var creates = map[string]string{"creates": "yes"}

// asOperator is console with the operator's session: a command without
// --as acts as the operator, as whoever runs it next to the database may.
func (a *app) asOperator(cmd *cobra.Command, fn func(ctx context.Context, s *ops.Session) error) error {
	return a.console(cmd, func(ctx context.Context, c *ops.Console) error { return fn(ctx, c.As(a.viewer)) })
}

// console opens the database for one command and closes it after.
func (a *app) console(cmd *cobra.Command, fn func(ctx context.Context, c *ops.Console) error) error {
	if a.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be more than 0")}
	}
	if a.attached != nil {
		ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout+a.extra)
		defer cancel()
		return fn(ctx, a.attached)
	}
	if err := a.forward(cmd); err != nil {
		return err
	}
	creates := cmd.Annotations["creates"] != ""
	st, err := store.Open(a.db, store.Options{Create: creates && !onlyReads(cmd), ReadOnly: onlyReads(cmd), LockWait: a.lock, MaxConns: a.pool})
	if errors.Is(err, store.ErrNoDatabase) && creates && onlyReads(cmd) {
		// Showing the settings of a database not made yet makes it, as
		// changing them would: a read-only open cannot.
		st, err = store.Open(a.db, store.Options{Create: true, LockWait: a.lock, MaxConns: a.pool})
	}
	if err != nil {
		return err
	}
	cfg, err := st.DNSConfig()
	if err != nil {
		st.Close()
		return err
	}
	c := &ops.Console{Store: st, DNS: ops.DNSChecker(cfg)}
	if a.smtp != "" {
		c.Mail = ops.SMTP{Addr: a.smtp, From: a.from}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), a.timeout+a.extra)
	defer cancel()
	err = fn(ctx, c)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing database: %w", cerr)
	}
	return err
}

// readStore runs fn on the store of --db opened read-only for this
// command (or the server's, when the command runs inside one): for
// commands that work on the database as a whole (backup).
func (a *app) readStore(cmd *cobra.Command, fn func(st *store.Store) error) error {
	if a.attached != nil {
		return fn(a.attached.Store)
	}
	if err := a.forward(cmd); err != nil {
		return err
	}
	st, err := store.Open(a.db, store.Options{ReadOnly: true, LockWait: a.lock, MaxConns: a.pool})
	if err != nil {
		return err
	}
	err = fn(st)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing database: %w", cerr)
	}
	return err
}

// beside is where a server keeps a file of its own: in --db, or for a
// database server (no directory) in dataDir.
func (a *app) beside(name string) string {
	if store.IsURL(a.db) {
		return filepath.Join(dataDir(), name)
	}
	return filepath.Join(a.db, name)
}

// path is p as the person running the command meant it: relative to
// their working directory, also when the command runs inside a server.
func (a *app) path(p string) string {
	if a.cwd == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(a.cwd, p)
}

// self spells a command line to suggest next, repeating --db when the
// user gave it, so the suggestion works when pasted.
func (a *app) self(cmd *cobra.Command, args ...string) string {
	words := []string{"selfserve"}
	if f := cmd.Flags().Lookup("db"); f != nil && f.Changed {
		words = append(words, "--db", shellQuote(a.db))
	}
	for _, w := range args {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// group is a command that only holds subcommands. It runs (showing its
// help) so that cobra checks its arguments: an unknown subcommand is then a
// usage error instead of a silent help page.
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
}

// Argument checks that report as usage errors.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		cmd.SuggestionsMinimumDistance = 2 // typos up to two letters off
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
	return nil
}

func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageError{fmt.Errorf("%s takes %s (got %d arguments)", cmd.CommandPath(), strings.Join(names, " "), len(args))}
		}
		return nil
	}
}
