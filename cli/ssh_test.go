package cli_test

import (
	"bytes"
	"context"
	"errors"
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

// startSSH runs selfserve with args (a server on 127.0.0.1:0) in-process
// and returns its port; the server is stopped (as by ctrl+c) when the test
// ends and must exit 0.
func startSSH(t *testing.T, args ...string) (port string) {
	t.Helper()
	port, _ = startSSHLog(t, args...)
	return port
}

// startSSHLog is startSSH that also returns the server's output (its log).
func startSSHLog(t *testing.T, args ...string) (port string, log *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
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
	})
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out
		}
		select {
		case c := <-code:
			t.Fatalf("server exited %d: %s%s", c, out, errb)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start: %s%s", out, errb)
	return "", nil
}

// startSSHDemo runs `selfserve demo --ssh` and returns its port and its
// directory, which must hold no session copy once the server stopped.
func startSSHDemo(t *testing.T, flags ...string) (port, db string) {
	t.Helper()
	db = t.TempDir()
	t.Cleanup(func() {
		left, _ := filepath.Glob(filepath.Join(db, "session-*"))
		if len(left) > 0 {
			t.Errorf("session copies left behind: %v", left)
		}
	})
	return startSSH(t, append([]string{"--db", db, "demo", "--ssh", "127.0.0.1:0"}, flags...)...), db
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
// ends the pane prints SSH-EXITED and its status, and stays. extra are
// more ssh arguments (a key).
func visit(t *testing.T, sock, name, port string, extra ...string) *tmuxTerm {
	t.Helper()
	args := append(sshArgs(port), extra...)
	cmd := strings.Join(args, " ") + " -tt demo@127.0.0.1; echo SSH-EXITED $?; sleep 120"
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

// smallCopy makes each visitor's copy small: the default one takes
// tens of seconds to build under -race on a busy machine, and what these
// tests look at (privacy, limits, timers) does not depend on its size.
var smallCopy = []string{"--directories", "20", "--big-users", "100"}

// Deadlines here are generous (a minute for a first screen, 20 seconds
// for a step) so the tests pass with both cores kept busy by another
// process (issue 11 point 15); they cost nothing when things work.

// TestSSHDemoPrivateCopies: two visitors at once each get their own copy;
// one's takeover does not show in the other's.
func TestSSHDemoPrivateCopies(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t, smallCopy...)
	sock := newTmux(t)
	a := visit(t, sock, "a", port)
	b := visit(t, sock, "b", port)
	a.wait("bellowscollege.com", time.Minute)
	a.wait("q quit", 20*time.Second)
	a.keys("/", "b", "e", "l", "Enter", "Enter")
	a.wait("Directories › bellowscollege.com", 20*time.Second)
	a.keys("t", "Enter") // an internal takeover
	a.wait("Admin address: ", 20*time.Second)
	a.keys("Enter") // as the member offered
	a.wait("Create this record at the DNS provider of bellowscollege.com", 20*time.Second)
	a.keys("p")
	a.wait("Published to the demo DNS", 20*time.Second)
	a.keys("Enter")
	a.wait("Verified.", 20*time.Second)
	a.keys("Enter")
	a.wait("Directory bellowscollege.com is now managed", 20*time.Second)

	b.wait("q quit", time.Minute)
	b.keys("/", "b", "e", "l", "Enter", "Enter")
	b.wait("Directories › bellowscollege.com", 20*time.Second)
	b.wait("unmanaged", 20*time.Second)
	b.keys("q")
	b.wait("SSH-EXITED 0", 20*time.Second)
	a.keys("q")
	a.wait("SSH-EXITED 0", 20*time.Second)
}

// sshRun runs ssh without a terminal and returns what it printed.
func sshRun(port string, args ...string) (string, error) {
	all := append(sshArgs(port), args...)
	out, err := exec.Command(all[0], all[1:]...).CombinedOutput()
	return string(out), err
}

// TestSSHDemoLimits: with --max-sessions 1 a second visitor is refused
// politely; a session without keystrokes ends after --idle-timeout; a
// session without a terminal, and a command, are refused.
func TestSSHDemoLimits(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t, append(smallCopy, "--max-sessions", "1", "--idle-timeout", "3s")...)
	sock := newTmux(t)
	a := visit(t, sock, "a", port)
	a.wait("q quit", time.Minute)

	// Keystrokes keep the first session open, however long the second
	// visitor's handshake takes on a busy machine.
	b := visit(t, sock, "b", port)
	for deadline := time.Now().Add(time.Minute); !strings.Contains(b.screen(), "SSH-EXITED"); {
		if time.Now().After(deadline) {
			t.Fatalf("the second visitor was neither refused nor let in:\n%s", b.screen())
		}
		a.keys("j")
		time.Sleep(350 * time.Millisecond)
	}
	b.wait("Sorry, selfserve is full (at most 1 at once)", time.Second)
	b.wait("SSH-EXITED 1", time.Second)

	// The console keeps drawing, but without keystrokes the session ends.
	lastKey := time.Now()
	a.keys("k")
	a.wait("closed after no keystroke for too long", time.Minute)
	a.wait("SSH-EXITED", 20*time.Second)
	if took := time.Since(lastKey); took < 3*time.Second {
		t.Errorf("idle session closed %s after its last keystroke, want 3s or more", took)
	}

	// The closed session's slot frees as its handler returns, just after
	// its client has gone.
	var out string
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if out, err = sshRun(port, "-T", "demo@127.0.0.1"); !strings.Contains(out, "selfserve is full") {
			break
		}
	}
	if err == nil || !strings.Contains(out, "the console needs a terminal; connect with ssh -t") {
		t.Errorf("session without a terminal: err %v, output:\n%s", err, out)
	}
	out, err = sshRun(port, "demo@127.0.0.1", "directory", "list")
	if err == nil || !strings.Contains(out, `commands over SSH are not supported here (you sent "directory list")`) {
		t.Errorf("command: err %v, output:\n%s", err, out)
	}
}

