// Package sshconsole serves the console over SSH: one Bubble Tea program
// per session with its own renderer, behind session and connection
// limits, either to anyone (the demo) or to holders of listed keys.
package sshconsole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/log"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/muesli/termenv"

	"selfserve/ops"
	"selfserve/ops/ratelimit"
	"selfserve/tui"
)

// Config is an SSH console server's settings.
type Config struct {
	HostKeyPath string // generated on first start, kept after
	Banner      string // shown by the client before the session
	MaxSessions int    // concurrent sessions; then a polite refusal
	// Rate limits new connections per client (an IPv4 address or an
	// IPv6 /64).
	Rate        ratelimit.Rate
	IdleTimeout time.Duration // closes a session with no keystroke for this long
	MaxSession  time.Duration // closes any session after this long
	Log         io.Writer     // connection log; nil discards it
	// Keys, when set, is read at every sign-in (so an edited file counts
	// at once) and only its keys get in; nil lets anyone in with no key
	// at all, which only the demo's throw-away copies may do.
	Keys func() (*Keys, error)
	// Open builds a session's console (the middleware adds who signed
	// in and the session's context); its Close runs when the session ends.
	Open func() (Console, error)
	// Command, when set, runs `ssh HOST COMMAND…` as the key's viewer
	// and returns its exit status (serve: the same command tree as the
	// CLI); unset, a command is refused (the public demo).
	Command func(ctx context.Context, v ops.Viewer, args []string, stdout, stderr io.Writer) int
	// Sessions, when set, hears each console session open (+1) and
	// close (-1): the server's metrics.
	Sessions func(delta int)
	// Now is the clock of the rate limit; nil is time.Now.
	Now func() time.Time
	// HandshakeTimeout closes a connection that has not opened its
	// console this long after connecting; MaxPending is how many such
	// connections may wait at once. Zero is the default (a minute, 100):
	// unlike the session limits, these cannot be turned off.
	HandshakeTimeout time.Duration
	MaxPending       int
	// KeyCheck is how often the keys file is read again for the open
	// sessions (zero: every 10 seconds); a session whose key is gone
	// ends. Every keystroke also reads it, before the console sees it.
	KeyCheck time.Duration
}

// Console is what one session runs: the operations it reaches the data
// through, the console's options and what to do when the session ends.
type Console struct {
	Ops     *ops.Console
	Options tui.Options
	Close   func()
}

// Server is an SSH console server.
type Server struct {
	cfg     Config
	srv     *ssh.Server
	log     *log.Logger
	limiter *ratelimit.Limiter
	gate    *gate
	// active counts open sessions (refused ones too while refusing), so
	// Serve returns only after every session has cleaned up.
	active   atomic.Int64
	sessions sessions
}

// A stopping server waits shutdownGrace for its sessions to say goodbye
// and their clients to leave, then closes what is left and waits for the
// sessions' clean-up (a demo copy's removal) until shutdownLimit: it
// exits within 2 seconds (issue 11 point 13).
const (
	shutdownGrace = time.Second
	shutdownLimit = 1800 * time.Millisecond
)

// New builds a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = defaultHandshakeTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = defaultMaxPending
	}
	if cfg.KeyCheck <= 0 {
		cfg.KeyCheck = defaultKeyCheck
	}
	s := &Server{
		cfg:     cfg,
		log:     log.NewWithOptions(cfg.Log, log.Options{ReportTimestamp: true, Prefix: "ssh"}),
		limiter: ratelimit.New(cfg.Rate, cfg.Now),
	}
	s.gate = newGate(cfg.HandshakeTimeout, cfg.MaxPending, func(c net.Conn) {
		s.log.Warn("connection closed: no console within the handshake deadline", "remote", c.RemoteAddr().String(), "deadline", cfg.HandshakeTimeout)
	})
	opts := []ssh.Option{
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithBanner(cfg.Banner),
		ssh.AllocatePty(),
		// Middleware runs from the last to the first: log, contain a
		// panic, limit, check who signed in, require a terminal, open
		// the session's console, then run it.
		wish.WithMiddleware(
			// termenv.Ascii as the minimum: the visitor's own colour
			// profile is kept.
			bubbletea.MiddlewareWithProgramHandler(s.program, termenv.Ascii),
			s.consoleMiddleware,
			s.terminalMiddleware,
			s.identityMiddleware,
			s.limitMiddleware,
			s.recoverMiddleware,
			s.logMiddleware,
		),
		func(srv *ssh.Server) error {
			srv.ConnCallback = s.admit
			// A connection is bounded by the gate until its console
			// opens, then by the console's own timers, then by the gate's
			// deadline again (consoleMiddleware). There is no idle
			// deadline on the connection: building a demo copy sends
			// nothing, and on a busy machine took longer than twice a
			// short --idle-timeout, which closed the connection before its
			// console drew (issue 11 point 15). The backstop below is
			// looser than --max-session, so a session hears why it ends.
			if cfg.MaxSession > 0 {
				srv.MaxTimeout = cfg.MaxSession + time.Minute
			}
			return nil
		},
	}
	if cfg.Keys != nil {
		// Public keys only: with no password or keyboard-interactive
		// handler set, those methods are not offered.
		opts = append(opts, wish.WithPublicKeyAuth(s.knownKey))
	}
	// Without any handler the server accepts "none" authentication:
	// any user, no key (the demo).
	srv, err := wish.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	s.srv = srv
	return s, nil
}

// Logger is the server's log, for the SSH library's own messages.
func (s *Server) Logger() *log.Logger { return s.log }

// Serve accepts sessions on l until ctx ends. Then it refuses new
// connections, ends every session with a goodbye (each console quits and
// restores the visitor's terminal) and returns once each session has
// cleaned up, closing whatever has not ended after shutdownGrace.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	watch, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go s.watchKeys(watch)
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	start := time.Now()
	s.gate.close()
	n := s.sessions.stop(errShutdown)
	s.log.Info("shutting down", "sessions", n)
	grace, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Shutdown closes the listener and waits for the connections; the
	// sessions' clients leave once told goodbye.
	err := s.srv.Shutdown(grace)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("closing connections still open after the grace period", "grace", shutdownGrace)
		err = s.srv.Close()
	}
	if e := <-done; !errors.Is(e, ssh.ErrServerClosed) && err == nil {
		err = e
	}
	// A session whose connection was closed under it cleans up (a demo
	// copy's removal) after; wait for it until shutdownLimit.
	for deadline := start.Add(shutdownLimit); s.active.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.log.Warn("stopping with sessions still cleaning up", "sessions", s.active.Load())
			break
		}
	}
	s.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

// knownKey is the handshake's check. It may see keys the client only
// offers and never signs with, so it decides nothing beyond "listed":
// identityMiddleware looks the final key up again.
func (s *Server) knownKey(ctx ssh.Context, key ssh.PublicKey) bool {
	keys, err := s.cfg.Keys()
	if err != nil {
		s.log.Error("authorized keys", "err", err)
		return false
	}
	if _, ok := keys.Lookup(key); ok {
		return true
	}
	// As sshd does: every refused key, so an admin asking why can be
	// told which key their client offered.
	s.log.Warn("key refused: not listed", "fingerprint", fingerprint(key), "user", ctx.User(), "remote", ctx.RemoteAddr().String())
	return false
}
