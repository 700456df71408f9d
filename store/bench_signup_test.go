package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
	engbadger "selfserve/store/engine/badger"
)

// PRODUCT.md §6's sign-up figure: completed sign-ups (start + verify, each
// its own durable transaction) by 8 concurrent clients, against raw Badger
// transactions writing the same bytes with the same options.
//
// What is counted: one op is one completed sign-up, which is two
// acknowledged transactions (StartSignup's and VerifySignup's); the
// baseline's op is likewise two db.Update calls, the first writing what a
// start writes and the second what a verify writes (same number of keys,
// same key and value bytes, measured from a calibration run of the same
// mix). Both report ops/s, so the ratio compares sign-ups with pairs of raw
// transactions. Retries after a Badger conflict are part of a sign-up's
// cost and not counted as extra transactions.

const (
	signupClients = 8
	signupDirs    = 2000 // existing unmanaged directories
	signupPerDir  = 50   // existing users in each
	signupService = "sharepoint"
)

func signupDirDomain(d int) string { return fmt.Sprintf("co%05d.com", d) }

// openSignupStore opens a store in dir holding signupDirs directories of
// signupPerDir users each, all on rms, with both switches on.
func openSignupStore(dir string) (*Store, error) {
	s, err := Open(dir, Options{Create: true})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	l := s.NewLoader()
	on := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	for d := range signupDirs {
		id := fmt.Sprintf("dir%05d", d)
		l.Directory(model.Directory{ID: id, Name: signupDirDomain(d), State: model.Unmanaged, Domains: []string{signupDirDomain(d)}, Switches: on, CreatedAt: now})
		for u := range signupPerDir {
			l.User(model.User{ID: fmt.Sprintf("%s-%03d", id, u), Email: fmt.Sprintf("user%03d@%s", u, signupDirDomain(d)), Directory: id,
				Kind: model.Member, CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: now})
		}
	}
	if err := l.Flush(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// signupMix is sign-up n of the mix, a third each: a new domain (a new
// directory), a new user of an existing directory, and an existing user
// signing up for another service. Each address is used once while n stays
// under 3 × signupDirs × signupPerDir (past that, existing users repeat
// and signupOnce fails), so the per-address code limits never bite; directories are spread so that
// concurrent clients rarely touch the same counters.
func signupMix(n int) (email, service string) {
	k := n / 3
	switch n % 3 {
	case 0:
		return fmt.Sprintf("founder@new%08d.com", k), "rms"
	case 1:
		return fmt.Sprintf("joiner%08d@%s", k, signupDirDomain((k*7919)%signupDirs)), "rms"
	default:
		u := k % (signupDirs * signupPerDir)
		return fmt.Sprintf("user%03d@%s", u/signupDirs, signupDirDomain(u%signupDirs)), signupService
	}
}

// signupOnce runs one sign-up of the mix: start, then verify with the code
// the mailer would have sent.
func signupOnce(s *Store, n int) error {
	email, svc := signupMix(n)
	return signupAddress(s, email, svc)
}

func signupAddress(s *Store, email, svc string) error {
	a, err := model.ParseAddress(email)
	if err != nil {
		return err
	}
	var code string
	if _, err := s.StartSignup(a, svc, false, func(c string) model.Message { code = c; return model.Message{} }); err != nil {
		return fmt.Errorf("start %s: %w", email, err)
	}
	res, err := s.VerifySignup(a, code)
	if err != nil {
		return fmt.Errorf("verify %s: %w", email, err)
	}
	if res.AlreadyGranted {
		return fmt.Errorf("verify %s: nothing to do, the mix repeated itself", email)
	}
	return nil
}

// runClients runs ops 0..n-1 on clients goroutines and returns the
// first error.
func runClients(clients, n int, op func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// BenchmarkSignup is the durable sign-up rate of 8 clients.
func BenchmarkSignup(b *testing.B) {
	s, err := openSignupStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	b.ResetTimer()
	if err := runClients(signupClients, b.N, func(i int) error { return signupOnce(s, i) }); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "txn/s")
	if err := s.CheckInvariants(); err != nil {
		b.Fatal(err)
	}
}

// busyClients sign up at once into one existing directory (PRODUCT.md §6:
// every one succeeds; the rate is reported beside BenchmarkSignup's).
const busyClients = 64

// BenchmarkSignupOneDirectory64 is the durable rate of new users signing
// up into one existing directory (signupDirDomain(0), on the same
// pre-loaded database as BenchmarkSignup) from 64 concurrent clients.
// Any sign-up that fails fails the benchmark.
func BenchmarkSignupOneDirectory64(b *testing.B) {
	signupOneDirectory(b, b.TempDir())
}

// signupOneDirectory runs the one-directory figure on the database db
// names and reports, beside the rate, the transactions the engine ran
// again after a conflict.
func signupOneDirectory(b *testing.B, db string) {
	s, err := openSignupStore(db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	before := s.Stats().Retries
	b.ResetTimer()
	err = runClients(busyClients, b.N, func(i int) error {
		return signupAddress(s, fmt.Sprintf("busy%08d@%s", i, signupDirDomain(0)), "rms")
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(s.Stats().Retries-before)/float64(b.N), "retries/op")
	sum, err := s.Summary(signupDirDomain(0))
	if err != nil {
		b.Fatal(err)
	}
	if sum.Users != int64(signupPerDir+b.N) {
		b.Fatalf("%s counts %d users, want %d", signupDirDomain(0), sum.Users, signupPerDir+b.N)
	}
	if err := s.CheckInvariants(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWrongCodesOneDomain64 is how fast 64 concurrent guessers get
// wrong 12-digit codes refused at one domain: the attacker's best rate
// once the domain's budget is spent, the figure behind the README's
// arithmetic for long codes. Each refusal spends the domain's budget, a
// synced write of one record, so they take turns.
func BenchmarkWrongCodesOneDomain64(b *testing.B) {
	s, err := openSignupStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	wrong := strings.Repeat("0", model.LongCodeDigits)
	b.ResetTimer()
	err = runClients(busyClients, b.N, func(i int) error {
		a, err := model.ParseAddress(fmt.Sprintf("guess%08d@%s", i, signupDirDomain(0)))
		if err != nil {
			return err
		}
		if _, err := s.VerifySignup(a, wrong); !errors.Is(err, model.ErrCodeRejected) {
			return fmt.Errorf("guess %d: %v, want the code rejected", i, err)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "refusals/s")
}

// txnShape is what one kind of transaction writes, on average.
type txnShape struct{ keys, keyBytes, valueBytes int }

var (
	shapeOnce            sync.Once
	startShape, verShape txnShape
	shapeErr             error
)

// signupShapes measures, once per process, what a start and a verify of
// the mix write: it runs 600 sign-ups on a scratch store and reads every
// version they committed, grouped by commit timestamp (one per
// transaction). A transaction writing only the code record is a start.
func signupShapes(b *testing.B) (start, verify txnShape) {
	b.Helper()
	shapeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "selfserve-bench-shape-")
		if err != nil {
			shapeErr = err
			return
		}
		defer os.RemoveAll(dir)
		s, err := openSignupStore(dir)
		if err != nil {
			shapeErr = err
			return
		}
		defer s.Close()
		db := s.eng.(*engbadger.Engine).DB()
		since := db.MaxVersion()
		if shapeErr = runClients(signupClients, 600, func(i int) error { return signupOnce(s, i) }); shapeErr != nil {
			return
		}
		type txn struct {
			keys, keyBytes, valueBytes int
			onlyCode                   bool
		}
		txns := map[uint64]*txn{}
		shapeErr = db.View(func(t *badger.Txn) error {
			it := t.NewIterator(badger.IteratorOptions{AllVersions: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				item := it.Item()
				if item.Version() <= since {
					continue
				}
				x := txns[item.Version()]
				if x == nil {
					x = &txn{onlyCode: true}
					txns[item.Version()] = x
				}
				x.keys++
				x.keyBytes += len(item.Key())
				x.valueBytes += int(item.ValueSize())
				x.onlyCode = x.onlyCode && bytes.HasPrefix(item.Key(), []byte(pCode))
			}
			return nil
		})
		var starts, verifies int
		for _, x := range txns {
			sh := &verShape
			if x.onlyCode {
				sh = &startShape
				starts++
			} else {
				verifies++
			}
			sh.keys += x.keys
			sh.keyBytes += x.keyBytes
			sh.valueBytes += x.valueBytes
		}
		if starts != 600 || verifies != 600 {
			// A verify overwrites the start's code record; with
			// NumVersionsToKeep 1 the older version may be gone only after
			// a compaction, which 600 sign-ups do not cause.
			shapeErr = fmt.Errorf("calibration saw %d starts and %d verifies, want 600 each", starts, verifies)
			return
		}
		for _, sh := range []*txnShape{&startShape, &verShape} {
			sh.keys, sh.keyBytes, sh.valueBytes = (sh.keys+299)/600, sh.keyBytes/600, sh.valueBytes/600
		}
	})
	if shapeErr != nil {
		b.Fatal(shapeErr)
	}
	return startShape, verShape
}

// writeShape commits one transaction of shape sh with fresh random keys
// (so, like the sign-ups of distinct addresses, they never conflict).
func writeShape(db *badger.DB, sh txnShape) error {
	return db.Update(func(txn *badger.Txn) error {
		for i := range sh.keys {
			k := make([]byte, sh.keyBytes/sh.keys)
			rand.Read(k)
			v := make([]byte, sh.valueBytes/sh.keys)
			if i == 0 {
				// The remainders, so the bytes add up exactly.
				k = append(k, make([]byte, sh.keyBytes%sh.keys)...)
				v = append(v, make([]byte, sh.valueBytes%sh.keys)...)
			}
			if err := txn.Set(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkSignupBaselineRawBadger is the sign-up baseline: per op, two
// raw db.Update calls (SyncWrites on, store.Open's options, the same
// pre-loaded database) shaped like a start and a verify, 8 clients.
func BenchmarkSignupBaselineRawBadger(b *testing.B) {
	start, verify := signupShapes(b)
	s, err := openSignupStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	b.ResetTimer()
	err = runClients(signupClients, b.N, func(int) error {
		if err := writeShape(s.eng.(*engbadger.Engine).DB(), start); err != nil {
			return err
		}
		return writeShape(s.eng.(*engbadger.Engine).DB(), verify)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(2*float64(b.N)/b.Elapsed().Seconds(), "txn/s")
	b.ReportMetric(float64(start.keyBytes+start.valueBytes+verify.keyBytes+verify.valueBytes), "bytes/op")
	b.ReportMetric(float64(start.keys+verify.keys), "keys/op")
}
