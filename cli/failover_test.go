package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"selfserve/store"
	"selfserve/store/engine/postgres/pgtest"
)

// TestServeSurvivesFailover (issue 13 point 4): one `serve` process on a
// pg_auto_failover formation through the multi-host URL takes sign-ups
// from four HTTP clients while the primary's machine is killed. The
// standby is promoted, the same process takes sign-ups again without
// being restarted, every sign-up it acknowledged is in its directory,
// and check finds no damage. Bounded to two minutes, set-up included.
func TestServeSurvivesFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a pg_auto_failover formation and a failover")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	// The binary is built while the formation forms: a cold build and a
	// formation on a busy machine would each take a good part of the
	// bound.
	built := make(chan error, 1)
	bin := filepath.Join(t.TempDir(), "selfserve")
	go func() {
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "selfserve").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build: %w\n%s", err, out)
		}
		built <- err
	}()
	f := pgtest.StartFormation(t)
	formed := time.Since(began)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if err := f.CreateDatabase(ctx, "selfserve"); err != nil {
		t.Fatal(err)
	}
	url := f.URL("selfserve")

	s := startFailoverServe(ctx, t, bin, url)
	ready := time.Since(began)
	// The test reads the codes from the outbox (serve has no --smtp) as
	// another program on the database would; it reconnects by itself too.
	codes, err := store.Open(url, store.Options{ReadOnly: true, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer codes.Close()

	signing, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	killed := make(chan struct{})
	traffic := time.Now()
	clients := make([]*signupClient, 4)
	for i := range clients {
		clients[i] = &signupClient{id: i, api: s.url, codes: codes, killed: killed,
			flowing: make(chan struct{}), recovered: make(chan struct{})}
		wg.Go(func() { clients[i].run(signing) })
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range clients {
				t.Logf("client %d: %d acknowledged, errors: %s", c.id, len(c.acked), summary(c.failures))
			}
		}
	})

	// Sign-ups flow for a while, replicated to the standby.
	for _, c := range clients {
		select {
		case <-c.flowing:
		case <-ctx.Done():
			t.Fatalf("client %d: fewer than %d sign-ups acknowledged before the kill", c.id, flowingAt)
		}
	}
	kill := time.Now()
	old, err := f.KillPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(killed)
	promoted, _, err := f.WaitForPrimary(ctx, old.Port)
	if err != nil {
		t.Fatal(err)
	}
	promotedAfter := time.Since(kill) // the monitor named it primary and it committed
	// Each client signs up again through the same process.
	for _, c := range clients {
		select {
		case <-c.recovered:
		case <-ctx.Done():
			t.Fatalf("client %d: no sign-up acknowledged after the kill (serve %s):\n%s", c.id, s.state(), s.out.String())
		}
	}
	recovered := time.Now() // every client has signed someone up again
	stop()
	wg.Wait()
	stopped := time.Since(recovered)

	var first time.Time
	acked, errs := 0, []failure{}
	for _, c := range clients {
		if first.IsZero() || c.firstAfter.Before(first) {
			first = c.firstAfter
		}
		acked += len(c.acked)
		for _, e := range c.failures {
			if e.at.Before(kill) {
				t.Errorf("client %d, before the kill: %s %s", c.id, e.step, e.what)
			}
		}
		errs = append(errs, c.failures...)
	}

	if p, err := f.Primary(ctx); err != nil || p.Port == old.Port {
		t.Errorf("the monitor reports %+v (%v) primary, want %s, not the killed %s", p, err, promoted.Name, old.Name)
	}
	if st := s.state(); st != "running" {
		t.Fatalf("serve %s, want the process started before the kill still running\n%s", st, s.out.String())
	}
	if code, err := s.get(ctx, "readyz"); err != nil || code != http.StatusOK {
		t.Errorf("/readyz after the failover: %d %v", code, err)
	}
	retries := retriesRE.FindString(s.metrics(ctx))

	// Verifies not acknowledged, and how many of them committed anyway:
	// their outcome was unknown.
	unknown, committed := 0, 0
	for _, c := range clients {
		var us []user
		binJSON(t, bin, url, &us, "user", "list", c.domain(), "--limit", "100000")
		present := map[string]string{}
		for _, u := range us {
			present[strings.ToLower(u.Email)] = u.ID
		}
		for _, a := range c.acked {
			if id, ok := present[strings.ToLower(a.email)]; !ok || id != a.userID {
				t.Errorf("acknowledged sign-up %s (user %s) is missing from %s: found %q", a.email, a.userID, c.domain(), id)
			}
		}
		for _, e := range c.failures {
			if e.step == "verify" {
				unknown++
				if _, ok := present[e.email]; ok {
					committed++
				}
			}
		}
	}
	r := binRun(t, bin, url, "check", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil || len(rep.Problems) > 0 {
		t.Errorf("check after the failover (%v):\n%s", err, r)
	} else if rep.Users < int64(acked) {
		t.Errorf("check counts %d users, fewer than the %d sign-ups acknowledged", rep.Users, acked)
	}

	checked := time.Now()
	if err := s.terminate(ctx); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, s.out.String())
	}
	t.Logf("formation up in %v, serve ready at %v; killed %s after %v of sign-ups; the monitor named %s primary and it committed %v after the kill; "+
		"serve acknowledged a sign-up sent after the kill %v after it, for every client %v after it; %d failed requests after the kill: %s "+
		"(%d of %d unanswered verifies committed); %d sign-ups acknowledged in all; %s; "+
		"clients stopped in %v, checks took %v, SIGTERM %v; test took %v",
		formed.Round(time.Millisecond), ready.Round(time.Millisecond), old.Name, kill.Sub(traffic).Round(time.Millisecond), promoted.Name,
		promotedAfter.Round(time.Millisecond), first.Sub(kill).Round(time.Millisecond), recovered.Sub(kill).Round(time.Millisecond),
		countAfter(errs, kill), summary(errs), committed, unknown, acked, retries,
		stopped.Round(time.Millisecond), checked.Sub(recovered.Add(stopped)).Round(time.Millisecond),
		time.Since(checked).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	for _, l := range strings.Split(s.out.String(), "\n") {
		if strings.Contains(l, "request failed") {
			t.Log("serve: " + l)
		}
	}
}

