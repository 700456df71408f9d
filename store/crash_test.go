package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// The crash tests run the takeover in a child process (this test binary
// re-executed), kill it with SIGKILL at chosen points, reopen the
// database and check that the takeover is either finished or not started,
// with every user, grant and mapping present exactly once.

const (
	crashUsers   = 20_000
	crashBatch   = 400 // 50 batches, so a kill can land early, in the middle and late
	crashEnvMode = "SELFSERVE_CRASH_CHILD"
	crashEnvDB   = "SELFSERVE_CRASH_DB"
)

// crashGrants gives user i its services: everyone rms, every 10th
// sharepoint, every 25th powerbi (dropped by the forced takeover).
func crashGrants(i int) []string {
	g := []string{"rms"}
	if i%10 == 0 {
		g = append(g, "sharepoint")
	}
	if i%25 == 0 {
		g = append(g, "powerbi")
	}
	return g
}

func crashEmail(i int) string { return fmt.Sprintf("user%06d@contoso.co.uk", i) }

// buildCrashDB writes a managed contoso.com and an unmanaged contoso.co.uk
// of crashUsers users, and issues the admin's external challenge.
func buildCrashDB(t *testing.T, dir string) { buildContosoDB(t, dir, crashUsers) }

// buildContosoDB is buildCrashDB with n users.
func buildContosoDB(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := Open(dbFor(t, dir), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	l := s.NewLoader()
	l.Directory(model.Directory{ID: "m", Name: "contoso.com", State: model.Managed, Domains: []string{"contoso.com"},
		GlobalAdmins: []string{"admin@contoso.com"}, CreatedAt: now})
	l.User(model.User{ID: "admin", Email: "admin@contoso.com", Directory: "m", Kind: model.Member, CreationMethod: model.EmailVerified, CreatedAt: now})
	loadContosoUK(l, n, now)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	c := Claim{Domain: "contoso.co.uk", Admin: addr(t, "admin@contoso.com"), Into: "m"}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
}

// loadContosoUK loads an unmanaged contoso.co.uk (id "u") of n users
// with crashGrants.
func loadContosoUK(l *Loader, n int, now time.Time) {
	l.Directory(model.Directory{ID: "u", Name: "contoso.co.uk", State: model.Unmanaged, Domains: []string{"contoso.co.uk"}, CreatedAt: now})
	for i := range n {
		l.User(model.User{ID: fmt.Sprintf("old%06d", i), Email: crashEmail(i), Directory: "u", Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: crashGrants(i), CreatedAt: now})
	}
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	mode := os.Getenv(crashEnvMode)
	if mode == "" {
		t.Skip("runs only as the child of the crash tests")
	}
	batches := 0
	s, err := Open(os.Getenv(crashEnvDB), Options{BatchSize: crashBatch, JobLease: time.Nanosecond, AfterBatch: func(model.Job) {
		batches++
		fmt.Printf("batch %d\n", batches)
	}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	if mode == "takeover" {
		fmt.Println("start")
		c := Claim{Domain: "contoso.co.uk", Admin: addr(t, "admin@contoso.com"), Into: "m"}
		p, err := s.Pending(c.Domain, c.Admin)
		if err == nil {
			_, err = s.TakeOverExternal(c, p, true, nil)
		}
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
	}
	s.Close()
	fmt.Println("done")
	os.Exit(0)
}

// runChild starts the child and kills it with SIGKILL once it has printed
// the line `killAt` (or after the delay, if killAt is empty). It returns
// whether the child was killed before finishing.
func runChild(t *testing.T, dir, mode, killAt string, delay time.Duration) bool {
	t.Helper()
	cmd := child("TestCrashChild", crashEnvMode+"="+mode, crashEnvDB+"="+dbFor(t, dir))
	sc := startLines(t, cmd)
	killed := false
	kill := func() {
		if !killed {
			killed = true
			cmd.Process.Kill()
		}
	}
	if killAt == "" {
		timer := time.AfterFunc(delay, kill)
		defer timer.Stop()
	}
	finished := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		if line == "done" {
			finished = true
		}
		if line == killAt {
			kill()
		}
	}
	cmd.Wait()
	return !finished
}

// child is this test binary re-executed to run only the test named run,
// with env added to its environment.
func child(run string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// startLines starts cmd and returns its standard output, line by line.
func startLines(t *testing.T, cmd *exec.Cmd) *bufio.Scanner {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return bufio.NewScanner(out)
}

// checkCrashOutcome reopens the database (which finishes any running job)
// and checks all-or-nothing: every user in exactly one place with the
// right grants and mappings. It opens read-only, as a command that only
// reads would: that open must finish the crash's work first.
//
// On a database server a reader leaves a running job to the servers: one
// opens first, as a server starting after the dead one would, and resumes
// it (the child's lease is one nanosecond long).
func checkCrashOutcome(t *testing.T, dir string) (moved bool) {
	t.Helper()
	if testEngine != "badger" {
		openTest(t, dir, Options{BatchSize: crashBatch}).Close()
	}
	s, err := Open(dbFor(t, dir), Options{BatchSize: crashBatch, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkInvariants(t, s)
	src, err := s.Directory("u")
	if err != nil {
		t.Fatal(err)
	}
	if src.State == model.Unmanaged {
		// Not started: everything is where it was.
		users, _ := s.Users("u", "", 0)
		if len(users) != crashUsers || src.Job != "" {
			t.Fatalf("not started, but source holds %d users (job %q)", len(users), src.Job)
		}
		return false
	}
	if src.State != model.Retired {
		t.Fatalf("source is %s", src.State)
	}
	users, err := s.Users("m", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != crashUsers+1 {
		t.Fatalf("target holds %d users, want %d", len(users), crashUsers+1)
	}
	for i := range crashUsers {
		u := users[i+1] // admin@contoso.com sorts first
		if u.Email != crashEmail(i) {
			t.Fatalf("user %d is %s, want %s", i, u.Email, crashEmail(i))
		}
		kept, _ := model.MoveGrants(crashGrants(i), catalogueMap())
		if strings.Join(u.Grants, ",") != strings.Join(kept, ",") || u.FormerID != fmt.Sprintf("old%06d", i) {
			t.Fatalf("user %s: grants %v former %q", u.Email, u.Grants, u.FormerID)
		}
	}
	for _, i := range []int{0, 1, 10, 25, 4999, crashUsers - 1} {
		maps, err := s.Mappings("m", crashEmail(i))
		if err != nil || len(maps) != len(crashGrants(i)) {
			t.Fatalf("user %d has mappings %+v (%v), want one per grant %v", i, maps, err, crashGrants(i))
		}
	}
	var mappings int
	for i := range crashUsers {
		mappings += len(crashGrants(i))
	}
	if n := countPrefix(t, s, mappingPrefix("m", "")[:len(pMapping)+2]); n != mappings {
		t.Fatalf("%d mappings, want %d", n, mappings)
	}
	return true
}

func catalogueMap() map[string]model.Service {
	m := map[string]model.Service{}
	for _, svc := range model.DefaultServices() {
		m[svc.Name] = svc
	}
	return m
}

func countPrefix(t *testing.T, s *Store, prefix []byte) int {
	n := 0
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, prefix, nil, func(_, _ []byte) (bool, error) { n++; return true, nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTakeoverSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	points, rounds := []string{"start", "batch 1", "batch 17", "batch 49"}, 3
	if testEngine != "badger" {
		// What differs on a database server is where the commits go, not
		// the batch a kill meets: fewer points keep the package's two
		// passes inside its time.
		points, rounds = []string{"start", "batch 17"}, 1
	}
	for _, at := range points {
		t.Run(strings.ReplaceAll(at, " ", "-"), func(t *testing.T) {
			dir := t.TempDir()
			buildCrashDB(t, dir)
			if !runChild(t, dir, "takeover", at, 0) {
				t.Fatalf("child finished before being killed at %q", at)
			}
			checkCrashOutcome(t, dir)
		})
	}
	t.Run("kill-during-resume", func(t *testing.T) {
		dir := t.TempDir()
		buildCrashDB(t, dir)
		runChild(t, dir, "takeover", "batch 10", 0)
		if !runChild(t, dir, "resume", "batch 5", 0) {
			t.Fatal("resume finished before being killed")
		}
		if !checkCrashOutcome(t, dir) {
			t.Fatal("a takeover that moved batches must be finished on open")
		}
	})
	t.Run("random-moments", func(t *testing.T) {
		for round := range rounds {
			dir := t.TempDir()
			buildCrashDB(t, dir)
			delay := time.Duration(rand.IntN(1500)) * time.Millisecond
			killed := runChild(t, dir, "takeover", "", delay)
			t.Logf("round %d: killed after %s: %v", round, delay, killed)
			checkCrashOutcome(t, dir)
		}
	})
}

// Issue 10 point 9: the first open after a kill -9 always succeeds. A
// child signs up in a loop and is killed at a random moment: while it
// opens (when Badger creates its memtable and value logs, the moment upstream
// badger #2207 is about) or while it writes; the parent then opens once,
// with no retry.
// Runs with -short: CI's short run must cover it.
func TestFirstOpenAfterKill9Succeeds(t *testing.T) {
	badgerOnly(t)
	dir := t.TempDir()
	const cycles = 100
	duringOpen := 0
	for cycle := range cycles {
		cmd := openChild(dir, "signups", "")
		sc := startLines(t, cmd)
		// Even cycles kill within 40 ms of the child starting to open
		// (about as long as Badger takes to open this small database),
		// odd ones within 20 ms of its first sign-ups.
		wait := "opening"
		if cycle%2 == 1 {
			wait = "open"
		}
		for sc.Scan() && sc.Text() != wait {
		}
		time.Sleep(time.Duration(rand.IntN(40_000>>(cycle%2))) * time.Microsecond)
		cmd.Process.Kill()
		opened := wait == "open"
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("cycle %d: child: %s", cycle, line)
			}
			opened = opened || line == "open"
		}
		cmd.Wait()
		if !opened {
			duringOpen++
		}
		opts := Options{Create: true}
		if _, err := os.Stat(filepath.Join(dir, "MANIFEST")); err == nil && cycle%3 == 2 {
			// A command that only reads is the first to open after the crash.
			opts = Options{ReadOnly: true}
		}
		s, err := Open(dbFor(t, dir), opts)
		if err != nil {
			t.Fatalf("cycle %d: first open (read-only %v) after kill -9: %v", cycle, opts.ReadOnly, err)
		}
		if cycle%10 == 9 {
			checkInvariants(t, s)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
	}
	t.Logf("%d of %d kills landed while the child was opening", duringOpen, cycles)
	if duringOpen == 0 {
		// Then the moment badger #2207 is about was never hit.
		t.Errorf("none of %d kills landed while the child was opening", cycles)
	}
}
