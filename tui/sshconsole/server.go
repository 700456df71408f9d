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
	"selfserve/tui"
)

// Config is an SSH console server's settings.
type Config struct {
	HostKeyPath string // generated on first start, kept after
	Banner      string // shown by the client before the session
	MaxSessions int    // concurrent sessions; then a polite refusal
	// Rate limits new connections per remote address.
	Rate        Rate
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
	// Now is the clock of the rate limit; nil is time.Now.
	Now func() time.Time
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
	limiter *limiter
	// active counts open sessions (refused ones too while refusing), so
	// Serve returns only after every session has cleaned up.
	active atomic.Int64
}

var (
	errIdle    = errors.New("closed after no keystroke for too long")
	errTooLong = errors.New("closed: the session reached its maximum length")
)

// New builds a server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		log:     log.NewWithOptions(cfg.Log, log.Options{ReportTimestamp: true, Prefix: "ssh"}),
		limiter: newLimiter(cfg.Rate, cfg.Now),
	}
	opts := []ssh.Option{
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithBanner(cfg.Banner),
		ssh.AllocatePty(),
		// Middleware runs from the last to the first: log, limit, check
		// who signed in, require a terminal, open the session's
		// console, then run it.
		wish.WithMiddleware(
			// termenv.Ascii as the minimum: the visitor's own colour
			// profile is kept.
			bubbletea.MiddlewareWithProgramHandler(s.program, termenv.Ascii),
			s.consoleMiddleware,
			s.terminalMiddleware,
			s.identityMiddleware,
			s.limitMiddleware,
			s.logMiddleware,
		),
		func(srv *ssh.Server) error {
			srv.ConnCallback = s.admit
			// The console's own timers run inside a session. These bound
			// every connection, also one that never signs in or opens no
			// session; they are looser, so a session hears why it ends.
			srv.IdleTimeout = 2 * cfg.IdleTimeout
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

// Serve accepts sessions on l until ctx ends, then closes the listener and
// every open session, and returns once each session has cleaned up.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Closing the connections ends every session's context: its console
	// quits and its Close runs.
	err := s.srv.Close()
	<-done
	for deadline := time.Now().Add(10 * time.Second); s.active.Load() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("ssh server: sessions did not end within 10s")
		}
	}
	if errors.Is(err, ssh.ErrServerClosed) {
		err = nil
	}
	return err
}

// knownKey is the handshake's check. It may see keys the client only
// offers and never signs with, so it decides nothing beyond "listed":
// identityMiddleware looks the final key up again.
func (s *Server) knownKey(_ ssh.Context, key ssh.PublicKey) bool {
	keys, err := s.cfg.Keys()
	if err != nil {
		s.log.Error("authorized keys", "err", err)
		return false
	}
	_, ok := keys.Lookup(key)
	return ok
}