// flowingAt is how many sign-ups each client has acknowledged when the
// primary is killed: a second or two of traffic, more on a busy machine.
const flowingAt = 10

var retriesRE = regexp.MustCompile(`(?m)^selfserve_db_retries_total \S+$`)

// failoverHTTP outwaits serve, whose transactions wait up to 30 s for a
// new primary, and whose writes of an answer give up after 15 s.
var failoverHTTP = &http.Client{Timeout: time.Minute}

// failoverServe is the one serve process of the test.
type failoverServe struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT/
	out    *syncBuffer
	exited chan struct{}
}

// startFailoverServe runs `serve` on db with mail kept in the outbox,
// trusting X-Forwarded-For from loopback as behind a load balancer: the
// clients send every sign-up from an address of its own, as many people
// would, so the per-client rate limits stay out of the way. It returns
// once /readyz answers.
func startFailoverServe(ctx context.Context, t *testing.T, bin, db string) *failoverServe {
	t.Helper()
	addr := refusingAddr(t)
	cmd := exec.Command(bin, "--db", db, "serve", "--http", addr, "--trusted-proxy", "127.0.0.1/32")
	cmd.Env = append(os.Environ(), "SELFSERVE_DB=", "SELFSERVE_SMTP=")
	// Gone with the test, even one ended by its timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s := &failoverServe{cmd: cmd, url: "http://" + addr + "/", out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	// Before the formation's clean-up: a serve left running would spend
	// its last seconds retrying a database that is gone.
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
	})
	for {
		if code, err := s.get(ctx, "readyz"); err == nil && code == http.StatusOK {
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("serve exited: %v\n%s", cmd.ProcessState, s.out.String())
		case <-ctx.Done():
			t.Fatalf("serve never became ready:\n%s", s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *failoverServe) get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := failoverHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// metrics is the text of /metrics, "" when it does not answer.
func (s *failoverServe) metrics(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"metrics", nil)
	if err != nil {
		return ""
	}
	resp, err := failoverHTTP.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// state says whether the process is still the one the test started.
func (s *failoverServe) state() string {
	select {
	case <-s.exited:
		return "exited: " + s.cmd.ProcessState.String()
	default:
		return "running"
	}
}

// terminate stops the process with SIGTERM and wants exit status 0.
func (s *failoverServe) terminate(ctx context.Context) error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-ctx.Done():
		return fmt.Errorf("still running after SIGTERM: %w", ctx.Err())
	}
	if !s.cmd.ProcessState.Success() {
		return fmt.Errorf("exited %v", s.cmd.ProcessState)
	}
	return nil
}

