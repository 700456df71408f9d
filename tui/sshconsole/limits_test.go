package sshconsole

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// dialDemo signs in to a demo-mode server (no key) with the Go client.
func dialDemo(t *testing.T, addr string) *gossh.Client {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "demo", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor returns once out shows want, or fails the test.
func waitFor(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), want); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never showed %q: %q", want, out.String())
		}
	}
}

// closedAfter reads conn until the server closes it and returns how long
// after since that was, failing the test if it stays open for 30 seconds.
func closedAfter(t *testing.T, conn net.Conn, since time.Time) time.Duration {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the server kept the connection open: %v", err)
	}
	return time.Since(since)
}

// Issue 11 point 12: with no session limits at all (--idle-timeout 0
// --max-session 0), a connection that never finishes the handshake is
// still closed at the handshake deadline, and so is one that signs in
// but never opens a console; a console opened in time is not.
func TestHandshakeDeadline(t *testing.T) {
	// Long enough for a busy machine's handshake under -race.
	const deadline = 5 * time.Second
	addr := serve(t, Config{HandshakeTimeout: deadline})
	v := console(t, dialDemo(t, addr)) // in time
	defer v.Close()
	waitFor(t, v.out, "Directories")
	dialled := time.Now() // before the server accepts, so before its deadline starts
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	signedIn := dialDemo(t, addr) // no session
	closed := make(chan error, 1)
	go func() { closed <- signedIn.Wait() }()

	if took := closedAfter(t, silent, dialled); took < deadline {
		t.Errorf("a silent connection was closed after %s, before the deadline", took)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("a signed-in connection without a console stayed open")
	}
	// Both were dialled after the console's connection, so its deadline
	// has passed too.
	alive(t, v)
}

// alive fails the test unless v's console still answers a key: ? shows
// the full help.
func alive(t *testing.T, v visitor) {
	t.Helper()
	before := len(v.out.String())
	if _, err := io.WriteString(v.keys, "?"); err != nil {
		t.Fatalf("the console's session is gone: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); len(v.out.String()) == before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the console stopped answering: %q", v.out.String())
		}
	}
}

// Issue 11 point 12: at most MaxPending connections wait for their
// console at once; more are refused before the handshake, saying why,
// and a place frees when one leaves.
func TestPendingCap(t *testing.T) {
	addr := serve(t, Config{MaxPending: 2})
	// greeting connects and returns the server's first line: its SSH
	// version, or why it refuses.
	greeting := func() (net.Conn, string) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (%q)", err, line)
		}
		return conn, line
	}
	first, l1 := greeting()
	_, l2 := greeting()
	if !strings.HasPrefix(l1, "SSH-2.0-") || !strings.HasPrefix(l2, "SSH-2.0-") {
		t.Fatalf("waiting connections within the cap got %q and %q", l1, l2)
	}
	if _, l := greeting(); !strings.Contains(l, "selfserve: the server is busy") {
		t.Errorf("a third waiting connection got %q, want a refusal", l)
	}
	first.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, l := greeting()
		conn.Close()
		if strings.HasPrefix(l, "SSH-2.0-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed after a waiting connection left: %q", l)
		}
	}
}

// Issue 11 point 13: a panic in one session ends that session only; the
// others and the server go on.
func TestPanicEndsOneSession(t *testing.T) {
	var opened atomic.Int64
	empty := emptyConsole(t)
	addr := serve(t, Config{Open: func() (Console, error) {
		if opened.Add(1) == 2 {
			panic("the second session's console breaks")
		}
		return empty()
	}})
	first := console(t, dialDemo(t, addr))
	defer first.Close()
	waitFor(t, first.out, "Directories")

	second := console(t, dialDemo(t, addr))
	var exit *gossh.ExitError
	if err := second.Wait(); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Errorf("the panicking session: %v, want exit status 1", err)
	}
	if !strings.Contains(second.out.String(), "something went wrong on the server") {
		t.Errorf("the panicking session said %q", second.out.String())
	}

	third := console(t, dialDemo(t, addr))
	defer third.Close()
	waitFor(t, third.out, "Directories")
	alive(t, first)
}

// signer makes an ed25519 key for the Go client and its keys-file line.
func signer(t *testing.T, identity string) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, identity + " " + strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
}

// Issue 11 point 11: once a key's line is out of the file, the next
// keystroke of its open session ends the session before the console
// sees the key, so no write follows a removed key. (The file is read
// every hour only here, so the keystroke is what notices.)
func TestKeystrokeRechecksKey(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	sig, line := signer(t, "operator")
	if err := os.WriteFile(keys, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := serve(t, Config{KeyCheck: time.Hour, Keys: func() (*Keys, error) { return ReadKeys(keys) }})
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "ops", Auth: []gossh.AuthMethod{gossh.PublicKeys(sig)}, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v := console(t, c)
	waitFor(t, v.out, "Directories")
	if err := os.WriteFile(keys, []byte("# nobody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// q would quit the console quietly; the key check must come first.
	if _, err := io.WriteString(v.keys, "q"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- v.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the session went on after its key was removed and a key was pressed")
	}
	waitFor(t, v.out, "selfserve: closed: your key is no longer authorized. Goodbye.")
}

// Issue 11 point 15: a console slow to open (a demo copy built on a busy
// machine sends nothing meanwhile) still opens, however short the idle
// timeout: idleness counts from the console, not from the connection.
// The console's own goodbye shows it ran; a connection cut while the
// console was opening would end with none.
func TestSlowOpenOutlastsIdleTimeout(t *testing.T) {
	empty := emptyConsole(t)
	addr := serve(t, Config{IdleTimeout: 300 * time.Millisecond, Open: func() (Console, error) {
		time.Sleep(1500 * time.Millisecond) // the slow build this test is about
		return empty()
	}})
	v := console(t, dialDemo(t, addr))
	defer v.Close()
	waitFor(t, v.out, "selfserve: closed after no keystroke for too long. Goodbye.")
}
