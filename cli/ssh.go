package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/log"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"selfserve/demo"
	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/store"
	"selfserve/tui"
)

// sshSize is what each SSH visitor's private copy holds by default: small
// enough that a session opens in about a second.
var sshSize = demo.Size{Directories: 300, BigUsers: 20_000}

// sshConfig is the SSH demo's settings (the flags of demo --ssh).
type sshConfig struct {
	Addr        string        // listen address, e.g. ":2222"
	Dir         string        // holds the host key and the sessions' copies
	Size        demo.Size     // each session's copy
	MaxSessions int           // concurrent sessions; then a polite refusal
	IdleTimeout time.Duration // closes a session with no keystroke for this long
	MaxSession  time.Duration // closes any session after this long
	Logger      io.Writer     // connection log; nil discards it
}

// sshBanner is shown by the client before the session opens.
const sshBanner = "selfserve demo: a private, throw-away copy of the demo data for this session only.\r\n" +
	"Any user name works, no key or password is needed; nothing you do here is kept.\r\n"

// sshDemo is the SSH demo server: every session gets its own demo database
// and demo DNS server, deleted when the session ends.
type sshDemo struct {
	cfg sshConfig
	srv *ssh.Server
	log *log.Logger
	// active counts open sessions (refused ones too while refusing), so
	// Serve returns only after every session's copy is deleted.
	active atomic.Int64
}

// sessionKey holds the session's *sshSession in its context.
type sessionKey struct{}

// sshSession is one visitor's private demo.
type sshSession struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   *time.Timer
	opts   tui.Options
	st     *store.Store
}

var (
	errIdle    = errors.New("closed after no keystroke for too long")
	errTooLong = errors.New("closed: the session reached its maximum length")
)

func newSSHDemo(cfg sshConfig) (*sshDemo, error) {
	if cfg.Logger == nil {
		cfg.Logger = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	d := &sshDemo{cfg: cfg, log: log.NewWithOptions(cfg.Logger, log.Options{ReportTimestamp: true, Prefix: "ssh"})}
	// Middleware runs from the last to the first: log, limit, require a
	// real terminal, build the session's demo, then the console.
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		wish.WithHostKeyPath(filepath.Join(cfg.Dir, "ssh_host_ed25519")),
		wish.WithBanner(sshBanner),
		ssh.AllocatePty(),
		wish.WithMiddleware(
			// termenv.Ascii as the minimum: the visitor's own colour profile is kept.
			bubbletea.MiddlewareWithProgramHandler(d.program, termenv.Ascii),
			d.sessionMiddleware,
			activeterm.Middleware(),
			d.limitMiddleware,
			d.logMiddleware,
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh demo: %w", err)
	}
	// No password, public-key or keyboard-interactive handler is set, so
	// the server accepts "none" authentication: any user, no key.
	d.srv = srv
	return d, nil
}

// Serve accepts sessions on l until ctx ends, then closes the listener and
// every open session.
func (d *sshDemo) Serve(ctx context.Context, l net.Listener) error {
	done := make(chan error, 1)
	go func() { done <- d.srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Closing the connections ends every session's context: its console
	// quits and its copy and DNS server are removed.
	err := d.srv.Close()
	<-done
	for deadline := time.Now().Add(10 * time.Second); d.active.Load() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("ssh demo: sessions did not end within 10s")
		}
	}
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

func (d *sshDemo) logMiddleware(next ssh.Handler) ssh.Handler {
	return func(s ssh.Session) {
		start := time.Now()
		d.log.Info("session opened", "user", s.User(), "remote", s.RemoteAddr().String())
		next(s)
		d.log.Info("session closed", "user", s.User(), "remote", s.RemoteAddr().String(), "took", time.Since(start).Round(time.Millisecond))
	}
}

func (d *sshDemo) limitMiddleware(next ssh.Handler) ssh.Handler {
	return func(s ssh.Session) {
		n := d.active.Add(1)
		defer d.active.Add(-1)
		if d.cfg.MaxSessions > 0 && n > int64(d.cfg.MaxSessions) {
			wish.Printf(s, "Sorry, the selfserve demo is full (%d visitors at once). Please try again in a few minutes.\r\n", d.cfg.MaxSessions)
			_ = s.Exit(1)
			return
		}
		next(s)
	}
}

// sessionMiddleware builds the session's private demo (database and DNS
// server), runs the console, then stops and deletes both.
func (d *sshDemo) sessionMiddleware(next ssh.Handler) ssh.Handler {
	return func(s ssh.Session) {
		ctx, cancel := context.WithCancelCause(s.Context())
		defer cancel(nil)
		if d.cfg.MaxSession > 0 {
			t := time.AfterFunc(d.cfg.MaxSession, func() { cancel(errTooLong) })
			defer t.Stop()
		}
		dir, err := os.MkdirTemp(d.cfg.Dir, "session-")
		if err != nil {
			wish.Fatalln(s, "demo: "+err.Error())
			return
		}
		defer os.RemoveAll(dir)
		dns, err := demo.StartDNS("", demo.Bellows, demo.Contoso, demo.ContosoUK)
		if err != nil {
			wish.Fatalln(s, "demo: "+err.Error())
			return
		}
		defer dns.Close()
		st, err := store.Open(dir, store.Options{Create: true})
		if err != nil {
			wish.Fatalln(s, "demo: "+err.Error())
			return
		}
		defer st.Close()
		if _, err := demo.Build(st, d.cfg.Size); err != nil {
			wish.Fatalln(s, "demo: "+err.Error())
			return
		}
		sess := &sshSession{ctx: ctx, cancel: cancel, st: st}
		sess.opts = demoOptions(dns, st, d.cfg.Size)
		sess.opts.Context = ctx
		if d.cfg.IdleTimeout > 0 {
			sess.idle = time.AfterFunc(d.cfg.IdleTimeout, func() { cancel(errIdle) })
			defer sess.idle.Stop()
		}
		s.Context().SetValue(sessionKey{}, sess)
		next(s)
		if cause := context.Cause(ctx); errors.Is(cause, errIdle) || errors.Is(cause, errTooLong) {
			wish.Printf(s, "\r\nselfserve demo: %v. Thanks for visiting.\r\n", cause)
		}
		_ = s.Exit(0)
	}
}

// program makes the session's console: its own renderer (the visitor's
// colours), its own data, ended by the session's context; only keystrokes
// keep it from the idle timeout.
func (d *sshDemo) program(s ssh.Session) *tea.Program {
	sess, ok := s.Context().Value(sessionKey{}).(*sshSession)
	if !ok {
		return nil
	}
	r := bubbletea.MakeRenderer(s)
	m := tui.New(sess.st, r, sess.opts)
	pty, _, ok := s.Pty()
	if !ok || pty.Slave == nil {
		return nil
	}
	// The console reads the real PTY through a plain reader: given the
	// *os.File, Bubble Tea polls its descriptor while the SSH library
	// closes the PTY when the client leaves (a data race). So the PTY is
	// made raw here, as Bubble Tea would have done.
	if _, err := term.MakeRaw(pty.Slave.Fd()); err != nil {
		wish.Errorln(s, "demo: "+err.Error())
		return nil
	}
	opts := append([]tea.ProgramOption{},
		tea.WithInput(struct{ io.Reader }{pty.Slave}),
		tea.WithOutput(pty.Slave),
		tea.WithAltScreen(),
		tea.WithContext(sess.ctx),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.KeyMsg); ok && sess.idle != nil {
				sess.idle.Reset(d.cfg.IdleTimeout)
			}
			return msg
		}),
	)
	return tea.NewProgram(m, opts...)
}

