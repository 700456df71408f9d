package store

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
	engbadger "selfserve/store/engine/badger"
)

// PRODUCT.md §6's takeover figure: an external takeover of a directory of
// 1,000,000 users with grants, through the real journaled job, against one
// raw WriteBatch writing the same records, both starting from a copy of the
// same database. Building the database (~20 s) is setup: it is done once
// per process and copied for each run, outside the timer.

const (
	benchUsers  = 1_000_000
	benchSource = "u"
	benchTarget = "m"
	benchDomain = "contoso.co.uk"
	benchAdmin  = "admin@contoso.com"
)

func benchEmail(i int) string { return fmt.Sprintf("user%07d@%s", i, benchDomain) }
func benchOldID(i int) string { return fmt.Sprintf("old%07d", i) }
func benchCreated() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
func benchAdminAddr() model.Address {
	a, err := model.ParseAddress(benchAdmin)
	if err != nil {
		panic(err)
	}
	return a
}

var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

// TestMain removes the million-user template the takeover benchmarks
// built, which they share for the whole process.
// removeTemplate deletes the template when the process ends (TestMain).
func removeTemplate() {
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
}

// takeoverTemplate builds, once per process, the million-user database
// (the crash tests' shape, scaled up: everyone on rms, every 10th on
// sharepoint, every 25th on powerbi, which blocks, so the takeover is
// forced) with the admin's external challenge issued.
func takeoverTemplate(b *testing.B) string {
	b.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "selfserve-bench-template-")
		if templateErr != nil {
			return
		}
		start := time.Now()
		templateErr = buildTakeoverDB(templateDir)
		b.Logf("built the %d-user template in %v", benchUsers, time.Since(start).Round(time.Millisecond))
	})
	if templateErr != nil {
		b.Fatal(templateErr)
	}
	return templateDir
}

func buildTakeoverDB(dir string) error {
	s, err := Open(dir, Options{Create: true})
	if err != nil {
		return err
	}
	defer s.Close()
	now := benchCreated()
	l := s.NewLoader()
	l.Directory(model.Directory{ID: benchTarget, Name: "contoso.com", State: model.Managed, Domains: []string{"contoso.com"},
		GlobalAdmins: []string{benchAdmin}, CreatedAt: now})
	l.User(model.User{ID: "admin", Email: benchAdmin, Directory: benchTarget, Kind: model.Member, CreationMethod: model.EmailVerified, CreatedAt: now})
	l.Directory(model.Directory{ID: benchSource, Name: benchDomain, State: model.Unmanaged, Domains: []string{benchDomain}, CreatedAt: now})
	for i := range benchUsers {
		l.User(model.User{ID: benchOldID(i), Email: benchEmail(i), Directory: benchSource, Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: crashGrants(i), CreatedAt: now})
	}
	if err := l.Flush(); err != nil {
		return err
	}
	_, err = s.IssueChallenge(Claim{Domain: benchDomain, Admin: benchAdminAddr(), Into: benchTarget}, model.ModeTXT)
	return err
}

// copyTemplate gives one run its own copy of the template database, and
// what removes it.
func copyTemplate(b *testing.B) (dir string, remove func()) {
	b.Helper()
	src := takeoverTemplate(b)
	dst := filepath.Join(b.TempDir(), "db")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		b.Fatal(err)
	}
	return dst, func() { os.RemoveAll(dst) }
}

// memWatch records the peak Go heap (sampled) and the peak RSS (the
// kernel's VmHWM, reset at the start) of a stretch of work.
type memWatch struct {
	stop     chan struct{}
	done     chan struct{}
	peakHeap atomic.Uint64
}

