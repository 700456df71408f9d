package sshconsole

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/x/term"

	"selfserve/ops"
	"selfserve/tui"
)

// Context keys of what the middleware found out about a session, and
// the count of a connection's sessions.
type (
	viewerKey   struct{}
	sessionKey  struct{}
	consolesKey struct{}
)

// session is one open console.
type session struct {
	ctx     context.Context
	idle    *time.Timer
	console Console
}

// admit is the per-address connection rate limit, before any handshake.
func (s *Server) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	if s.limiter.allow(conn.RemoteAddr()) {
		ctx.SetValue(consolesKey{}, new(atomic.Int64))
		return conn
	}
	s.log.Warn("connection refused: rate limit", "remote", conn.RemoteAddr().String())
	// Text before the SSH version line is allowed (RFC 4253 §4.2); a
	// person running ssh -v sees why.
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(conn, "selfserve: too many connections from your address; try again in a minute\r\n")
	return nil
}

func (s *Server) logMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		s.log.Info("session opened", "user", sess.User(), "remote", sess.RemoteAddr().String())
		next(sess)
		s.log.Info("session closed", "user", sess.User(), "remote", sess.RemoteAddr().String(), "took", time.Since(start).Round(time.Millisecond))
	}
}

func (s *Server) limitMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		n := s.active.Add(1)
		defer s.active.Add(-1)
		// One console per connection: otherwise one connection (ssh's
		// multiplexing) could take every slot past the rate limit.
		if c, ok := sess.Context().Value(consolesKey{}).(*atomic.Int64); ok {
			defer c.Add(-1)
			if c.Add(1) > 1 {
				wish.Println(sess, "selfserve: one console per connection; open another connection for another console.")
				_ = sess.Exit(1)
				return
			}
		}
		if s.cfg.MaxSessions > 0 && n > int64(s.cfg.MaxSessions) {
			wish.Printf(sess, "Sorry, selfserve is full (at most %d at once). Please try again in a few minutes.\r\n", s.cfg.MaxSessions)
			_ = sess.Exit(1)
			return
		}
		next(sess)
	}
}

// identityMiddleware decides who the session acts for from the key the
// client finally signed with, read against the keys file as it is now.
func (s *Server) identityMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		var v ops.Viewer // the demo: the operator of a private copy
		if s.cfg.Keys != nil {
			keys, err := s.cfg.Keys()
			if err != nil {
				s.log.Error("authorized keys", "err", err)
				wish.Fatalln(sess, "selfserve: the server cannot read its authorized keys; tell its operator")
				return
			}
			var ok bool
			if v, ok = keys.Lookup(sess.PublicKey()); !ok {
				s.log.Warn("session refused: key not listed", "user", sess.User(), "remote", sess.RemoteAddr().String())
				wish.Fatalln(sess, "selfserve: your key is not authorized")
				return
			}
			s.log.Info("signed in", "as", v.Actor(), "remote", sess.RemoteAddr().String())
		}
		sess.Context().SetValue(viewerKey{}, v)
		next(sess)
	}
}

// terminalMiddleware refuses commands and sessions without a terminal:
// the console is the only thing served (the CLI runs on the server).
func (s *Server) terminalMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if len(sess.Command()) > 0 {
			wish.Fatalf(sess, "selfserve: commands over SSH are not supported (you sent %q).\r\nConnect without a command for the console, or run the selfserve CLI on the server.\r\n", sess.RawCommand())
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatalln(sess, "selfserve: the console needs a terminal; connect with ssh -t")
			return
		}
		next(sess)
	}
}

// consoleMiddleware opens the session's console, runs it, then closes
// it, under the session's idle and length limits.
func (s *Server) consoleMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ctx, cancel := context.WithCancelCause(sess.Context())
		defer cancel(nil)
		if s.cfg.MaxSession > 0 {
			t := time.AfterFunc(s.cfg.MaxSession, func() { cancel(errTooLong) })
			defer t.Stop()
		}
		v, _ := sess.Context().Value(viewerKey{}).(ops.Viewer)
		c, err := s.cfg.Open()
		if err != nil {
			s.log.Error("open console", "err", err)
			wish.Fatalln(sess, "selfserve: "+err.Error())
			return
		}
		defer c.Close()
		c.Options.Context, c.Options.Viewer = ctx, v
		st := &session{ctx: ctx, console: c}
		if s.cfg.IdleTimeout > 0 {
			st.idle = time.AfterFunc(s.cfg.IdleTimeout, func() { cancel(errIdle) })
			defer st.idle.Stop()
		}
		sess.Context().SetValue(sessionKey{}, st)
		next(sess)
		if cause := context.Cause(ctx); errors.Is(cause, errIdle) || errors.Is(cause, errTooLong) {
			wish.Printf(sess, "\r\nselfserve: %v. Goodbye.\r\n", cause)
		}
		_ = sess.Exit(0)
	}
}

// program makes the session's console: its own renderer (the visitor's
// colours), ended by the session's context; only keystrokes keep it from
// the idle timeout, never its own output (a spinner).
func (s *Server) program(sess ssh.Session) *tea.Program {
	st, ok := sess.Context().Value(sessionKey{}).(*session)
	if !ok {
		return nil
	}
	pty, _, ok := sess.Pty()
	if !ok || pty.Slave == nil {
		return nil
	}
	// The console reads the PTY through a plain reader: given the
	// *os.File, Bubble Tea polls its descriptor while the SSH library
	// closes the PTY when the client leaves (a data race). So the PTY is
	// made raw here, as Bubble Tea would have done.
	if _, err := term.MakeRaw(pty.Slave.Fd()); err != nil {
		wish.Errorln(sess, "selfserve: "+err.Error())
		return nil
	}
	m := tui.New(st.console.Ops, bubbletea.MakeRenderer(sess), st.console.Options)
	return tea.NewProgram(m,
		tea.WithInput(struct{ io.Reader }{pty.Slave}),
		tea.WithOutput(pty.Slave),
		tea.WithAltScreen(),
		tea.WithContext(st.ctx),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.KeyMsg); ok && st.idle != nil {
				st.idle.Reset(s.cfg.IdleTimeout)
			}
			return msg
		}),
	)
}