// TestSSHDemoTimers: keystrokes keep a session past --idle-timeout, and
// --max-session ends it however busy it is.
func TestSSHDemoTimers(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t, append(smallCopy, "--idle-timeout", "3s", "--max-session", "10s")...)
	sock := newTmux(t)
	// The session's clock starts before its copy is built, which takes
	// seconds on a busy machine: measure the length from the connection,
	// and idleness from when the console shows.
	connected := time.Now()
	a := visit(t, sock, "a", port)
	a.wait("q quit", time.Minute)
	opened := time.Now()
	for time.Since(opened) < 4500*time.Millisecond {
		a.keys("j")
		time.Sleep(500 * time.Millisecond)
	}
	if s := a.screen(); strings.Contains(s, "SSH-EXITED") {
		t.Fatalf("the session ended although keys were pressed within every 3s:\n%s", s)
	}
	for !strings.Contains(a.screen(), "SSH-EXITED") && time.Since(connected) < time.Minute {
		a.keys("k")
		time.Sleep(500 * time.Millisecond)
	}
	a.wait("closed: the session reached its maximum length", time.Second)
	if took := time.Since(connected); took < 10*time.Second {
		t.Errorf("session ended %s after connecting, want 10s or a little more", took)
	}
}

// TestSSHRateLimit: past --conn-per-minute, an address's connections are
// closed before the SSH handshake.
func TestSSHRateLimit(t *testing.T) {
	needTools(t)
	t.Parallel()
	port, _ := startSSHDemo(t, "--conn-per-minute", "2")
	for i := range 2 {
		if out, _ := sshRun(port, "-T", "demo@127.0.0.1"); !strings.Contains(out, "needs a terminal") {
			t.Fatalf("connection %d was not served:\n%s", i+1, out)
		}
	}
	out, err := sshRun(port, "-T", "demo@127.0.0.1")
	if err == nil || strings.Contains(out, "needs a terminal") || strings.Contains(out, "selfserve demo:") {
		t.Fatalf("third connection within a minute got in: err %v\n%s", err, out)
	}
	t.Logf("refused client said: %s", out)
}

// sshKey makes an ed25519 key pair with ssh-keygen and returns the private
// key's path and the public key's line.
func sshKey(t *testing.T, dir, name string) (path, pub string) {
	t.Helper()
	path = filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	b, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(b))
}

