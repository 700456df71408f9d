package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"selfserve/demo"
	"selfserve/demo/sshdemo"
	"selfserve/model"
	"selfserve/ops/ratelimit"
	"selfserve/tui/sshconsole"
)

// sshSize is what each SSH visitor's private copy holds by default: small
// enough that a session opens in about a second.
var sshSize = demo.Size{Directories: 300, BigUsers: 20_000}

// hostKeyFile is the SSH host key's name inside the database directory.
const hostKeyFile = "ssh_host_ed25519"

// sshFlags are the limits both SSH servers (demo --ssh, serve --ssh) take.
type sshFlags struct {
	addr        string
	maxSessions int
	perMinute   int
	idle        time.Duration
	maxSession  time.Duration
}

func (f *sshFlags) register(cmd *cobra.Command, prefix string) {
	f.maxSessions, f.perMinute, f.idle, f.maxSession = 50, 20, 10*time.Minute, time.Hour
	fl := cmd.Flags()
	fl.IntVar(&f.maxSessions, "max-sessions", f.maxSessions, prefix+"sessions at once; more are refused politely")
	fl.IntVar(&f.perMinute, "conn-per-minute", f.perMinute, prefix+"new connections one address (an IPv6 /64 counts as one) may open per minute; more are closed before the handshake (0: no limit)")
	fl.DurationVar(&f.idle, "idle-timeout", f.idle, prefix+"close a session after this long without a keystroke")
	fl.DurationVar(&f.maxSession, "max-session", f.maxSession, prefix+"close any session after this long")
}

func (f sshFlags) check() error {
	if f.maxSessions < 0 || f.perMinute < 0 || f.idle < 0 || f.maxSession < 0 {
		return usageError{errors.New("--max-sessions, --conn-per-minute, --idle-timeout and --max-session cannot be negative")}
	}
	return nil
}

func (f sshFlags) config(a *app, hostKey string) sshconsole.Config {
	return sshconsole.Config{
		HostKeyPath: hostKey,
		MaxSessions: f.maxSessions,
		Rate:        ratelimit.Rate{Count: f.perMinute, Period: time.Minute},
		IdleTimeout: f.idle,
		MaxSession:  f.maxSession,
		Log:         a.out,
	}
}

// serveSSH listens on addr and serves until ctx ends (ctrl+c, SIGTERM).
// what, detail and user make the first lines the operator reads.
func (a *app) serveSSH(ctx context.Context, addr string, cfg sshconsole.Config, what, detail, user string) error {
	srv, err := sshconsole.New(cfg)
	if err != nil {
		return err
	}
	// wish logs through the default logger: send it to the server's log.
	log.SetDefault(srv.Logger())
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ssh: %w", err)
	}
	fmt.Fprintf(a.out, "%s over SSH on %s (%s); ctrl+c stops it\n", what, l.Addr(), detail)
	fmt.Fprintf(a.out, "  try: ssh -p %s %s@localhost\n", portOf(l.Addr()), user)
	return srv.Serve(ctx, l)
}

// serveSSHDemo runs the SSH demo: every session gets its own copy of the
// demo built with size. The host key and the sessions' copies live in dir,
// which must be empty or an earlier demo; the key is kept from run to run.
func (a *app) serveSSHDemo(ctx context.Context, f sshFlags, dir string, size demo.Size) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := prepareSSHDir(dir); err != nil {
		return err
	}
	cfg := f.config(a, filepath.Join(dir, hostKeyFile))
	cfg.Banner = sshdemo.Banner
	cfg.Open = sshdemo.Opener(dir, size)
	return a.serveSSH(ctx, f.addr, cfg, "selfserve demo", "host key and session copies in "+dir, "demo")
}

func portOf(addr net.Addr) string {
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return port
}

// prepareSSHDir makes dir a demo directory without deleting its host key,
// and removes session copies left by a server that was killed.
func prepareSSHDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%w: %s holds data that is not a selfserve demo; give --db an empty directory", model.ErrRefused, dir)
		}
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), sshdemo.SessionPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return writeMarker(dir)
}
