package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// The torture test (issue 6) runs sign-ups and takeovers side by side in a
// child process (this test binary re-executed, as in crash_test.go), kills
// it with SIGKILL at random moments, reopens the database and checks that
// nothing a user was told about was lost or split (PRODUCT.md §3: sign-up
// rule 6 and "a takeover ... survives a crash at any point").
//
// Size: by default it runs at CI size (5 killed rounds, well under a
// minute with -race on 2 cores). SELFSERVE_TORTURE=full runs 20 rounds
// with more workers and longer-lived children. -short does not skip it: the
// CI size is the short size.
//
// Replay: the seed is logged; SELFSERVE_TORTURE_SEED=N runs the same kill
// times, domains, addresses and services again. Goroutine scheduling is
// not replayed, so a failure that depends on an interleaving may need a
// few runs with the same seed.

const (
	tortureEnvSize  = "SELFSERVE_TORTURE"
	tortureEnvSeed  = "SELFSERVE_TORTURE_SEED"
	tortureEnvChild = "SELFSERVE_TORTURE_CHILD" // the child's JSON config
	// Small batches make a takeover of a few dozen users take several
	// transactions, so kills land between them.
	tortureBatch = 8
	// tortureCorps are the managed directories external takeovers merge
	// into, made by an internal takeover when the child first starts.
	tortureCorps = 3
)

type tortureSize struct {
	Rounds   int           // killed rounds; one clean round follows
	Domains  int           // t000.test … sign-up domains
	Reserved int           // least-used domains kept for the clean round's takeovers
	Workers  int           // sign-up goroutines
	MaxLife  time.Duration // a timer-killed child lives up to this long
	Pause    time.Duration // mean pause between two takeovers of one kind
}

var (
	tortureCI   = tortureSize{Rounds: 5, Domains: 300, Reserved: 15, Workers: 6, MaxLife: 3 * time.Second, Pause: 150 * time.Millisecond}
	tortureFull = tortureSize{Rounds: 20, Domains: 300, Reserved: 15, Workers: 8, MaxLife: 4 * time.Second, Pause: 400 * time.Millisecond}
)

// tortureChild is what the parent tells one child.
type tortureChild struct {
	DB    string
	Acks  string // the acknowledged sign-ups log
	Seed  uint64
	Round int
	Size  tortureSize
	// Finish: run until every kind of takeover has happened once, then
	// close cleanly; the parent does not kill this one.
	Finish bool
}

// Takeover kinds, one goroutine each; domain i belongs to kind i%3, so
// no two goroutines race for the same domain and every refusal is a bug.
const (
	kindInternal = iota
	kindExternal // never forced: its domains never sign up for a block service
	kindForced   // its domains use powerbi (block), so only --force gets through
	kinds
)

var kindNames = [kinds]string{"internal", "external", "forced"}

func tortureDomain(i int) string { return fmt.Sprintf("t%03d.test", i) }
func tortureCorp(i int) string   { return fmt.Sprintf("corp%d.test", i) }

// tortureServices: the external kind's domains never use powerbi, whose
// block policy would refuse an unforced takeover.
func tortureServices(domain int) []string {
	if domain%kinds == kindExternal {
		return []string{"rms", "rms", "exchange", "sharepoint", "flow"}
	}
	return []string{"rms", "rms", "exchange", "sharepoint", "flow", "powerbi"}
}

