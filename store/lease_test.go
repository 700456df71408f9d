package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// Several servers on one database (issue 13 point 3): two Stores opened
// on one PostgreSQL database in this process are two servers, each with
// its own owner name. Badger's lock lets one process in, so on the
// Badger pass these tests skip and TestLeaseExclusiveOnBadger checks that
// its only store holds every lease without writing one.

const (
	leaseUsers     = 200
	leaseBatch     = 20
	leaseChildEnv  = "SELFSERVE_LEASE_CHILD_DB"
	leaseStallPass = 2 // the batch after which a stalled runner stops
)

// serversOnly skips on Badger, whose database one process opens at a
// time.
func serversOnly(t *testing.T) {
	t.Helper()
	if testEngine == "badger" {
		t.Skip("one process per Badger database: its only store holds every lease (TestLeaseExclusiveOnBadger)")
	}
}

func leaseOf(t testing.TB, s *Store, name string) model.Lease {
	t.Helper()
	var l model.Lease
	if err := s.view(func(txn engine.Txn) error { _, err := get(txn, leaseKey(name), &l); return err }); err != nil {
		t.Fatal(err)
	}
	return l
}

func jobOf(t testing.TB, s *Store, id string) model.Job {
	t.Helper()
	var j model.Job
	if err := s.view(func(txn engine.Txn) error { _, err := get(txn, jobKey(id), &j); return err }); err != nil {
		t.Fatal(err)
	}
	return j
}

// raceTakeLease has 8 goroutines of each store take name at once and
// returns, per store, how many were told they hold it.
func raceTakeLease(t *testing.T, name string, ttl time.Duration, stores ...*Store) []int {
	t.Helper()
	held := make([]int, len(stores))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		for range 8 {
			wg.Go(func() {
				<-start
				h, err := s.TakeLease(name, ttl)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("take %s: %v", name, err)
				}
				if h {
					held[i]++
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return held
}

func TestLeaseExclusiveOnBadger(t *testing.T) {
	if testEngine != "badger" {
		t.Skip("a database server's leases are TestLeaseOneHolderAcrossServers'")
	}
	s := openTest(t, t.TempDir(), Options{})
	if held := raceTakeLease(t, "x", time.Minute, s); held[0] != 8 {
		t.Errorf("%d of 8 takes held the lease; the only process holds every lease", held[0])
	}
	if err := s.DropLease("x"); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, s, []byte(pLease)); n != 0 {
		t.Errorf("%d lease records written; the only process needs none", n)
	}
}

// Two servers racing for a lease: one holds it, the other gets it once
// it ran out or was dropped, and the fence grows each time it changes
// hands (also across a drop: a fence that starts again at 1 would let a
// stale holder's fence match a new holder's).
func TestLeaseOneHolderAcrossServers(t *testing.T) {
	serversOnly(t)
	clock := &clock{now: time.Now()}
	dir := t.TempDir()
	a := openTest(t, dir, Options{Now: clock.Now})
	b := openTest(t, dir, Options{Now: clock.Now})
	const ttl = time.Minute
	for round := range 3 {
		name := fmt.Sprintf("x%d", round)
		held := raceTakeLease(t, name, ttl, a, b)
		if !(held[0] == 8 && held[1] == 0 || held[0] == 0 && held[1] == 8) {
			t.Fatalf("round %d: takes that held the lease, per server: %v; want all of one server's and none of the other's", round, held)
		}
		holder, other := a, b
		if held[1] > 0 {
			holder, other = b, a
		}
		l := leaseOf(t, a, name)
		if l.Owner != holder.owner || l.Fence != 1 {
			t.Fatalf("round %d: lease %+v, want held by %s with fence 1", round, l, holder.owner)
		}

		// The holder asking again renews it only once half of it passed.
		clock.Add(ttl / 4)
		if h, err := holder.TakeLease(name, ttl); !h || err != nil || !leaseOf(t, a, name).Until.Equal(l.Until) {
			t.Fatalf("round %d: renewed a quarter into the lease: %v, %v, %+v; want held, not written", round, h, err, leaseOf(t, a, name))
		}
		clock.Add(ttl / 2)
		if h, err := holder.TakeLease(name, ttl); !h || err != nil || !leaseOf(t, a, name).Until.Equal(clock.Now().Add(ttl)) {
			t.Fatalf("round %d: renewed three quarters into the lease: %v, %v, %+v; want held until %s", round, h, err, leaseOf(t, a, name), clock.Now().Add(ttl))
		}

		// Until it runs out the holder keeps it; then the other takes it.
		if h, err := other.TakeLease(name, ttl); h || err != nil {
			t.Fatalf("round %d: the other server took a live lease: %v, %v", round, h, err)
		}
		clock.Add(ttl + time.Second)
		if h, err := other.TakeLease(name, ttl); !h || err != nil {
			t.Fatalf("round %d: the other server could not take a lease that ran out: %v, %v", round, h, err)
		}
		if h, err := holder.TakeLease(name, ttl); h || err != nil {
			t.Fatalf("round %d: the first holder took back a lease another holds: %v, %v", round, h, err)
		}
		if l2 := leaseOf(t, a, name); l2.Owner != other.owner || l2.Fence <= l.Fence {
			t.Fatalf("round %d: after running out: lease %+v, want held by %s with a fence above %d", round, l2, other.owner, l.Fence)
		}

		// Dropped, it is free at once; a server that does not hold it
		// cannot drop it.
		if err := holder.DropLease(name); err != nil {
			t.Fatal(err)
		}
		l = leaseOf(t, a, name)
		if l.Owner != other.owner {
			t.Fatalf("round %d: a server that does not hold the lease dropped it: %+v", round, l)
		}
		w, err := holder.Watch()
		if err != nil {
			t.Fatal(err)
		}
		if err := other.DropLease(name); err != nil {
			t.Fatal(err)
		}
		waitLeaseChange(t, w)
		if h, err := holder.TakeLease(name, ttl); !h || err != nil {
			t.Fatalf("round %d: a dropped lease is not free at once: %v, %v", round, h, err)
		}
		if l2 := leaseOf(t, a, name); l2.Owner != holder.owner || l2.Fence <= l.Fence {
			t.Fatalf("round %d: after a drop: lease %+v, want held by %s with a fence above %d", round, l2, holder.owner, l.Fence)
		}
	}
}

// waitLeaseChange waits for w to hear of a lease changing, as a server
// waiting for a lease another gave up does, and closes w.
func waitLeaseChange(t *testing.T, w *Watcher) {
	t.Helper()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ch, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("no lease change heard: %v", err)
		}
		if ch.Leases {
			return
		}
	}
}

