package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"selfserve/store/engine"
)

func testReadYourWrites(t *testing.T, e engine.Engine) {
	setAll(t, e, "a", "b", "c", "p/1", "p/2", "p/3")
	update(t, e, func(txn engine.Txn) error {
		err := errors.Join(txn.Set([]byte("a"), []byte("new a")), txn.Delete([]byte("b")), txn.Set([]byte("n"), []byte("vn")),
			txn.Set([]byte("p/0"), []byte("vp/0")), txn.Delete([]byte("p/2")))
		if err != nil {
			return err
		}
		wantValue(t, txn, "a", "new a")
		wantMissing(t, txn, "b")
		wantValue(t, txn, "n", "vn")
		got, err := txn.GetMany(keys("a", "b", "c", "n"))
		if err != nil {
			return err
		}
		if want := []string{"new a", "", "vc", "vn"}; !slices.Equal(strs(got), want) || got[1] != nil {
			t.Errorf("GetMany after writes = %q, want %q", got, want)
		}
		wantScan(t, txn, engine.Range{Start: []byte("p/"), End: []byte("p0"), Limit: 10}, "p/0", "p/1", "p/3")
		wantScan(t, txn, engine.Range{Start: []byte("p/"), End: []byte("p0"), Reverse: true, Limit: 10}, "p/3", "p/1", "p/0")
		wantScan(t, txn, engine.Range{Limit: 100}, "a", "c", "n", "p/0", "p/1", "p/3")
		// Writes after a scan, and a key written again after its delete.
		err = errors.Join(txn.Set([]byte("p/2"), []byte("again")), txn.Delete([]byte("a")))
		if err != nil {
			return err
		}
		wantScan(t, txn, engine.Range{Start: []byte("p/"), End: []byte("p0"), Limit: 10}, "p/0", "p/1", "p/2", "p/3")
		wantMissing(t, txn, "a")
		if err := txn.Set([]byte("a"), []byte("a again")); err != nil {
			return err
		}
		wantValue(t, txn, "a", "a again")
		return nil
	})
	view(t, e, func(txn engine.Txn) error {
		wantScan(t, txn, engine.Range{Limit: 100}, "a", "c", "n", "p/0", "p/1", "p/2", "p/3")
		wantValue(t, txn, "a", "a again")
		wantValue(t, txn, "p/2", "again")
		return nil
	})
}

func testRollback(t *testing.T, e engine.Engine) {
	setAll(t, e, "a")
	refusal := fmt.Errorf("wrapped: %w", errRefused)
	err := e.Update(func(txn engine.Txn) error {
		if err := errors.Join(txn.Set([]byte("x"), []byte("1")), txn.Delete([]byte("a"))); err != nil {
			return err
		}
		if _, err := txn.Get([]byte("x")); err != nil {
			return err
		}
		return refusal
	})
	if err != refusal {
		t.Fatalf("Update whose fn refuses = %v, want its error unchanged", err)
	}
	if err := e.View(func(engine.Txn) error { return refusal }); err != refusal {
		t.Errorf("View whose fn refuses = %v, want its error unchanged", err)
	}
	view(t, e, func(txn engine.Txn) error {
		wantMissing(t, txn, "x")
		wantValue(t, txn, "a", "va")
		return nil
	})
}

func testViewSnapshot(t *testing.T, e engine.Engine) {
	setAll(t, e, "a")
	var once sync.Once
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "va")
		once.Do(func() {
			update(t, e, func(txn engine.Txn) error {
				return errors.Join(txn.Set([]byte("a"), []byte("later")), txn.Set([]byte("b"), []byte("later")))
			})
		})
		wantValue(t, txn, "a", "va")
		wantMissing(t, txn, "b")
		wantScan(t, txn, engine.Range{Limit: 10}, "a")
		return nil
	})
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "later")
		return nil
	})
}

// testLostUpdate has another transaction commit a write of what an
// Update read, between its read and its write: the Update must run again
// and build on the other's value.
func testLostUpdate(t *testing.T, e engine.Engine) {
	update(t, e, func(txn engine.Txn) error { return txn.Set([]byte("n"), []byte("0")) })
	before := retries(e)
	var runs int
	var once sync.Once
	update(t, e, func(txn engine.Txn) error {
		runs++
		n, err := counter(txn, "n")
		if err != nil {
			return err
		}
		once.Do(func() {
			update(t, e, func(txn engine.Txn) error { return txn.Set([]byte("n"), []byte("100")) })
		})
		return txn.Set([]byte("n"), []byte(strconv.Itoa(n+1)))
	})
	if runs != 2 {
		t.Errorf("the Update ran %d times, want 2", runs)
	}
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "n", "101")
		return nil
	})
	if s, ok := e.(engine.Statser); ok && s.Stats().Retries <= before {
		t.Errorf("Stats().Retries stayed at %d after a conflict", before)
	}
}

// testCounter: every increment of 8 clients racing on one key counts.
func testCounter(t *testing.T, e engine.Engine) {
	increments(t, []engine.Engine{e}, 8, 50)
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "n", "400")
		return nil
	})
}

// testCreateOnce: of 8 clients that create a key when it is missing,
// exactly one does.
func testCreateOnce(t *testing.T, e engine.Engine) {
	for round := range 3 {
		key := []byte(fmt.Sprintf("k%d", round))
		start := make(chan struct{})
		var wg sync.WaitGroup
		var creators atomic.Int32
		var creator atomic.Value
		for c := range 8 {
			wg.Go(func() {
				<-start
				var created bool
				err := e.Update(func(txn engine.Txn) error {
					created = false // fn may run again
					_, err := txn.Get(key)
					if !errors.Is(err, engine.ErrNotFound) {
						return err
					}
					created = true
					return txn.Set(key, []byte(strconv.Itoa(c)))
				})
				if err != nil {
					t.Errorf("client %d: %v", c, err)
				} else if created {
					creators.Add(1)
					creator.Store(strconv.Itoa(c))
				}
			})
		}
		close(start)
		wg.Wait()
		if n := creators.Load(); n != 1 {
			t.Fatalf("round %d: %d clients created %s, want 1", round, n, key)
		}
		view(t, e, func(txn engine.Txn) error {
			wantValue(t, txn, string(key), creator.Load().(string))
			return nil
		})
	}
}
