package sshconsole

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/x/term"
	gossh "golang.org/x/crypto/ssh"

	"selfserve/ops"
	"selfserve/ops/ratelimit"
	"selfserve/tui"
)

// Context keys of what the middleware found out about a session, the
// count of a connection's sessions and its place in the gate.
type (
	viewerKey   struct{}
	sessionKey  struct{}
	consolesKey struct{}
	pendingKey  struct{}
)

// admit is the per-client connection rate limit and the gate on
// connections not yet in a console, before any handshake.
func (s *Server) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	remote := conn.RemoteAddr().String()
	// Checked before the SSH handshake, the costly part a flood would
	// aim at.
	if ok, _ := s.limiter.Allow(ratelimit.Client(conn.RemoteAddr())); !ok {
		s.log.Warn("connection refused: rate limit", "remote", remote)
		refuse(conn, "too many connections from your address; try again in a minute")
		return nil
	}
	p := s.gate.enter(conn)
	if p == nil {
		s.log.Warn("connection refused: too many connections opening at once", "remote", remote, "max", s.cfg.MaxPending)
		refuse(conn, "the server is busy or stopping; try again in a minute")
		return nil
	}
	ctx.SetValue(consolesKey{}, new(atomic.Int64))
	ctx.SetValue(pendingKey{}, p)
	return p
}

// refuse tells a connection why before it is closed: text before the SSH
// version line is allowed (RFC 4253 §4.2), so a person running ssh -v
// sees it.
func refuse(conn net.Conn, why string) {
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(conn, "selfserve: "+why+"\r\n")
}

func (s *Server) logMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		s.log.Info("session opened", "user", sess.User(), "remote", sess.RemoteAddr().String())
		next(sess)
		s.log.Info("session closed", "user", sess.User(), "remote", sess.RemoteAddr().String(), "took", time.Since(start).Round(time.Millisecond))
	}
}

// recoverMiddleware keeps one session's panic from ending the server
// and every other session with it.
func (s *Server) recoverMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("session panicked; the server goes on", "user", sess.User(), "remote", sess.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
				wish.Errorln(sess, "\r\nselfserve: something went wrong on the server and this session ended; sorry.\r")
				_ = sess.Exit(1)
			}
		}()
		next(sess)
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
				s.log.Warn("session refused: key not listed", "user", sess.User(), "remote", sess.RemoteAddr().String(), "fingerprint", fingerprint(sess.PublicKey()))
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
			if s.cfg.Command == nil {
				wish.Fatalf(sess, "selfserve: commands over SSH are not supported here (you sent %q).\r\nConnect without a command for the console.\r\n", sess.RawCommand())
				return
			}
			defer s.admitted(sess)()
			v, _ := sess.Context().Value(viewerKey{}).(ops.Viewer)
			s.log.Info("command", "as", v.Actor(), "args", sess.Command(), "remote", sess.RemoteAddr().String())
			sess.Exit(s.cfg.Command(sess.Context(), v, sess.Command(), sess, sess.Stderr()))
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
// it, under the session's idle and length limits and whatever ends it
// from outside (the server stopping, its key removed).
func (s *Server) consoleMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ctx, cancel := context.WithCancelCause(sess.Context())
		defer cancel(nil)
		v, _ := sess.Context().Value(viewerKey{}).(ops.Viewer)
		st := &session{ctx: ctx, end: cancel, viewer: v, remote: sess.RemoteAddr().String()}
		if s.cfg.Keys != nil {
			st.key = sess.PublicKey()
		}
		if !s.sessions.add(st) {
			goodbye(sess, errShutdown)
			return
		}
		defer s.sessions.remove(st)
		if s.cfg.Sessions != nil {
			s.cfg.Sessions(1)
			defer s.cfg.Sessions(-1)
		}
		defer s.admitted(sess)()
		if s.cfg.MaxSession > 0 {
			t := time.AfterFunc(s.cfg.MaxSession, func() { cancel(errTooLong) })
			defer t.Stop()
		}
		c, err := s.cfg.Open()
		if err != nil {
			s.log.Error("open console", "err", err)
			wish.Fatalln(sess, "selfserve: "+err.Error())
			return
		}
		// Closed before the goodbye, so a visitor's copy is gone once
		// their client has left (a stopping server waits for no clean-up
		// then); deferred too, for a panic.
		closeConsole := sync.OnceFunc(c.Close)
		defer closeConsole()
		c.Options.Context, c.Options.Viewer = ctx, v
		st.console = c
		if s.cfg.IdleTimeout > 0 {
			st.idle = time.AfterFunc(s.cfg.IdleTimeout, func() { cancel(errIdle) })
			defer st.idle.Stop()
		}
		sess.Context().SetValue(sessionKey{}, st)
		if ctx.Err() == nil {
			next(sess)
		}
		closeConsole()
		goodbye(sess, context.Cause(ctx))
	}
}

// goodbye tells the visitor why the server ended their session, after
// the console has given their terminal back, and ends it.
func goodbye(sess ssh.Session, cause error) {
	var why closing
	if errors.As(cause, &why) {
		wish.Printf(sess, "\r\nselfserve: %v. Goodbye.\r\n", why)
	}
	_ = sess.Exit(0)
}

// program makes the session's console: its own renderer (the visitor's
// colours), quit when the session's context ends; only keystrokes keep
// it from the idle timeout, never its own output (a spinner), and each
// keystroke first checks the session's key is still listed.
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
	p := tea.NewProgram(m,
		tea.WithInput(struct{ io.Reader }{pty.Slave}),
		// Drawn straight to the session rather than through the PTY, so
		// the console's last bytes (leave the alternate screen, show the
		// cursor) reach the visitor before the goodbye written after
		// them, never after the session closed.
		tea.WithOutput(sess),
		tea.WithAltScreen(),
		// The server's ctrl+c and SIGTERM are the server's to handle:
		// one program catching them would end only itself, as killed.
		tea.WithoutSignalHandler(),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			if _, ok := msg.(tea.KeyMsg); !ok {
				return msg
			}
			// Every write in the console follows a keystroke: checking
			// here, before the console sees the key, re-checks the key
			// before each write (issue 11 point 11).
			if s.recheck(st) != nil {
				return nil
			}
			if st.idle != nil {
				st.idle.Reset(s.cfg.IdleTimeout)
			}
			return msg
		}),
	)
	// Bubble Tea learns a terminal's size from its output, which is no
	// terminal here: the size the client asked for is sent instead (the
	// wish middleware forwards later changes).
	go p.Send(tea.WindowSizeMsg{Width: pty.Window.Width, Height: pty.Window.Height})
	// Quit, not kill: the console draws its last frame and restores the
	// terminal, and Run ends without an error to log.
	go func() {
		<-st.ctx.Done()
		p.Quit()
	}()
	return p
}

// fingerprint names a key in the log as ssh-keygen -l does.
func fingerprint(k ssh.PublicKey) string {
	if k == nil {
		return "none"
	}
	return gossh.FingerprintSHA256(k)
}

// admitted lifts the handshake deadline and cap from sess's connection
// while it runs a console or a command; the returned func, run when that
// ends, gives the client as long again to leave (ssh's ControlPersist
// keeps a connection open).
func (s *Server) admitted(sess ssh.Session) func() {
	p, ok := sess.Context().Value(pendingKey{}).(*pendingConn)
	if !ok {
		return func() {}
	}
	p.in()
	return func() { time.AfterFunc(s.cfg.HandshakeTimeout, func() { p.Close() }) }
}