func TestTorture(t *testing.T) {
	size := tortureCI
	if os.Getenv(tortureEnvSize) == "full" {
		size = tortureFull
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(tortureEnvSeed); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", tortureEnvSeed, v, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d), %d rounds", seed, tortureEnvSeed, seed, size.Rounds)
	rng := rand.New(rand.NewPCG(seed, 0))
	tmp := t.TempDir()
	cfg := tortureChild{DB: dbFor(t, filepath.Join(tmp, "db")), Acks: filepath.Join(tmp, "acked.log"), Seed: seed, Size: size}
	// Created up front, so that every kill hits an existing database: a
	// kill inside the very first Open, between Badger's LOCK file and its
	// MANIFEST, leaves a directory Open refuses (reported separately), and
	// that is not what this test is about.
	s, err := Open(cfg.DB, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var st tortureStats
	for round := range size.Rounds + 1 {
		cfg.Round, cfg.Finish = round, round == size.Rounds
		plan := killPlan{}
		switch {
		case cfg.Finish:
		case round%2 == 0:
			// Anywhere: during Open, setup, sign-ups, takeovers.
			plan.after = time.Duration(rng.Int64N(int64(size.MaxLife)))
		default:
			// Right after a committed takeover batch, while the child sleeps
			// 25 ms in AfterBatch: the job is almost always half done (the
			// child's report of a finished takeover tells the rare miss).
			plan.batch = 1 + rng.IntN(4)
			plan.after = 3 * size.MaxLife
		}
		repairAckLog(t, cfg.Acks)
		began := time.Now()
		run := runTortureChild(t, cfg, plan)
		checked := time.Now()
		checkTortureRound(t, cfg, run, &st)
		t.Logf("round %d: %s, child %v, check %v: %d sign-ups acknowledged (%d in all), takeovers %v, %d interrupted jobs finished on open",
			round, run.how, checked.Sub(began).Round(time.Millisecond), time.Since(checked).Round(time.Millisecond),
			run.acked, st.acked, run.takeovers, len(run.interrupted))
	}
	// Without these the run would pass while testing far less than it says.
	if st.acked == 0 {
		t.Fatal("no sign-up was acknowledged in any round")
	}
	if st.midJob == 0 {
		t.Fatal("no child was killed inside a takeover job")
	}
	for k, n := range st.kinds {
		if n == 0 {
			t.Fatalf("no %s takeover happened", kindNames[k])
		}
	}
	t.Logf("in all: %d acknowledged sign-ups (%d with a grant dropped by force), takeovers %v, %d kills inside a job",
		st.acked, st.droppedAcks, st.kinds, st.midJob)
}

// killPlan says when the parent kills the child: after the batch-th
// takeover batch it reports, or after the delay, whichever comes first.
type killPlan struct {
	batch int
	after time.Duration
}

// childRun is what the parent saw of one child.
type childRun struct {
	how         string
	acked       int
	takeovers   [kinds]int
	interrupted []string // domains whose takeover job was cut off mid-way
}

func runTortureChild(t *testing.T, cfg tortureChild, plan killPlan) childRun {
	t.Helper()
	env, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTortureChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), tortureEnvChild+"="+string(env))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	killed := false
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if !killed {
			killed = true
			cmd.Process.Kill()
		}
	}
	limit := plan.after
	if cfg.Finish {
		limit = 2 * time.Minute // a child that never finishes is a failure, not a hang
	}
	timer := time.AfterFunc(limit, kill)
	defer timer.Stop()
	var run childRun
	running := map[string]bool{} // domains with a job between its first batch and its end
	batches, done := 0, false
	var failure string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "error":
			if failure == "" {
				failure = sc.Text()
			}
		case "acked":
			run.acked++
		case "batch":
			running[f[1]] = true
			if batches++; batches == plan.batch {
				kill()
			}
		case "takeover":
			k := slices.Index(kindNames[:], f[1])
			run.takeovers[k]++
			delete(running, f[2])
		case "done":
			done = true
		}
	}
	werr := cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	// A race the detector found in the child fails the test even when the
	// kill came before the child's exit status could say so.
	if text := stderr.String(); strings.Contains(text, "DATA RACE") {
		t.Fatalf("round %d (seed %d): the child raced:\n%s", cfg.Round, cfg.Seed, text)
	} else if text != "" {
		t.Logf("round %d: child stderr:\n%s", cfg.Round, text)
	}
	switch {
	case failure != "":
		t.Fatalf("round %d (seed %d): child: %s", cfg.Round, cfg.Seed, failure)
	case cfg.Finish && (killed || !done || werr != nil):
		t.Fatalf("round %d (seed %d): the clean round did not finish within %v (%v)", cfg.Round, cfg.Seed, limit, werr)
	case !killed && !cfg.Finish:
		t.Fatalf("round %d (seed %d): the child stopped by itself before the kill (%v)", cfg.Round, cfg.Seed, werr)
	}
	for d := range running {
		run.interrupted = append(run.interrupted, d)
	}
	slices.Sort(run.interrupted)
	switch {
	case cfg.Finish:
		run.how = "clean close"
	case batches >= plan.batch && plan.batch > 0:
		run.how = fmt.Sprintf("killed after takeover batch %d", plan.batch)
	default:
		run.how = fmt.Sprintf("killed after %v", plan.after.Round(time.Millisecond))
	}
	return run
}

