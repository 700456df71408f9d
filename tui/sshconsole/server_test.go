package sshconsole

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"selfserve/ops"
	"selfserve/store"
)

// serve starts a server on loopback whose sessions each get an empty
// store (unless cfg.Open says otherwise), and stops it when the test ends.
func serve(t *testing.T, cfg Config) string {
	t.Helper()
	dir := t.TempDir()
	cfg.HostKeyPath = filepath.Join(dir, "host_key")
	if cfg.Open == nil {
		cfg.Open = emptyConsole(t)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return l.Addr().String()
}

// emptyConsole opens each session on an empty store of its own.
func emptyConsole(t *testing.T) func() (Console, error) {
	return func() (Console, error) {
		st, err := store.Open(t.TempDir(), store.Options{Create: true})
		if err != nil {
			return Console{}, err
		}
		return Console{Ops: &ops.Console{Store: st}, Close: func() { st.Close() }}, nil
	}
}

// lockedBuffer is a session's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// visitor is one session's ends: its output and its keyboard.
type visitor struct {
	*gossh.Session
	out  *lockedBuffer
	keys io.Writer
}

// console opens a session with a terminal on c and starts the console.
func console(t *testing.T, c *gossh.Client) visitor {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	s.Stdout, s.Stderr = out, out
	keys, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RequestPty("xterm", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	return visitor{s, out, keys}
}

// A second console on one connection (ssh multiplexing) is refused: the
// rate limit counts connections, so each must hold one session slot only.
func TestOneConsolePerConnection(t *testing.T) {
	addr := serve(t, Config{MaxSessions: 5})
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "demo", HostKeyCallback: gossh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := console(t, c)
	defer first.Close()
	waitFor(t, first.out, "Directories")
	second := console(t, c)
	var exit *gossh.ExitError
	if err := second.Wait(); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("second console on the connection: %v, want exit status 1", err)
	}
	if !strings.Contains(second.out.String(), "one console per connection") {
		t.Errorf("second console said %q", second.out.String())
	}
}