// untilStalled starts a's takeover and returns the job as a's
// AfterBatch handed it to stalled, and where the takeover's outcome
// comes.
func untilStalled(t *testing.T, a *Store, stalled <-chan model.Job) (model.Job, <-chan error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- takeOverContosoUK(a) }()
	select {
	case j := <-stalled:
		return j, done
	case err := <-done:
		t.Fatalf("the takeover ended before it stalled: %v", err)
		return model.Job{}, nil
	}
}

// buildLeaseDB is the crash tests' world, small.
func buildLeaseDB(t *testing.T, dir string) { buildContosoDB(t, dir, leaseUsers) }

// takeOverContosoUK runs the external takeover buildLeaseDB prepared; it
// makes no test calls, so goroutines may run it.
func takeOverContosoUK(s *Store) error {
	admin, err := model.ParseAddress("admin@contoso.com")
	if err != nil {
		return err
	}
	c := Claim{Domain: "contoso.co.uk", Admin: admin, Into: "m"}
	p, err := s.Pending(c.Domain, c.Admin)
	if err != nil {
		return err
	}
	_, err = s.TakeOverExternal(c, p, true, nil)
	return err
}

// checkTakenOver checks the takeover's outcome: invariants clean, every
// user of contoso.co.uk in contoso.com exactly once, the source retired,
// and the job done, having moved each user once.
func checkTakenOver(t *testing.T, s *Store, jobID string) model.Job {
	t.Helper()
	checkInvariants(t, s)
	users, err := s.Users("m", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != leaseUsers+1 {
		t.Fatalf("contoso.com holds %d users, want %d", len(users), leaseUsers+1)
	}
	for i := range leaseUsers {
		if u := users[i+1]; u.Email != crashEmail(i) || u.FormerID != fmt.Sprintf("old%06d", i) {
			t.Fatalf("user %d is %s (formerly %s), want %s", i, u.Email, u.FormerID, crashEmail(i))
		}
	}
	if src, err := s.Directory("u"); err != nil || src.State != model.Retired {
		t.Fatalf("source: %+v, %v; want retired", src, err)
	}
	j := jobOf(t, s, jobID)
	if j.State != model.JobDone || j.Moved != leaseUsers {
		t.Fatalf("job %+v, want done with %d moved", j, leaseUsers)
	}
	return j
}

// A takeover job runs on the server that started it: another server's
// ResumeOrphanedJobs (every JobLease/3 on each server) leaves it while
// that one's lease is live.
func TestJobNotResumedWhileLeaseLive(t *testing.T) {
	serversOnly(t)
	dir := t.TempDir()
	buildLeaseDB(t, dir)
	stalled, tried := make(chan model.Job), make(chan struct{})
	var once, triedOnce sync.Once
	release := func() { triedOnce.Do(func() { close(tried) }) }
	t.Cleanup(release)
	a := openTest(t, dir, Options{BatchSize: leaseBatch, AfterBatch: func(j model.Job) {
		once.Do(func() { stalled <- j; <-tried })
	}})
	b := openTest(t, dir, Options{BatchSize: leaseBatch})
	j, done := untilStalled(t, a, stalled)
	if err := b.ResumeOrphanedJobs(); err != nil {
		t.Fatal(err)
	}
	if got := jobOf(t, b, j.ID); got.State != model.JobRunning || got.Moved != leaseBatch || got.Lease.Owner != a.owner {
		t.Fatalf("after the other server looked for orphaned jobs: %+v; want running, %d moved, held by %s", got, leaseBatch, a.owner)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := checkTakenOver(t, b, j.ID); got.Lease.Owner != a.owner || got.Lease.Fence != 1 {
		t.Errorf("lease %+v, want the starting server's with fence 1", got.Lease)
	}
}

// TestLeaseChild is the server killed by TestJobResumedAfterServerKilled:
// it starts the takeover and stalls after batch leaseStallPass, printing
// each batch, until it is killed.
func TestLeaseChild(t *testing.T) {
	db := os.Getenv(leaseChildEnv)
	if db == "" {
		t.Skip("runs only as the child of TestJobResumedAfterServerKilled")
	}
	s, err := Open(db, Options{BatchSize: leaseBatch, AfterBatch: func(j model.Job) {
		n := j.Moved / leaseBatch
		fmt.Printf("batch %d %s\n", n, j.ID)
		if n == leaseStallPass {
			time.Sleep(time.Hour) // until killed; renewing nothing
		}
	}})
	if err == nil {
		err = takeOverContosoUK(s)
	}
	fmt.Println("error", err) // the takeover must not end
	os.Exit(3)
}

// A server killed (SIGKILL) in the middle of a takeover keeps its job's
// lease until it runs out; then another server's ResumeOrphanedJobs
// resumes the job under a grown fence and finishes it.
func TestJobResumedAfterServerKilled(t *testing.T) {
	serversOnly(t)
	if testing.Short() {
		t.Skip("kills a child process; skipped with -short")
	}
	dir := t.TempDir()
	buildLeaseDB(t, dir)
	cmd := child("TestLeaseChild", leaseChildEnv+"="+dbFor(t, dir))
	sc := startLines(t, cmd)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var jobID string
	for jobID == "" && sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		var n int
		var id string
		if _, err := fmt.Sscanf(line, "batch %d %s", &n, &id); err == nil && n == leaseStallPass {
			jobID = id
		}
	}
	if jobID == "" {
		t.Fatal("the child ended before its takeover stalled")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// The clock of the other server starts after the kill, so the dead
	// one's last renewal is still live by it.
	clock := &clock{now: time.Now()}
	b := openTest(t, dir, Options{BatchSize: leaseBatch, Now: clock.Now, JobLease: time.Second})
	if err := b.ResumeOrphanedJobs(); err != nil {
		t.Fatal(err)
	}
	dead := jobOf(t, b, jobID)
	if dead.State != model.JobRunning || dead.Moved != leaseStallPass*leaseBatch || dead.Lease.Owner == b.owner {
		t.Fatalf("with the killed server's lease live: %+v; want running, %d moved, not taken", dead, leaseStallPass*leaseBatch)
	}
	clock.Add(JobLease + time.Second)
	if err := b.ResumeOrphanedJobs(); err != nil {
		t.Fatal(err)
	}
	j := checkTakenOver(t, b, jobID)
	if j.Lease.Owner != b.owner || j.Lease.Fence <= dead.Lease.Fence {
		t.Errorf("lease %+v, want this server's with a fence above %d", j.Lease, dead.Lease.Fence)
	}
}

// Fencing: a server that stalls past its lease (a long pause, a
// partition) loses the job to another. If it wakes while the other runs
// the job, its next batch is refused with the lease lost; if it wakes
// once the other finished, it finds the job done. Either way no user
// moves twice.
func TestStalledServerLosesJobToAnother(t *testing.T) {
	serversOnly(t)
	for _, wake := range []string{"while-the-other-runs-it", "after-the-other-finished"} {
		t.Run(wake, func(t *testing.T) {
			dir := t.TempDir()
			buildLeaseDB(t, dir)
			clock := &clock{now: time.Now()}
			// stall makes a hook that stops a store once it has moved
			// moved users, until the returned release.
			stall := func(moved int) (func(model.Job), chan model.Job, func()) {
				stalled, resume := make(chan model.Job), make(chan struct{})
				var once sync.Once
				release := func() { once.Do(func() { close(resume) }) }
				t.Cleanup(release)
				return func(j model.Job) {
					if j.Moved == moved {
						stalled <- j
						<-resume
					}
				}, stalled, release
			}
			hookA, stalledA, releaseA := stall(leaseStallPass * leaseBatch)
			a := openTest(t, dir, Options{BatchSize: leaseBatch, Now: clock.Now, AfterBatch: hookA})
			hookB, stalledB, releaseB := stall((leaseStallPass + 1) * leaseBatch)
			if wake == "after-the-other-finished" {
				hookB = nil
			}
			b := openTest(t, dir, Options{BatchSize: leaseBatch, Now: clock.Now, AfterBatch: hookB})

			doneA := make(chan error, 1)
			go func() { doneA <- takeOverContosoUK(a) }()
			var j model.Job
			select {
			case j = <-stalledA:
			case err := <-doneA:
				t.Fatalf("the takeover ended before it stalled: %v", err)
			}
			clock.Add(JobLease + time.Second)
			doneB := make(chan error, 1)
			go func() { doneB <- b.ResumeOrphanedJobs() }()
			var errA error
			if wake == "while-the-other-runs-it" {
				select {
				case running := <-stalledB:
					if running.Lease.Owner != b.owner || running.Lease.Fence != j.Lease.Fence+1 {
						t.Fatalf("the resumed job's lease: %+v, want the resuming server's with fence %d", running.Lease, j.Lease.Fence+1)
					}
				case err := <-doneB:
					t.Fatalf("the other server ended before its first batch: %v", err)
				}
				releaseA()
				if errA = <-doneA; !errors.Is(errA, errLeaseLost) || !errors.Is(errA, model.ErrTakeoverRunning) {
					t.Fatalf("the stalled server's takeover ended with %v; want the lease lost", errA)
				}
				releaseB()
			}
			if err := <-doneB; err != nil {
				t.Fatal(err)
			}
			finished := checkTakenOver(t, b, j.ID)
			if finished.Lease.Owner != b.owner || finished.Lease.Fence != j.Lease.Fence+1 {
				t.Fatalf("lease %+v, want the resuming server's with fence %d", finished.Lease, j.Lease.Fence+1)
			}
			if wake == "after-the-other-finished" {
				releaseA()
				if errA = <-doneA; errA != nil {
					t.Fatalf("the stalled server found the job finished, yet its takeover ended with %v", errA)
				}
			}
			again := checkTakenOver(t, a, j.ID)
			if again.Moved != leaseUsers || again.Lease.Owner != finished.Lease.Owner || again.Lease.Fence != finished.Lease.Fence {
				t.Errorf("the stalled server changed the job after losing it: %+v, was %+v", again, finished)
			}
		})
	}
}

// A server whose own run of a job stopped (an error from the database
// ended it, as a failover does, or it stalled) resumes the job itself
// once the lease ran out, under a new fence: it may be the only server.
func TestOwnStoppedRunResumed(t *testing.T) {
	serversOnly(t)
	dir := t.TempDir()
	buildLeaseDB(t, dir)
	clock := &clock{now: time.Now()}
	stalled, resume := make(chan model.Job), make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(resume) }) }
	t.Cleanup(release)
	a := openTest(t, dir, Options{BatchSize: leaseBatch, Now: clock.Now, AfterBatch: func(j model.Job) {
		if j.Moved == leaseStallPass*leaseBatch && j.Lease.Fence == 1 {
			stalled <- j
			<-resume
		}
	}})
	j, done := untilStalled(t, a, stalled)
	if err := a.ResumeOrphanedJobs(); err != nil {
		t.Fatal(err)
	}
	if got := jobOf(t, a, j.ID); got.State != model.JobRunning || got.Moved != j.Moved {
		t.Fatalf("resumed while its own run's lease was live: %+v", got)
	}
	clock.Add(JobLease + time.Second)
	if err := a.ResumeOrphanedJobs(); err != nil {
		t.Fatal(err)
	}
	finished := checkTakenOver(t, a, j.ID)
	if finished.Lease.Owner != a.owner || finished.Lease.Fence != j.Lease.Fence+1 {
		t.Errorf("lease %+v, want this server's with fence %d", finished.Lease, j.Lease.Fence+1)
	}
	release()
	if err := <-done; err != nil {
		t.Errorf("the stopped run, finding the job done: %v", err)
	}
}