// lockedBuffer collects the child's stderr, written from exec's copying
// goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// repairAckLog cuts a line the last kill left half written: it was never
// acknowledged (the fsync had not returned), and the next child appends.
func repairAckLog(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.LastIndexByte(b, '\n') + 1; n != len(b) {
		if err := os.Truncate(path, int64(n)); err != nil {
			t.Fatal(err)
		}
	}
}

// tortureStats add up over the rounds.
type tortureStats struct {
	acked       int
	droppedAcks int
	midJob      int
	kinds       [kinds]int
	audit       int // entries after the previous round
}

// checkTortureRound reopens the database, which finishes any job the kill
// cut off, and checks it as a whole and against what the child promised.
func checkTortureRound(t *testing.T, cfg tortureChild, run childRun, st *tortureStats) {
	t.Helper()
	fail := func(f string, a ...any) {
		t.Helper()
		t.Fatalf("round %d (seed %d): %s", cfg.Round, cfg.Seed, fmt.Sprintf(f, a...))
	}
	s, err := Open(cfg.DB, Options{BatchSize: tortureBatch})
	if err != nil {
		fail("reopen: %v", err)
	}
	defer s.Close()
	if err := s.CheckInvariants(); err != nil {
		fail("%v", err)
	}
	if err := s.checkAuditTrail(); err != nil {
		fail("%v", err)
	}
	// A job cut off after a committed batch cannot be "not started": Open
	// must have finished it.
	for _, d := range run.interrupted {
		rec, err := s.Directory(d)
		if err != nil || rec.State != model.Managed || !slices.Contains(rec.Domains, d) {
			fail("the takeover of %s was killed after a batch, but after reopening %s is %s in %s (%v)", d, d, rec.State, rec.ID, err)
		}
	}
	// Counted as a kill inside a job: the last batch may have been followed
	// by the finishing transaction before the kill, which is rare and
	// checked the same way.
	st.midJob += len(run.interrupted)
	acks := readAckLog(t, cfg.Acks)
	if st.droppedAcks, err = checkAcked(s, acks); err != nil {
		fail("%v", err)
	}
	st.acked = len(acks)
	// Append-only: a round may add entries, never lose one.
	if n := countPrefix(t, s, []byte(pAudit)); n < st.audit {
		fail("the audit log shrank from %d to %d entries", st.audit, n)
	} else {
		st.audit = n
	}
	if cfg.Finish {
		st.kinds = countTakeovers(t, s)
	}
}

// checkAcked holds the database to every acknowledged sign-up: the user is
// in exactly one directory and still holds the service, unless a forced
// takeover dropped it and recorded so in a mapping. It returns how many
// grants were dropped.
func checkAcked(s *Store, acks []ack) (dropped int, err error) {
	var problems []string
	err = s.view(func(txn engine.Txn) error {
		where := map[string][]model.User{}
		if err := each(txn, pUser, func(k []byte, u model.User) error {
			_, a, _ := strings.Cut(string(k[len(pUser):]), "/")
			where[a] = append(where[a], u)
			return nil
		}); err != nil {
			return err
		}
		for _, ack := range acks {
			users := where[ack.addr.Key()]
			if len(users) != 1 {
				problems = append(problems, fmt.Sprintf("acknowledged sign-up %s (%s) is in %d directories", ack.addr, ack.service, len(users)))
				continue
			}
			u := users[0]
			if u.HasGrant(ack.service) {
				continue
			}
			var m model.Mapping
			found, err := get(txn, append(mappingPrefix(u.Directory, ack.addr.Key()), ack.service...), &m)
			if err != nil {
				return err
			}
			if !found || m.Status != model.Dropped {
				problems = append(problems, fmt.Sprintf("acknowledged sign-up %s for %s is lost: the user in %s holds %v and no forced takeover dropped it",
					ack.addr, ack.service, u.Directory, u.Grants))
				continue
			}
			dropped++
		}
		return nil
	})
	if err == nil && len(problems) > 0 {
		err = errors.New(strings.Join(problems, "\n"))
	}
	return dropped, err
}