func watchMemory(b *testing.B) *memWatch {
	b.Helper()
	// Give back what setup left so the peak is the work's own.
	runtime.GC()
	debug.FreeOSMemory()
	// "5" resets VmHWM to the current RSS (proc(5), /proc/pid/clear_refs).
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset peak RSS (%v); it includes setup", err)
	}
	w := &memWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		// Live objects and garbage not yet collected: what the heap holds.
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > w.peakHeap.Load() {
				w.peakHeap.Store(v)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// finish stops the watch and returns peak heap and peak RSS in MiB.
func (w *memWatch) finish(b *testing.B) (heapMiB, rssMiB float64) {
	close(w.stop)
	<-w.done
	return float64(w.peakHeap.Load()) / (1 << 20), float64(procStatusKiB(b, "VmHWM")) / 1024
}

func procStatusKiB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Logf("no /proc/self/status: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkExternalTakeover1M times Store.TakeOverExternal of the million
// users, from the job's first transaction to its last, with the
// production options (defaultBatchSize, store.Open's Badger options).
// Reported: users/s, peak heap and peak RSS during the takeover (target
// < 300 MiB RSS).
func BenchmarkExternalTakeover1M(b *testing.B) {
	c := Claim{Domain: benchDomain, Admin: benchAdminAddr(), Into: benchTarget}
	var p PendingProof
	onCopies(b, copyTemplate, func(s *Store) (err error) {
		p, err = s.Pending(c.Domain, c.Admin)
		return err
	}, func(s *Store) error {
		res, err := s.TakeOverExternal(c, p, true, nil)
		if err == nil && (res.Job.Moved != benchUsers || res.Job.State != model.JobDone) {
			err = fmt.Errorf("job moved %d users, state %s", res.Job.Moved, res.Job.State)
		}
		return err
	})
}

// BenchmarkTakeoverBaselineWriteBatch is the takeover's baseline: one raw
// Badger WriteBatch, on a copy of the same database opened with the same
// options, writing what the takeover writes — per user the new user record,
// one mapping per grant and the delete of the old record, and per batch of
// defaultBatchSize users the job record, an audit entry and the counters —
// with the same keys and values, but no reads, checks or transactions.
func BenchmarkTakeoverBaselineWriteBatch(b *testing.B) {
	var records int
	onCopies(b, copyTemplate, nil, func(s *Store) (err error) {
		records, err = writeTakeoverRecords(s.eng.(*engbadger.Engine).DB())
		return err
	})
	b.ReportMetric(float64(records), "records")
}

// onCopies runs timed on a fresh copy of the template (a database named
// by copyOf) for each of b.N runs, after prepare (untimed), and reports
// users/s and the peak heap and RSS while timed ran.
func onCopies(b *testing.B, copyOf func(*testing.B) (db string, remove func()), prepare, timed func(*Store) error) {
	var heap, rss []float64
	for range b.N {
		b.StopTimer()
		db, remove := copyOf(b)
		s, err := Open(db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if prepare != nil {
			if err := prepare(s); err != nil {
				b.Fatal(err)
			}
		}
		w := watchMemory(b)
		b.StartTimer()
		err = timed(s)
		b.StopTimer()
		h, r := w.finish(b)
		heap, rss = append(heap, h), append(rss, r)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		remove()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchUsers)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(slices.Max(heap), "peak-heap-MiB")
	b.ReportMetric(slices.Max(rss), "peak-rss-MiB")
}

// writeTakeoverRecords writes the takeover's records through one
// WriteBatch and returns how many it wrote (deletes included).
func writeTakeoverRecords(db *badger.DB) (int, error) {
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	n, err := takeoverRecords(writeBatchSink{wb})
	if err != nil {
		return n, err
	}
	return n, wb.Flush()
}

// takeoverSink takes what the takeover writes, batch after batch.
type takeoverSink interface {
	Set(k, v []byte) error
	Delete(k []byte) error
	// EndBatch ends the records of one batch of defaultBatchSize users.
	EndBatch() error
}

type writeBatchSink struct{ *badger.WriteBatch }

func (writeBatchSink) EndBatch() error { return nil }

// takeoverRecords gives sink the takeover's records and returns how many
// (deletes included).
func takeoverRecords(wb takeoverSink) (int, error) {
	const jobID = "0123456789abcdef"
	cat := catalogueMap()
	n := 0
	set := func(k []byte, v any) error {
		n++
		b, err := encode(k, v)
		if err != nil {
			return err
		}
		return wb.Set(k, b)
	}
	job := model.Job{ID: jobID, Source: benchSource, Target: benchTarget, Domain: benchDomain, Admin: benchAdmin,
		Proof: "dns-txt", Force: true, Services: cat, Total: benchUsers, State: model.JobRunning, StartedAt: time.Now().UTC()}
	for i := range benchUsers {
		a, err := model.ParseAddress(benchEmail(i))
		if err != nil {
			return n, err
		}
		grants := crashGrants(i)
		kept, _ := model.MoveGrants(grants, cat)
		nu := model.User{ID: newUserID(jobID, benchOldID(i)), Email: a.String(), Directory: benchTarget, Kind: model.Member,
			CreationMethod: model.EmailVerified, Grants: kept, CreatedAt: benchCreated(), FormerID: benchOldID(i)}
		for _, g := range grants {
			svc, known := cat[g]
			m := model.Mapping{Email: a.String(), Service: g, OldUser: benchOldID(i), NewUser: nu.ID, OldDir: benchSource,
				NewDir: benchTarget, Status: model.MappingFor(svc, known), Job: jobID}
			if err := set(append(mappingPrefix(benchTarget, a.Key()), g...), m); err != nil {
				return n, err
			}
		}
		if err := set(userKey(benchTarget, a.Key()), nu); err != nil {
			return n, err
		}
		n++
		if err := wb.Delete(userKey(benchSource, a.Key())); err != nil {
			return n, err
		}
		if (i+1)%defaultBatchSize == 0 || i == benchUsers-1 {
			job.Cursor, job.Moved = a.Key(), i+1
			if err := set(jobKey(jobID), job); err != nil {
				return n, err
			}
			tail := []byte(strconv.Itoa(i))
			entry := model.AuditEntry{Time: time.Now().UTC(), Actor: benchAdmin, Action: "takeover.batch", Target: jobID,
				After: map[string]any{"moved": defaultBatchSize, "first": benchEmail(i + 1 - defaultBatchSize), "last": benchEmail(i)}}
			if err := set(timeKey(pAudit, entry.Time.UnixNano(), tail), entry); err != nil {
				return n, err
			}
			for _, k := range [][]byte{userCountKey(benchSource), userCountKey(benchTarget),
				grantCountKey(benchSource, "rms"), grantCountKey(benchTarget, "rms"),
				grantCountKey(benchSource, "sharepoint"), grantCountKey(benchTarget, "sharepoint"), grantCountKey(benchSource, "powerbi")} {
				n++
				if err := wb.Set(k, []byte("01234567")); err != nil {
					return n, err
				}
			}
			if err := wb.EndBatch(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
