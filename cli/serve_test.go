package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"selfserve/ops/mailtest"
)

// server is a running `selfserve serve --http` process.
type server struct {
	cmd *exec.Cmd
	url string // the sign-up page, http://127.0.0.1:PORT/
	out *syncBuffer
}

// terminate sends SIGTERM and wants serve to exit 0 within 30 s.
func (s *server) terminate(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, s.out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM:\n%s", s.out.String())
	}
}

var pageLine = regexp.MustCompile(`sign-up page on (http://\S+/)`)

// startServe starts the binary serving db over HTTP on a free port,
// mailing through relay, and waits (generously) until it listens.
func startServe(t *testing.T, bin, db, relay string) *server {
	t.Helper()
	cmd := exec.Command(bin, "--db", db, "--smtp", relay, "serve", "--http", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "SELFSERVE_DB=", "SELFSERVE_SMTP=")
	out := &syncBuffer{}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = io.MultiWriter(out, pw), out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, out: out}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := pageLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	select {
	case s.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve never listened:\n%s", out.String())
	}
	return s
}

// serveFresh builds the binary and serves a new database, mailing to a
// real SMTP server on loopback.
func serveFresh(t *testing.T) (bin, db string, relay *mailtest.Server, s *server) {
	t.Helper()
	bin = buildBinary(t)
	relay, err := mailtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	db = filepath.Join(t.TempDir(), "db")
	return bin, db, relay, startServe(t, bin, db, relay.Addr)
}

// post sends v to the server's API and decodes the answer into into.
func (s *server) post(path string, v, into any) (int, error) {
	b, _ := json.Marshal(v)
	resp, err := http.Post(strings.TrimSuffix(s.url, "/")+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if into != nil {
		json.NewDecoder(resp.Body).Decode(into)
	}
	return resp.StatusCode, nil
}

var mailCode = regexp.MustCompile(`\d{6,12}`)

// codeFor waits for the relay to receive a code for addr.
func codeFor(t *testing.T, relay *mailtest.Server, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := relay.Wait(ctx, func(m []mailtest.Mail) bool {
		for _, x := range m {
			if strings.EqualFold(x.To, addr) {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no code mail for %s: %v", addr, err)
	}
	for i := len(got) - 1; i >= 0; i-- {
		if strings.EqualFold(got[i].To, addr) {
			return mailCode.FindString(got[i].Subject)
		}
	}
	return ""
}

// The "done means": on a fresh database a person signs up over
// HTTP with the code the courier mailed, another command on the database
// answers through the server, /metrics shows the sign-up, and SIGTERM
// stops it all with status 0.
func TestServeSignupEndToEnd(t *testing.T) {
	bin, db, relay, s := serveFresh(t)

	if code, err := s.post("/v1/signups", map[string]string{"email": "Dan@BellowsCollege.com", "service": "rms"}, nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("start: %d %v", code, err)
	}
	var done struct {
		Directory struct{ Name string } `json:"directory"`
	}
	if code, err := s.post("/v1/signups/verify", map[string]string{"email": "Dan@BellowsCollege.com", "code": codeFor(t, relay, "Dan@bellowscollege.com")}, &done); err != nil || code != http.StatusCreated {
		t.Fatalf("verify: %d %v", code, err)
	}
	if mails := relay.Received(); !strings.Contains(mails[0].Body, s.url) {
		t.Errorf("the code mail does not name the sign-up page %s:\n%s", s.url, mails[0].Body)
	}

	list := binRun(t, bin, db, "--lock-timeout", "200ms", "directory", "list", "--json")
	if list.code != 0 || !strings.Contains(list.stdout, "bellowscollege.com") {
		t.Errorf("directory list while serving: %s", list)
	}
	if _, err := os.Stat(filepath.Join(db, "serve.sock")); err != nil {
		t.Errorf("no command socket: %v", err)
	}
	// The outbox says where each mail is; the courier settles the mail
	// just after the relay took it.
	deadline := time.Now().Add(30 * time.Second)
	for r := binRun(t, bin, db, "outbox"); !strings.Contains(r.stdout, "\n  sent\n"); r = binRun(t, bin, db, "outbox") {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox never shows the code mail sent: %s", r)
		}
		time.Sleep(50 * time.Millisecond)
	}

	resp, err := http.Get(s.url + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`selfserve_signups_total{result="ok",step="verify"} 1`, `selfserve_mail_total{state="sent"} 1`,
		`selfserve_mail_queue_overdue_seconds 0`, `selfserve_ssh_sessions`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	s.terminate(t)
	if _, err := os.Stat(filepath.Join(db, "serve.sock")); !os.IsNotExist(err) {
		t.Errorf("the socket outlived the server: %v", err)
	}
}

// Load with faults (bounded to a minute): 64 clients sign up over HTTP
// while the server is killed with SIGKILL and started again; every
// sign-up the API acknowledged is there afterwards, selfserve check
// passes, and every queued mail is delivered after the restart.
func TestServeKilledUnderLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of load")
	}
	bin, db, relay, s := serveFresh(t)

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				addr := fmt.Sprintf("u%d.%d@load%d.example", c, i, c%8)
				mu.Lock()
				srv := s
				mu.Unlock()
				if code, err := srv.post("/v1/signups", map[string]string{"email": addr, "service": "rms"}, nil); err != nil || code != http.StatusAccepted {
					time.Sleep(20 * time.Millisecond) // the server is down: try the next address
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				got, err := relay.Wait(ctx, func(m []mailtest.Mail) bool {
					for _, x := range m {
						if x.To == addr {
							return true
						}
					}
					return false
				})
				cancel()
				if err != nil {
					continue // its mail comes after a restart
				}
				var mail string
				for _, x := range got {
					if x.To == addr {
						mail = x.Subject
					}
				}
				if code, err := srv.post("/v1/signups/verify", map[string]string{"email": addr, "code": mailCode.FindString(mail)}, nil); err == nil && code == http.StatusCreated {
					mu.Lock()
					acked[addr] = true
					mu.Unlock()
				}
			}
		}()
	}
	// Kill it once sign-ups flow, at a moment no one chose, and restart.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Duration(time.Now().UnixNano()%400) * time.Millisecond)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	restarted := startServe(t, bin, db, relay.Addr)
	mu.Lock()
	s = restarted
	mu.Unlock()
	time.Sleep(2 * time.Second) // a little load on the restarted server
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 20 {
		t.Fatalf("only %d sign-ups were acknowledged", len(acked))
	}
	restarted.cmd.Process.Signal(syscall.SIGTERM)
	restarted.cmd.Wait()
	for c := range 8 {
		r := binRun(t, bin, db, "user", "list", fmt.Sprintf("load%d.example", c), "--json", "--limit", "100000")
		for addr := range acked {
			if strings.HasSuffix(addr, fmt.Sprintf("@load%d.example", c)) && !strings.Contains(r.stdout, addr) {
				t.Errorf("acknowledged sign-up %s is missing", addr)
			}
		}
	}
	if r := binRun(t, bin, db, "check"); r.code != 0 {
		t.Errorf("check after the kill: %s", r)
	}
	r := binRun(t, bin, db, "outbox", "--json")
	var msgs []struct {
		To    string `json:"to"`
		State string `json:"state"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &msgs); err != nil {
		t.Fatalf("outbox: %v\n%s", err, r)
	}
	for _, m := range msgs {
		if m.State == "queued" {
			t.Errorf("mail to %s is still queued after the restart", m.To)
		}
	}
}