// countTakeovers reads from the audit log how many takeovers of sign-up
// domains of each kind were done in all.
func countTakeovers(t *testing.T, s *Store) [kinds]int {
	t.Helper()
	entries, err := s.Audit(time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n [kinds]int
	for _, e := range entries {
		after, _ := e.After.(map[string]any)
		switch e.Action {
		case "takeover.internal":
			if name, _ := after["name"].(string); strings.HasPrefix(name, "t") {
				n[kindInternal]++
			}
		case "takeover.external":
			job, _ := after["job"].(map[string]any)
			if force, _ := job["force"].(bool); force {
				n[kindForced]++
			} else {
				n[kindExternal]++
			}
		}
	}
	return n
}

type ack struct {
	addr    model.Address
	service string
}

func readAckLog(t *testing.T, path string) []ack {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []ack
	for line := range strings.Lines(string(b)) {
		if !strings.HasSuffix(line, "\n") {
			break // cut off by the kill before its fsync: never acknowledged
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("ack log line %q", line)
		}
		a, err := model.ParseAddress(f[0])
		if err != nil {
			t.Fatalf("ack log line %q: %v", line, err)
		}
		out = append(out, ack{a, f[1]})
	}
	return out
}

// TestTortureChild is the child process; it does nothing in a normal run.
// It reports on stdout, one line each: "acked", "batch DOMAIN",
// "takeover KIND DOMAIN", "error …" (then exits), "done".
func TestTortureChild(t *testing.T) {
	env := os.Getenv(tortureEnvChild)
	if env == "" {
		t.Skip("runs only as the child of TestTorture")
	}
	var cfg tortureChild
	if err := json.Unmarshal([]byte(env), &cfg); err != nil {
		childFail("config: %v", err)
	}
	childMain(cfg)
	os.Exit(0)
}

// childFail reports a broken expectation and stops at once; the parent
// fails the test with the message.
func childFail(f string, a ...any) {
	fmt.Printf("error "+f+"\n", a...)
	os.Exit(3)
}

type torturer struct {
	s     *Store
	cfg   tortureChild
	corps []string // directory ids
	stop  chan struct{}
	// Reserved domains' takeovers wait for the clean round, so it always
	// finds one of each kind to do.
	takeoverable int

	ackMu sync.Mutex
	acks  *os.File
}

func childMain(cfg tortureChild) {
	s, err := Open(cfg.DB, Options{Create: true, BatchSize: tortureBatch, JobLease: time.Nanosecond, AfterBatch: func(j model.Job) {
		fmt.Printf("batch %s %d\n", j.Domain, j.Moved)
		// Room for the parent's kill to land while the job is half done.
		time.Sleep(25 * time.Millisecond)
	}})
	if err != nil {
		childFail("open: %v", err)
	}
	acks, err := os.OpenFile(cfg.Acks, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		childFail("ack log: %v", err)
	}
	tt := &torturer{s: s, cfg: cfg, stop: make(chan struct{}), acks: acks, takeoverable: cfg.Size.Domains - cfg.Size.Reserved}
	if cfg.Finish {
		tt.takeoverable = cfg.Size.Domains
	}
	for i := range tortureCorps {
		tt.corps = append(tt.corps, tt.ensureManaged(tortureCorp(i)))
	}
	var wg sync.WaitGroup
	for w := range cfg.Size.Workers {
		wg.Go(func() { tt.signups(w) })
	}
	var done sync.WaitGroup
	for k := range kinds {
		done.Go(func() { tt.takeovers(k) })
	}
	if cfg.Finish {
		// Each takeover goroutine of the clean round returns after its
		// first takeover.
		done.Wait()
		close(tt.stop)
	}
	wg.Wait()
	done.Wait()
	if err := s.Close(); err != nil {
		childFail("close: %v", err)
	}
	fmt.Println("done")
}

// ensureManaged makes domain a managed directory with admin@domain as its
// global admin, through sign-up and internal takeover. A kill may have cut
// an earlier attempt at any step, so each step checks what is done.
func (tt *torturer) ensureManaged(domain string) string {
	admin, _ := model.ParseAddress("admin@" + domain)
	if d, err := tt.s.Directory(domain); err == nil && d.State == model.Managed {
		return d.ID
	}
	if _, _, err := tt.s.User(domain, admin); err != nil {
		if !tt.signup(admin, "exchange") {
			childFail("setup of %s: sign-up kept being refused", domain)
		}
	}
	c := Claim{Domain: domain, Admin: admin}
	if _, err := tt.s.IssueChallenge(c, model.ModeTXT); err != nil {
		childFail("setup of %s: challenge: %v", domain, err)
	}
	p, err := tt.s.Pending(domain, admin)
	if err != nil {
		childFail("setup of %s: pending: %v", domain, err)
	}
	d, err := tt.s.TakeOverInternal(c, p)
	if err != nil {
		childFail("setup of %s: takeover: %v", domain, err)
	}
	return d.ID
}

func (tt *torturer) stopped() bool {
	select {
	case <-tt.stop:
		return true
	default:
		return false
	}
}

// rng gives each goroutine of each round its own stream of the seed.
func (tt *torturer) rng(stream int) *rand.Rand {
	return rand.New(rand.NewPCG(tt.cfg.Seed, uint64(tt.cfg.Round)<<16|uint64(stream)))
}

// signups is one sign-up worker. Its addresses carry the round and the
// worker, so no two goroutines ever race for one address's code: a
// rejected code is then a bug, not a race. Some sign-ups reuse an
// address the worker already signed up, with another service (the
// existing-user rows of the decision table).
func (tt *torturer) signups(w int) {
	rng := tt.rng(w + 1)
	type address struct {
		a        model.Address
		domain   int
		requests int
	}
	var mine []*address
	for n := 0; !tt.stopped(); n++ {
		var x *address
		if len(mine) > 0 && rng.IntN(5) == 0 {
			x = mine[rng.IntN(len(mine))]
		} else {
			// Squaring skews the choice to the first domains: a few big
			// directories (takeovers of several batches), many small ones.
			d := int(float64(tt.cfg.Size.Domains) * math.Pow(rng.Float64(), 2))
			a, err := model.ParseAddress(fmt.Sprintf("r%dw%dn%d@%s", tt.cfg.Round, w, n, tortureDomain(d)))
			if err != nil {
				childFail("address: %v", err)
			}
			x = &address{a: a, domain: d}
			mine = append(mine, x)
		}
		// Stay under the per-address limit of codes an hour: a refusal for
		// it would hide a real one.
		if x.requests >= model.MaxCodeRequests-1 {
			continue
		}
		x.requests++
		svcs := tortureServices(x.domain)
		svc := svcs[rng.IntN(len(svcs))]
		if tt.signup(x.a, svc) {
			tt.ack(x.a, svc)
		}
	}
}

var codeInMail = regexp.MustCompile(`\b[0-9]{6}\b`)

// signup runs start and verify with the code read from the mail, waiting
// out a takeover in progress. It reports whether the sign-up went through.
func (tt *torturer) signup(a model.Address, svc string) bool {
	compose := func(code string) model.Message {
		return model.Message{Time: time.Now(), To: a.String(), Subject: "Your sign-up code", Body: "Your code is " + code + ". It expires in 15 minutes."}
	}
	var msg model.Message
	var err error
	for try := 0; ; try++ {
		msg, err = tt.s.StartSignup(a, svc, false, compose)
		if !errors.Is(err, model.ErrTryAgain) || try == 100 || tt.stopped() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if errors.Is(err, model.ErrTryAgain) {
		return false
	}
	if err != nil {
		childFail("start sign-up %s for %s: %v", a, svc, err)
	}
	code := codeInMail.FindString(msg.Body)
	for try := 0; ; try++ {
		res, err := tt.s.VerifySignup(a, code)
		if errors.Is(err, model.ErrTryAgain) && try < 100 && !tt.stopped() {
			// Rule 6: the code is not spent; it works once the takeover ends.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if errors.Is(err, model.ErrTryAgain) {
			return false
		}
		if err != nil {
			childFail("verify sign-up %s for %s: %v", a, svc, err)
		}
		if !res.User.HasGrant(svc) || !slices.Contains(res.Directory.Domains, a.Domain) || res.User.Directory != res.Directory.ID {
			childFail("sign-up %s for %s: user %+v in directory %+v", a, svc, res.User, res.Directory)
		}
		return true
	}
}

// ack writes the sign-up to the log and syncs it before counting it as
// acknowledged: the parent holds the database to every line.
func (tt *torturer) ack(a model.Address, svc string) {
	tt.ackMu.Lock()
	defer tt.ackMu.Unlock()
	if _, err := fmt.Fprintf(tt.acks, "%s %s\n", a, svc); err != nil {
		childFail("ack log: %v", err)
	}
	if err := tt.acks.Sync(); err != nil {
		childFail("ack log: %v", err)
	}
	fmt.Println("acked")
}

// takeovers runs takeovers of one kind on that kind's domains, pausing
// between them so the domains last all the rounds.
func (tt *torturer) takeovers(kind int) {
	rng := tt.rng(1000 + kind)
	for !tt.stopped() {
		if !tt.cfg.Finish {
			time.Sleep(time.Duration(rng.Int64N(2 * int64(tt.cfg.Size.Pause))))
		}
		d, ok := tt.candidate(rng, kind)
		if !ok {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if tt.takeover(rng, kind, d) && tt.cfg.Finish {
			return
		}
	}
}

// candidate picks an unmanaged directory of the kind's domains: the
// biggest of a few, so external jobs take several batches.
func (tt *torturer) candidate(rng *rand.Rand, kind int) (model.Directory, bool) {
	var best model.Directory
	bestUsers := 0
	for range 8 {
		i := rng.IntN(tt.takeoverable/kinds)*kinds + kind
		d, err := tt.s.Directory(tortureDomain(i))
		if errors.Is(err, model.ErrNotFound) {
			continue
		} else if err != nil {
			childFail("directory %s: %v", tortureDomain(i), err)
		}
		if d.State != model.Unmanaged {
			continue
		}
		if d.Job != "" {
			childFail("directory %s is marked with job %s, but only this goroutine takes it over", d.Name, d.Job)
		}
		im, err := tt.s.Preview(d.Name)
		if err != nil {
			childFail("preview %s: %v", d.Name, err)
		}
		if kind == kindForced && len(im.Blocking) == 0 {
			continue
		}
		if kind == kindExternal && len(im.Blocking) > 0 {
			childFail("preview of %s: %v blocks, but its users never sign up for a block service", d.Name, im.Blocking)
		}
		if im.Users > bestUsers {
			best, bestUsers = d, im.Users
		}
	}
	return best, bestUsers > 0
}

// takeover does one takeover of d; it reports whether it happened.
// Refusals other than "try again" are bugs: this goroutine alone takes its
// domains over and the rules allow every step it makes.
func (tt *torturer) takeover(rng *rand.Rand, kind int, d model.Directory) bool {
	domain := d.Name
	var c Claim
	if kind == kindInternal {
		users, err := tt.s.Users(d.ID, "", 1)
		if err != nil || len(users) == 0 {
			childFail("users of %s: %v", domain, err)
		}
		admin, _ := model.ParseAddress(users[0].Email)
		c = Claim{Domain: domain, Admin: admin}
	} else {
		corp := rng.IntN(tortureCorps)
		admin, _ := model.ParseAddress("admin@" + tortureCorp(corp))
		c = Claim{Domain: domain, Admin: admin, Into: tt.corps[corp]}
	}
	mode := model.ModeTXT
	if rng.IntN(2) == 0 {
		mode = model.ModeMX
	}
	if _, err := tt.s.IssueChallenge(c, mode); errors.Is(err, model.ErrTryAgain) {
		return false
	} else if err != nil {
		childFail("challenge for %s (%s): %v", domain, kindNames[kind], err)
	}
	// No DNS here: the store trusts its caller to have checked the record
	// Pending returns (the CLI does it with dnscheck), as the store's other
	// takeover tests do.
	p, err := tt.s.Pending(domain, c.Admin)
	if err != nil {
		childFail("pending %s (%s): %v", domain, kindNames[kind], err)
	}
	switch kind {
	case kindInternal:
		res, err := tt.s.TakeOverInternal(c, p)
		if errors.Is(err, model.ErrTryAgain) {
			return false
		} else if err != nil {
			childFail("internal takeover of %s: %v", domain, err)
		}
		if res.State != model.Managed || !res.IsAdmin(c.Admin.Key()) {
			childFail("internal takeover of %s: %+v", domain, res)
		}
	default:
		force := kind == kindForced
		if force {
			// A block service in use refuses the takeover unless forced,
			// and the refusal changes nothing.
			_, err := tt.s.TakeOverExternal(c, p, false, nil)
			if errors.Is(err, model.ErrTryAgain) {
				return false
			}
			if !errors.Is(err, model.ErrBlockedByPlan) {
				childFail("unforced takeover of %s with powerbi users: %v, want blocked", domain, err)
			}
		}
		res, err := tt.s.TakeOverExternal(c, p, force, nil)
		if errors.Is(err, model.ErrTryAgain) {
			return false
		} else if err != nil {
			childFail("%s takeover of %s: %v", kindNames[kind], domain, err)
		}
		if res.Job.State != model.JobDone || !slices.Contains(res.Target.Domains, domain) || force != (res.Job.Dropped > 0) {
			childFail("%s takeover of %s: job %+v, target %+v", kindNames[kind], domain, res.Job, res.Target)
		}
	}
	fmt.Printf("takeover %s %s\n", kindNames[kind], domain)
	return true
}

// brokenFixture is a small database built only through the Store's
// operations: contoso.com managed, bellows.test unmanaged, and fabrikam.test
// merged into contoso.com by a forced takeover of two batches.
type brokenFixture struct {
	s                  *Store
	contoso, bellows   string // directory ids
	fabrikam, job      string // the retired source and its job
	dan, eve, fabAdmin string // address keys
}

func newBrokenFixture(t *testing.T) brokenFixture {
	t.Helper()
	s := openTest(t, t.TempDir(), Options{BatchSize: 2})
	m := managed(t, s)
	mustSignup(t, s, "dan@bellows.test", "rms")
	mustSignup(t, s, "eve@bellows.test", "powerbi")
	mustSignup(t, s, "ann@fabrikam.test", "rms")
	mustSignup(t, s, "bob@fabrikam.test", "sharepoint")
	src := mustSignup(t, s, "cy@fabrikam.test", "powerbi").Directory
	c := Claim{Domain: "fabrikam.test", Admin: addr(t, "admin@contoso.com"), Into: m.ID}
	if _, err := s.IssueChallenge(c, model.ModeTXT); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(c.Domain, c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.TakeOverExternal(c, p, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Directory("bellows.test")
	if err != nil {
		t.Fatal(err)
	}
	return brokenFixture{s: s, contoso: m.ID, bellows: b.ID, fabrikam: src.ID, job: res.Job.ID,
		dan: "dan@bellows.test", eve: "eve@bellows.test", fabAdmin: "ann@fabrikam.test"}
}

// The torture test trusts these checkers to see a broken database; each
// case breaks one rule with raw writes and expects its message.
func TestTortureCheckersCatchBrokenDatabases(t *testing.T) {
	fx := newBrokenFixture(t)
	checkInvariants(t, fx.s)
	if err := fx.s.checkAuditTrail(); err != nil {
		t.Fatalf("the intact fixture's audit trail: %v", err)
	}
	if _, err := checkAcked(fx.s, []ack{{addr(t, "dan@bellows.test"), "rms"}, {addr(t, "cy@fabrikam.test"), "powerbi"}}); err != nil {
		t.Fatalf("the intact fixture's sign-ups: %v", err)
	}
	// The damage runs in the subtest, so its helpers fail the subtest.
	edit := func(fn func(t *testing.T, txn engine.Txn, fx brokenFixture) error) func(*testing.T, brokenFixture) {
		return func(t *testing.T, fx brokenFixture) {
			if err := fx.s.update(func(txn engine.Txn) error { return fn(t, txn, fx) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	user := func(t *testing.T, txn engine.Txn, dir, key string) model.User {
		t.Helper()
		var u model.User
		if found, err := get(txn, userKey(dir, key), &u); err != nil || !found {
			t.Fatalf("fixture user %s/%s: found %v, %v", dir, key, found, err)
		}
		return u
	}
	dir := func(t *testing.T, txn engine.Txn, id string) model.Directory {
		t.Helper()
		d, err := directory(txn, id)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	auditTrail := func(fx brokenFixture) error { return fx.s.checkAuditTrail() }
	cases := []struct {
		name   string
		damage func(*testing.T, brokenFixture)
		check  func(brokenFixture) error
		want   string
	}{
		{"member in two directories", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.dan)
			u.Directory = fx.contoso
			return put(txn, userKey(fx.contoso, fx.dan), u)
		}), nil, "member dan@bellows.test is in two directories"},
		{"member outside its domain's directory", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.dan)
			u.Directory = fx.contoso
			if err := txn.Delete(userKey(fx.bellows, fx.dan)); err != nil {
				return err
			}
			return put(txn, userKey(fx.contoso, fx.dan), u)
		}), nil, "but bellows.test belongs to"},
		{"domain in two directories", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			m := dir(t, txn, fx.contoso)
			m.Domains = append(m.Domains, "bellows.test")
			return put(txn, dirKey(fx.contoso), m)
		}), nil, "domain bellows.test is listed by two directories"},
		{"domain held by a retired directory", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return put(txn, domainKey("fabrikam.test"), model.DomainRecord{Domain: "fabrikam.test", Directory: fx.fabrikam})
		}), nil, "domain fabrikam.test belongs to retired directory"},
		{"takeover job left running", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			var j model.Job
			if _, err := get(txn, jobKey(fx.job), &j); err != nil {
				return err
			}
			j.State = model.JobRunning
			return put(txn, jobKey(fx.job), j)
		}), nil, "is still running"},
		{"directory stuck in a takeover", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			d := dir(t, txn, fx.bellows)
			d.Job = fx.job
			return put(txn, dirKey(fx.bellows), d)
		}), nil, "is marked as being taken over by job"},
		{"dropped grant not listed", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return txn.Delete(append(mappingPrefix(fx.contoso, "cy@fabrikam.test"), "powerbi"...))
		}), nil, "counts 1 dropped grants, but 0 mappings say dropped"},
		{"mapped grant gone from the user", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.contoso, fx.fabAdmin)
			u.Grants = []string{}
			if err := addCount(txn, grantCountKey(fx.contoso, "rms"), -1); err != nil {
				return err
			}
			return put(txn, userKey(fx.contoso, fx.fabAdmin), u)
		}), nil, "grant rms of ann@fabrikam.test was carried over"},
		{"moved user lost", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			if err := addCount(txn, userCountKey(fx.contoso), -1); err != nil {
				return err
			}
			if err := addCount(txn, grantCountKey(fx.contoso, "sharepoint"), -1); err != nil {
				return err
			}
			return txn.Delete(userKey(fx.contoso, "bob@fabrikam.test"))
		}), nil, "moved 3 users, but 2 users of"},
		{"user counter off", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return addCount(txn, userCountKey(fx.bellows), 1)
		}), nil, "counts 3 users but holds 2"},
		{"user counter of no directory", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return addCount(txn, userCountKey("gone"), 4)
		}), nil, "user counter gone is 4, but there is no directory gone"},
		{"former id without a job", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.dan)
			u.FormerID = "nobody"
			return put(txn, userKey(fx.bellows, fx.dan), u)
		}), nil, "has former id nobody, but no takeover job"},
		{"takeover batch missing from the audit log", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return scan(txn, []byte(pAudit), nil, func(k, v []byte) (bool, error) {
				var e auditHead
				if err := decode(k, v, &e); err != nil || e.Action != "takeover.batch" {
					return true, err
				}
				return false, txn.Delete(k)
			})
		}), nil, "its takeover.batch audit entries say"},
		{"user created without an audit entry", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.dan)
			u.ID, u.Email, u.Grants = "ghost", "zed@bellows.test", []string{}
			if err := addCount(txn, userCountKey(fx.bellows), 1); err != nil {
				return err
			}
			return put(txn, userKey(fx.bellows, "zed@bellows.test"), u)
		}), auditTrail, "user zed@bellows.test of"},
		{"grant without an audit entry", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.eve)
			u.Grants = u.WithGrant("flow")
			if err := addCount(txn, grantCountKey(fx.bellows, "flow"), 1); err != nil {
				return err
			}
			return put(txn, userKey(fx.bellows, fx.eve), u)
		}), auditTrail, "holds flow, but no audit entry granted it"},
		{"domain verified without an audit entry", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return put(txn, domainKey("bellows.test"), model.DomainRecord{Domain: "bellows.test", Directory: fx.bellows, Verified: true})
		}), auditTrail, "domain bellows.test is verified in"},
		{"challenge without an audit entry", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			return put(txn, challengeKey("bellows.test", "admin@contoso.com"),
				model.Challenge{Domain: "bellows.test", Admin: "admin@contoso.com", Token: "forged"})
		}), auditTrail, "challenge for bellows.test issued to admin@contoso.com has no challenge.issue audit entry"},
		{"acknowledged sign-up lost", edit(func(t *testing.T, txn engine.Txn, fx brokenFixture) error {
			u := user(t, txn, fx.bellows, fx.dan)
			u.Grants = []string{}
			if err := addCount(txn, grantCountKey(fx.bellows, "rms"), -1); err != nil {
				return err
			}
			return put(txn, userKey(fx.bellows, fx.dan), u)
		}), func(fx brokenFixture) error {
			_, err := checkAcked(fx.s, []ack{{addr(t, "dan@bellows.test"), "rms"}})
			return err
		}, "acknowledged sign-up dan@bellows.test for rms is lost"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			fx := newBrokenFixture(t)
			c.damage(t, fx)
			check := c.check
			if check == nil {
				check = func(fx brokenFixture) error { return fx.s.CheckInvariants() }
			}
			err := check(fx)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error with %q, got: %v", c.want, err)
			}
		})
	}
}