// withKey are the ssh arguments that offer only this key.
func withKey(path string) []string {
	return []string{"-i", path, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"}
}

// TestSSHServe: `selfserve serve --ssh` on a real database lets in only
// listed keys, as the identity their line names; an admin sees only their
// own world; commands are refused; a line removed locks its key out.
func TestSSHServe(t *testing.T) {
	needTools(t)
	t.Parallel()
	f := newServeFixture(t)
	port, log := startSSHLog(t, "--db", f.db, "serve", "--ssh", "127.0.0.1:0", "--authorized-keys", f.keys)

	out, err := sshRun(port, append(withKey(f.stranger), "anyone@127.0.0.1")...)
	if err == nil || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("unknown key: err %v\n%s", err, out)
	}
	// The log names the refused key as ssh-keygen -l does, and where it
	// came from (issue 11 point 13).
	fp, err := exec.Command("ssh-keygen", "-l", "-f", f.stranger+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	if l := log.String(); !strings.Contains(l, "key refused") || !strings.Contains(l, strings.Fields(string(fp))[1]) || !strings.Contains(l, "remote=127.0.0.1:") {
		t.Errorf("the log does not name the refused key %s and its address:\n%s", fp, l)
	}
	// Passwords are not even offered.
	out, err = sshRun(port, "-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no", "anyone@127.0.0.1")
	if err == nil || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("password sign-in: err %v\n%s", err, out)
	}
	// Commands run as the key's identity (issue 12 point 2): the
	// operator everything the CLI runs, an admin only within reach and
	// as themselves; the exit status comes back.
	out, err = sshRun(port, append(withKey(f.op), "ops@127.0.0.1", "directory", "list", "--json")...)
	if err != nil || !strings.Contains(out, "bellowscollege.com") || !strings.Contains(out, "contoso.com") {
		t.Errorf("operator's directory list: err %v\n%s", err, out)
	}
	out, err = sshRun(port, append(withKey(f.admin), "admin@127.0.0.1", "directory", "list", "--json")...)
	if err != nil || !strings.Contains(out, "contoso.com") || strings.Contains(out, "bellowscollege.com") {
		t.Errorf("admin's directory list: err %v\n%s", err, out)
	}
	var ee *exec.ExitError
	for _, c := range [][]string{
		{"directory", "show", "bellowscollege.com"},
		{"settings", "contoso.com", "--allow-adhoc-subscriptions=false", "--as", "someone@contoso.com"},
		{"config", "--dns-port", "5353"},
		{"outbox"},
		{"signup", "start", "x@contoso.com", "--service", "rms"},
	} {
		out, err = sshRun(port, append(append(withKey(f.admin), "admin@127.0.0.1"), c...)...)
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("admin ran %v: err %v\n%s", c, err, out)
		}
	}
	out, err = sshRun(port, append(withKey(f.admin), "admin@127.0.0.1", "settings", "contoso.com", "--allow-adhoc-subscriptions=false")...)
	if err != nil || !strings.Contains(out, "AllowAdHocSubscriptions") {
		t.Errorf("admin's own settings change: err %v\n%s", err, out)
	}
	out, err = sshRun(port, append(withKey(f.op), "ops@127.0.0.1", "directory", "show", "nosuch.example")...)
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "nosuch.example") {
		t.Errorf("a refusal's status over SSH: err %v\n%s", err, out)
	}

	sock := newTmux(t)
	adm := visit(t, sock, "adm", port, withKey(f.admin)...)
	adm.wait("signed in as admin@contoso.com", time.Minute)
	adm.wait("contoso.com", 20*time.Second)
	if s := adm.screen(); strings.Contains(s, "bellowscollege.com") || strings.Contains(s, "woodgrovebank.com") {
		t.Errorf("the admin sees other companies' directories:\n%s", s)
	}
	adm.keys(":", "dir bellowscollege.com", "Enter")
	// The console's wording of the refusal is its own; that it names
	// what the admin may reach is what this test holds it to.
	adm.wait("you administer or can take over", 20*time.Second)

	ops := visit(t, sock, "ops", port, withKey(f.op)...)
	ops.wait("bellowscollege.com", time.Minute)
	if s := ops.screen(); strings.Contains(s, "signed in as") {
		t.Errorf("the operator is shown as an admin:\n%s", s)
	}
	ops.keys("q")
	ops.wait("SSH-EXITED 0", 20*time.Second)
	adm.keys("q")
	adm.wait("SSH-EXITED 0", 20*time.Second)

	f.writeKeys(f.opLine) // the admin's line removed
	out, err = sshRun(port, append(withKey(f.admin), "-T", "admin@127.0.0.1")...)
	if err == nil || !strings.Contains(out, "Permission denied (publickey)") {
		t.Errorf("removed key: err %v\n%s", err, out)
	}
}

// TestSSHServeKeyRemoved: taking a key's line out of the keys file ends
// that key's open session within a minute, saying why, and the server
// logs it; other keys' sessions go on.
func TestSSHServeKeyRemoved(t *testing.T) {
	needTools(t)
	t.Parallel()
	f := newServeFixture(t)
	port, log := startSSHLog(t, "--db", f.db, "serve", "--ssh", "127.0.0.1:0", "--authorized-keys", f.keys)
	sock := newTmux(t)
	adm := visit(t, sock, "adm", port, withKey(f.admin)...)
	ops := visit(t, sock, "ops", port, withKey(f.op)...)
	adm.wait("q quit", time.Minute)
	ops.wait("q quit", time.Minute)

	f.writeKeys(f.opLine)
	removed := time.Now()
	// No keystroke: the server notices the file by itself.
	adm.wait("SSH-EXITED", 90*time.Second)
	if took := time.Since(removed); took > time.Minute {
		t.Errorf("the session ended %s after its key was removed, want within a minute", took)
	}
	adm.wait("selfserve: closed: your key is no longer authorized. Goodbye.", time.Second)
	if l := log.String(); !strings.Contains(l, "your key is no longer authorized") || !strings.Contains(l, "admin@contoso.com") {
		t.Errorf("the log does not say which session's key was removed:\n%s", l)
	}
	ops.keys("j")
	if s := ops.screen(); strings.Contains(s, "SSH-EXITED") || !strings.Contains(s, "q quit") {
		t.Errorf("the operator's session ended with the admin's key:\n%s", s)
	}
	ops.keys("q")
	ops.wait("SSH-EXITED 0", 20*time.Second)
}
