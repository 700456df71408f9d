package cli_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveFixture is a database with demo data and an authorized-keys file
// listing an operator key and contoso.com's admin key, for `serve --ssh`.
type serveFixture struct {
	db, keys            string
	op, admin, stranger string // private keys
	opLine, adminLine   string // their lines in the keys file
	writeKeys           func(lines ...string)
}

func newServeFixture(t *testing.T) serveFixture {
	t.Helper()
	dir := t.TempDir()
	f := serveFixture{db: filepath.Join(dir, "db"), keys: filepath.Join(dir, "keys")}
	if r := run(t, f.db, "demo", "--directories", "20", "--big-users", "100"); r.code != 0 {
		t.Fatalf("demo data: %s", r)
	}
	var opPub, adminPub string
	f.op, opPub = sshKey(t, dir, "op")
	f.admin, adminPub = sshKey(t, dir, "admin")
	f.stranger, _ = sshKey(t, dir, "stranger")
	f.opLine, f.adminLine = "operator "+opPub, "admin@contoso.com "+adminPub
	f.writeKeys = func(lines ...string) {
		t.Helper()
		// Written whole and renamed into place, as an editor saving
		// atomically would: the server never reads half a file.
		tmp := f.keys + ".new"
		if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.keys); err != nil {
			t.Fatal(err)
		}
	}
	f.writeKeys("# who signs in with which key", f.opLine, f.adminLine)
	return f
}

// TestSSHShutdown: ctrl+c (SIGINT) or SIGTERM stops `demo --ssh` and
// `serve --ssh` with visitors signed in: each visitor reads a goodbye and
// gets their terminal back (main screen, cursor shown), and the server
// exits 0 within 2 s, logging the stop as information, not an error.
func TestSSHShutdown(t *testing.T) {
	needTools(t)
	t.Parallel()
	bin := buildBinary(t)
	for _, tc := range []struct {
		name  string
		sig   syscall.Signal
		serve bool
	}{
		{"demo ctrl+c", syscall.SIGINT, false},
		{"demo SIGTERM", syscall.SIGTERM, false},
		{"serve ctrl+c", syscall.SIGINT, true},
		{"serve SIGTERM", syscall.SIGTERM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			var visitors [][]string // each visitor's extra ssh arguments
			if tc.serve {
				f := newServeFixture(t)
				args = []string{"--db", f.db, "serve", "--ssh", "127.0.0.1:0", "--authorized-keys", f.keys}
				visitors = [][]string{withKey(f.op), withKey(f.admin)}
			} else {
				args = append([]string{"--db", t.TempDir(), "demo", "--ssh", "127.0.0.1:0"}, smallCopy...)
				visitors = [][]string{nil, nil}
			}
			srv, port := startBinary(t, bin, args...)
			sock := newTmux(t)
			var panes []*tmuxTerm
			for i, extra := range visitors {
				p := visit(t, sock, string(rune('a'+i)), port, extra...)
				p.wait("q quit", time.Minute)
				panes = append(panes, p)
			}
			sent := time.Now()
			if err := srv.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code := srv.exit(t, 15*time.Second)
			took := time.Since(sent)
			t.Logf("%s: exit %d after %s", tc.name, code, took.Round(time.Millisecond))
			if code != 0 || took > 2*time.Second {
				t.Errorf("server exited %d after %s, want 0 within 2s:\n%s", code, took.Round(time.Millisecond), srv.out)
			}
			log := srv.out.String()
			for _, bad := range []string{"ERRO", "program was killed", "did not end"} {
				if strings.Contains(log, bad) {
					t.Errorf("the log says %q:\n%s", bad, log)
				}
			}
			if !strings.Contains(log, "INFO") || !strings.Contains(log, "shutting down") {
				t.Errorf("the log does not say it is shutting down:\n%s", log)
			}
			for _, p := range panes {
				p.wait("SSH-EXITED", 20*time.Second)
				p.wait("selfserve: the server is shutting down. Goodbye.", time.Second)
				// tmux knows whether the pane is in the alternate screen
				// and whether its cursor shows.
				if state := strings.TrimSpace(p.tmux("display-message", "-p", "-t", p.name, "#{alternate_on} #{cursor_flag}")); state != "0 1" {
					t.Errorf("%s: terminal left with alternate screen, cursor = %q, want \"0 1\":\n%s", p.name, state, p.screen())
				}
			}
		})
	}
}

// binServer is selfserve running as its own process, as an operator
// runs it, so that signals reach it as they would.
type binServer struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{} // closed once err is set
	err    error
}

// startBinary starts bin with args (a server on 127.0.0.1:0) and returns
// it with its port; it is killed when the test ends if still running.
func startBinary(t *testing.T, bin string, args ...string) (*binServer, string) {
	t.Helper()
	s := &binServer{cmd: exec.Command(bin, args...), out: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd.Env = append(os.Environ(), "SELFSERVE_DB=", "SELFSERVE_SMTP=")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		if m := listenRE.FindStringSubmatch(s.out.String()); m != nil {
			return s, m[1]
		}
		select {
		case <-s.exited:
			t.Fatalf("server exited (%v): %s", s.err, s.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server did not start: %s", s.out)
	return nil, ""
}

// exit waits for the server to end and returns its exit status.
func (s *binServer) exit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-s.exited:
		var ee *exec.ExitError
		if errors.As(s.err, &ee) {
			return ee.ExitCode()
		}
		if s.err != nil {
			t.Fatal(s.err)
		}
		return 0
	case <-time.After(within):
		t.Fatalf("server still running after %s:\n%s", within, s.out)
		return -1
	}
}