// demoOptions gives the console the demo's DNS server to publish to and
// check against, and a reset that restores the data built with size.
func demoOptions(dns *demo.DNS, st *store.Store, size demo.Size) tui.Options {
	publish := func(rec model.RecordSpec) error {
		// Any demo domain may be taken over: its zone appears on first use.
		dns.AddZone(strings.TrimSuffix(rec.Name, "."))
		return dns.Publish(rec)
	}
	reset := func() error {
		dns.Clear()
		if err := st.Reset(); err != nil {
			return err
		}
		_, err := demo.Build(st, size)
		return err
	}
	return tui.Options{
		DNS:     dnscheck.Checker{Resolver: dns.Addr, Port: dns.Port, Timeout: 2 * time.Second},
		Publish: publish,
		Reset:   reset,
	}
}

// serveSSHDemo runs the SSH demo until ctx ends (ctrl+c, SIGTERM). The host
// key and the sessions' copies live in cfg.Dir, which must be empty or an
// earlier demo; the key is kept from run to run.
func (a *app) serveSSHDemo(ctx context.Context, cfg sshConfig) error {
	if cfg.MaxSessions < 0 || cfg.IdleTimeout < 0 || cfg.MaxSession < 0 {
		return usageError{fmt.Errorf("--max-sessions, --idle-timeout and --max-session cannot be negative")}
	}
	if err := prepareSSHDir(cfg.Dir); err != nil {
		return err
	}
	cfg.Logger = a.out
	d, err := newSSHDemo(cfg)
	if err != nil {
		return err
	}
	// wish logs through the default logger: send it to the server's log.
	log.SetDefault(d.log)
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ssh demo: %w", err)
	}
	fmt.Fprintf(a.out, "selfserve demo over SSH on %s (host key and session copies in %s); ctrl+c stops it\n", l.Addr(), cfg.Dir)
	fmt.Fprintf(a.out, "  try: ssh -p %s demo@localhost\n", portOf(l.Addr()))
	return d.Serve(ctx, l)
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
		if e.IsDir() && strings.HasPrefix(e.Name(), "session-") {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return writeMarker(dir)
}
