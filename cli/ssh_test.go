package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/cli"
)

// These tests drive `selfserve demo --ssh` with the real OpenSSH client
// under a real terminal (tmux), as a visitor would.

// needTools skips when ssh or tmux is missing locally, and fails under CI,
// which installs both.
func needTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the SSH demo tests run the OpenSSH client (a few seconds each)")
	}
	for _, tool := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing: CI must install it (openssh-client tmux)", tool)
			}
			t.Skipf("%s is not installed: install openssh-client and tmux to run the SSH demo tests", tool)
		}
	}
}

// syncBuffer is the server's output, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`over SSH on 127\.0\.0\.1:(\d+)`)

// startSSHDemo runs `selfserve demo --ssh 127.0.0.1:0` in-process and
// returns its port and its database directory; the server is stopped (as by
// ctrl+c) when the test ends, and must leave no session copy behind.
func startSSHDemo(t *testing.T, flags ...string) (port, db string) {
	t.Helper()
	db = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
	args := append([]string{"--db", db, "demo", "--ssh", "127.0.0.1:0"}, flags...)
	go func() { code <- cli.Run(ctx, args, out, errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("server exit %d: %s%s", c, out, errb)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop on cancel")
		}
		left, _ := filepath.Glob(filepath.Join(db, "session-*"))
		if len(left) > 0 {
			t.Errorf("session copies left behind: %v", left)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], db
		}
		select {
		case c := <-code:
			t.Fatalf("server exited %d: %s%s", c, out, errb)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start: %s%s", out, errb)
	return "", ""
}

// tmuxTerm is one visitor's terminal: a tmux pane running ssh.
type tmuxTerm struct {
	t    *testing.T
	sock string
	name string
}

// sshArgs connect to the demo ignoring the user's configuration and keys.
func sshArgs(port string) []string {
	return []string{"ssh", "-F", "/dev/null", "-p", port, "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"}
}

// visit opens a 100x30 terminal running `ssh -tt` to the demo; when ssh
// ends the pane prints SSH-EXITED and its status, and stays.
func visit(t *testing.T, sock, name, port string) *tmuxTerm {
	t.Helper()
	cmd := strings.Join(sshArgs(port), " ") + " -tt demo@127.0.0.1; echo SSH-EXITED $?; sleep 120"
	tm := &tmuxTerm{t: t, sock: sock, name: name}
	tm.tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd)
	return tm
}

// newTmux starts a private tmux server, killed when the test ends.
func newTmux(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tmx") // short: sockets have a path limit
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s")
	t.Cleanup(func() {
		exec.Command("tmux", "-S", sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return sock
}

func (tm *tmuxTerm) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (tm *tmuxTerm) screen() string { return tm.tmux("capture-pane", "-p", "-t", tm.name) }

// keys types each key (tmux key names) and lets the console draw.
func (tm *tmuxTerm) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		tm.tmux("send-keys", "-t", tm.name, k)
		time.Sleep(150 * time.Millisecond)
	}
}

// wait returns once the screen shows want, or fails showing the screen.
func (tm *tmuxTerm) wait(want string, within time.Duration) {
	tm.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := tm.screen()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s: screen never showed %q:\n%s", tm.name, want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSSHDemoPrivateCopies: two visitors at once each get their own copy;
// one's saved switch does not show in the other's.
func TestSSHDemoPrivateCopies(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t)
	sock := newTmux(t)
	a := visit(t, sock, "a", port)
	b := visit(t, sock, "b", port)
	a.wait("bellowscollege.com", 30*time.Second)
	a.wait("q quit", 5*time.Second)
	a.keys("/", "b", "e", "l", "Enter", "Enter")
	a.wait("Directories › bellowscollege.com", 5*time.Second)
	a.wait("email-verified users on", 5*time.Second)
	a.keys("s", "Space", "w")
	a.wait("Save the switches of bellowscollege.com? y/n", 5*time.Second)
	a.keys("y")
	a.wait("email-verified users off", 5*time.Second)

	b.wait("q quit", 30*time.Second)
	b.keys("/", "b", "e", "l", "Enter", "Enter")
	b.wait("Directories › bellowscollege.com", 5*time.Second)
	b.wait("email-verified users on", 5*time.Second)
	b.keys("q")
	b.wait("SSH-EXITED 0", 10*time.Second)
	a.keys("q")
	a.wait("SSH-EXITED 0", 10*time.Second)
}

// TestSSHDemoLimits: with --max-sessions 1 a second visitor is refused
// politely; a session without keystrokes ends after --idle-timeout; a
// session without a terminal is refused.
func TestSSHDemoLimits(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t, "--max-sessions", "1", "--idle-timeout", "3s")
	sock := newTmux(t)
	a := visit(t, sock, "a", port)
	a.wait("q quit", 30*time.Second)
	opened := time.Now()

	b := visit(t, sock, "b", port)
	b.wait("the selfserve demo is full (1 visitors at once)", 10*time.Second)
	b.wait("SSH-EXITED 1", 5*time.Second)

	// The console keeps drawing, but without keystrokes the session ends.
	a.wait("closed after no keystroke for too long", 15*time.Second)
	a.wait("SSH-EXITED", 5*time.Second)
	if took := time.Since(opened); took < 2*time.Second {
		t.Errorf("idle session closed after %s, want about 3s", took)
	}

	// The closed session's slot frees once its copy is deleted, just
	// after the client has gone.
	var out []byte
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, err = exec.Command(sshArgs(port)[0], append(sshArgs(port)[1:], "-T", "demo@127.0.0.1")...).CombinedOutput()
		if !strings.Contains(string(out), "demo is full") {
			break
		}
	}
	if err == nil || !strings.Contains(string(out), "Requires an active PTY") {
		t.Errorf("session without a terminal: err %v, output:\n%s", err, out)
	}
}