// signupClient signs people up one after the other through the API,
// start, code from the outbox, verify, and keeps every sign-up that
// verify acknowledged. Failures are kept too: during a failover the API
// answers 503 while the outcome of a sign-up is unknown.
type signupClient struct {
	id     int
	api    string
	codes  *store.Store
	killed <-chan struct{}

	flowing    chan struct{} // closed at the flowingAt-th acknowledged sign-up
	recovered  chan struct{} // closed at the first acknowledged verify sent once killed was closed
	firstAfter time.Time
	acked      []ackedSignup
	failures   []failure
}

type ackedSignup struct{ email, userID string }

// failure is a step that did not answer as it should: the status and
// problem type, or what the connection did.
type failure struct {
	at                time.Time
	step, email, what string
}

func (c *signupClient) domain() string { return fmt.Sprintf("failover%d.example", c.id) }

func (c *signupClient) run(ctx context.Context) {
	for i := 0; ctx.Err() == nil; i++ {
		email := fmt.Sprintf("u%d@%s", i, c.domain())
		// The address the load balancer would name: one per person.
		from := fmt.Sprintf("10.%d.%d.%d", c.id, i>>8&255, i&255)
		if !c.step(ctx, "start", "v1/signups", email, from, map[string]string{"email": email, "service": "rms"}, http.StatusAccepted, nil) {
			continue
		}
		code, err := c.code(email)
		if err != nil {
			c.fail(ctx, "code", email, err.Error())
			continue
		}
		afterKill := closed(c.killed)
		var ans struct {
			User struct{ ID string } `json:"user"`
		}
		if !c.step(ctx, "verify", "v1/signups/verify", email, from, map[string]string{"email": email, "code": code}, http.StatusCreated, &ans) {
			continue
		}
		c.acked = append(c.acked, ackedSignup{email: email, userID: ans.User.ID})
		if len(c.acked) == flowingAt {
			close(c.flowing)
		}
		if afterKill && c.firstAfter.IsZero() {
			c.firstAfter = time.Now()
			close(c.recovered)
		}
	}
}

// step posts body for email as from and reports whether the answer was want,
// decoded into into.
func (c *signupClient) step(ctx context.Context, step, path, email, from string, body any, want int, into any) bool {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+path, bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", from)
	resp, err := failoverHTTP.Do(req)
	if err != nil {
		c.fail(ctx, step, email, err.Error())
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var p struct{ Type string }
		json.NewDecoder(resp.Body).Decode(&p)
		c.fail(ctx, step, email, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimPrefix(p.Type, "/v1/problems/")))
		return false
	}
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			c.fail(ctx, step, email, "answer: "+err.Error())
			return false
		}
	}
	return true
}

// code is the code in the newest mail to email.
func (c *signupClient) code(email string) (string, error) {
	msgs, err := c.codes.Outbox()
	if err != nil {
		return "", err
	}
	for _, m := range slices.Backward(msgs) {
		if strings.EqualFold(m.To, email) {
			if code := mailCode.FindString(m.Subject); code != "" {
				return code, nil
			}
		}
	}
	return "", fmt.Errorf("no code mail to %s in the outbox", email)
}

// fail keeps a failure, unless the test stopped the client (which
// cancels what is under way), and paces the next try: neither node may
// take writes yet.
func (c *signupClient) fail(ctx context.Context, step, email, what string) {
	if ctx.Err() != nil {
		return
	}
	c.failures = append(c.failures, failure{at: time.Now(), step: step, email: email, what: what})
	select {
	case <-ctx.Done():
	case <-time.After(50 * time.Millisecond):
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func countAfter(fs []failure, t time.Time) int {
	n := 0
	for _, f := range fs {
		if !f.at.Before(t) {
			n++
		}
	}
	return n
}

// summary counts failures by step and kind: "3× verify 503 unavailable, …".
func summary(fs []failure) string {
	n := map[string]int{}
	for _, f := range fs {
		what := f.what
		if len(what) > 120 {
			what = what[:120] + "…"
		}
		n[f.step+" "+what]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%d× %s", v, k))
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
