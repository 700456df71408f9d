package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"selfserve/store/engine"
)

// errRefused stands for a rule of the store saying no.
var errRefused = errors.New("refused by the test")

// increments has clients clients on each engine add one to the counter n
// times each.
func increments(t *testing.T, engines []engine.Engine, clients, times int) {
	var wg sync.WaitGroup
	for _, e := range engines {
		for range clients {
			wg.Go(func() {
				for range times {
					err := e.Update(func(txn engine.Txn) error {
						n, err := counter(txn, "n")
						if err != nil {
							return err
						}
						return txn.Set([]byte("n"), []byte(strconv.Itoa(n+1)))
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

// counter reads a number, 0 when missing.
func counter(txn engine.Txn, k string) (int, error) {
	v, err := txn.Get([]byte(k))
	if errors.Is(err, engine.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

// listen starts a Listen that hands notes to the returned channel, or
// skips the test when the engine has no feed.
func listen(t *testing.T, e engine.Engine) (<-chan engine.Note, func()) {
	t.Helper()
	notes := make(chan engine.Note, 100)
	stop, err := e.Listen(func(n engine.Note) { notes <- n })
	if errors.Is(err, engine.ErrNoFeed) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return notes, stop
}

// next waits for a note, at most noteWait.
func next(t *testing.T, notes <-chan engine.Note) engine.Note {
	t.Helper()
	select {
	case n := <-notes:
		return n
	case <-time.After(noteWait):
		t.Fatalf("no note within %s", noteWait)
		return engine.Note{}
	}
}

// noteWait is generous: the machine running the tests may be busy.
const noteWait = 20 * time.Second

func update(t *testing.T, e engine.Engine, fn func(engine.Txn) error) {
	t.Helper()
	if err := e.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, e engine.Engine, fn func(engine.Txn) error) {
	t.Helper()
	if err := e.View(fn); err != nil {
		t.Fatal(err)
	}
}

// setAll sets each key k to "v"+k.
func setAll(t *testing.T, e engine.Engine, ks ...string) {
	t.Helper()
	update(t, e, func(txn engine.Txn) error {
		for _, k := range ks {
			if err := txn.Set([]byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	})
}

func wantValue(t *testing.T, txn engine.Txn, k, want string) {
	t.Helper()
	v, err := txn.Get([]byte(k))
	if err != nil || string(v) != want {
		t.Errorf("Get(%q) = %q, %v; want %q", k, v, err, want)
	}
}

func wantMissing(t *testing.T, txn engine.Txn, k string) {
	t.Helper()
	if v, err := txn.Get([]byte(k)); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Get(%q) = %q, %v; want ErrNotFound", k, v, err)
	}
}

func wantScan(t *testing.T, txn engine.Txn, r engine.Range, want ...string) {
	t.Helper()
	var got []string
	err := txn.Scan(r, func(k, v []byte) (bool, error) {
		got = append(got, string(k))
		return true, nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Scan(%s) = %q, %v; want %q", show(r), got, err, want)
	}
}

// expect is what a scan of r over keys gives.
func expect(keys []string, r engine.Range) []string {
	var in []string
	for _, k := range slices.Sorted(slices.Values(keys)) {
		if k >= string(r.Start) && (r.End == nil || k < string(r.End)) {
			in = append(in, k)
		}
	}
	if r.Reverse {
		slices.Reverse(in)
	}
	return in[:min(len(in), r.Limit)]
}

func show(r engine.Range) string {
	return fmt.Sprintf("%q..%q reverse=%v limit=%d", r.Start, r.End, r.Reverse, r.Limit)
}

func keys(ks ...string) [][]byte {
	out := make([][]byte, len(ks))
	for i, k := range ks {
		out[i] = []byte(k)
	}
	return out
}

func strs(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func retries(e engine.Engine) uint64 {
	if s, ok := e.(engine.Statser); ok {
		return s.Stats().Retries
	}
	return 0
}
