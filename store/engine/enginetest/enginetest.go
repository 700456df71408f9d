// Package enginetest is the contract of store/engine as tests, which each
// engine's package runs against itself: the store's rules are written
// once, so both engines must keep the same promises.
package enginetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"selfserve/store/engine"
)

// Run checks the contract on one engine at a time. open returns an engine
// on a new, empty database and closes it when t ends.
func Run(t *testing.T, open func(t *testing.T) engine.Engine) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e engine.Engine)
	}{
		{"GetSetDelete", testGetSetDelete},
		{"GetMany", testGetMany},
		{"Scan", testScan},
		{"ReadYourWrites", testReadYourWrites},
		{"Rollback", testRollback},
		{"ViewSnapshot", testViewSnapshot},
		{"LostUpdate", testLostUpdate},
		{"Counter", testCounter},
		{"CreateOnce", testCreateOnce},
		{"Notify", testNotify},
		{"ListenStop", testListenStop},
		{"Loader", testLoader},
		{"Reset", testReset},
		{"Stats", testStats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// RunShared checks what holds when several engines, as in several
// processes, use one database: engines that keep a database to one
// process (Badger) skip it. fresh makes a new, empty database and returns
// a function that opens one more engine on it, closed when t ends.
func RunShared(t *testing.T, fresh func(t *testing.T) (open func() engine.Engine)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b engine.Engine)
	}{
		{"SeesCommits", testSharedCommits},
		{"Listen", testSharedListen},
		{"Counter", testSharedCounter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			open := fresh(t)
			tc.fn(t, open(), open())
		})
	}
}

var errRefused = errors.New("refused by the test")

func testGetSetDelete(t *testing.T, e engine.Engine) {
	view(t, e, func(txn engine.Txn) error {
		if v, err := txn.Get([]byte("a")); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Get of a missing key = %q, %v; want ErrNotFound", v, err)
		}
		return nil
	})
	update(t, e, func(txn engine.Txn) error {
		return errors.Join(txn.Set([]byte("a"), []byte("1")), txn.Set([]byte("empty"), nil), txn.Set([]byte("gone"), []byte("x")))
	})
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "1")
		wantValue(t, txn, "empty", "")
		// The value is the caller's: changing it changes nothing stored.
		v, err := txn.Get([]byte("a"))
		if err != nil {
			return err
		}
		v[0] = 'X'
		wantValue(t, txn, "a", "1")
		return nil
	})
	update(t, e, func(txn engine.Txn) error {
		return errors.Join(txn.Set([]byte("a"), []byte("2")), txn.Delete([]byte("gone")), txn.Delete([]byte("never there")))
	})
	view(t, e, func(txn engine.Txn) error {
		wantValue(t, txn, "a", "2")
		wantMissing(t, txn, "gone")
		wantMissing(t, txn, "never there")
		return nil
	})
}

func testGetMany(t *testing.T, e engine.Engine) {
	setAll(t, e, "a", "b", "c")
	view(t, e, func(txn engine.Txn) error {
		got, err := txn.GetMany(keys("c", "x", "a", "a", "b"))
		if err != nil {
			return err
		}
		want := []string{"vc", "", "va", "va", "vb"}
		if len(got) != len(want) {
			t.Fatalf("GetMany gave %d values for 5 keys", len(got))
		}
		for i, w := range want {
			if (w == "") != (got[i] == nil) || string(got[i]) != w {
				t.Errorf("GetMany value %d = %q, want %q (nil for none)", i, got[i], w)
			}
		}
		got[2][0] = 'X' // each value is the caller's, even for a key asked twice
		if string(got[3]) != "va" {
			t.Errorf("changing one value of a key asked twice changed the other: %q", got[3])
		}
		none, err := txn.GetMany(nil)
		if err != nil || len(none) != 0 {
			t.Errorf("GetMany of no keys = %q, %v", none, err)
		}
		return nil
	})
}

// scanKeys sort in this order byte by byte, with 0x00 and 0xff in them to
// catch a comparison that stops at either.
var scanKeys = []string{"a", "a\x00", "a\x01", "a\xff", "a\xff\xff", "ab", "b", "b\x00", "\xff", "\xff\xff", "\xff\xff\x01"}

func testScan(t *testing.T, e engine.Engine) {
	setAll(t, e, scanKeys...)
	prefix := func(p string, reverse bool, limit int) engine.Range {
		return engine.Range{Start: []byte(p), End: engine.PrefixEnd([]byte(p)), Reverse: reverse, Limit: limit}
	}
	ranges := []engine.Range{
		{Limit: 100},
		{Reverse: true, Limit: 100},
		{Start: []byte("a\x01"), End: []byte("b"), Limit: 100},
		{Start: []byte("a\x01"), End: []byte("b"), Reverse: true, Limit: 100},
		{Start: []byte("a"), Limit: 2},
		{End: []byte("b"), Reverse: true, Limit: 2},
		{Start: []byte("a\x00"), End: []byte("a\x00"), Limit: 100},
		{Start: []byte("\xff\xff\xff"), Limit: 100},
		{Start: []byte("b"), Reverse: true, Limit: 3},
		prefix("a\xff", false, 100),
		prefix("a\xff", true, 100),
		prefix("\xff", false, 100),
		prefix("\xff", true, 2),
		prefix("a", false, 100),
	}
	view(t, e, func(txn engine.Txn) error {
		for _, r := range ranges {
			var got []string
			err := txn.Scan(r, func(k, v []byte) (bool, error) {
				if string(v) != "v"+string(k) {
					t.Errorf("Scan(%s): %q has value %q", show(r), k, v)
				}
				got = append(got, string(k))
				return true, nil
			})
			if err != nil {
				return err
			}
			if want := expect(scanKeys, r); !slices.Equal(got, want) {
				t.Errorf("Scan(%s) = %q, want %q", show(r), got, want)
			}
		}
		n := 0
		err := txn.Scan(engine.Range{Limit: 100}, func(k, v []byte) (bool, error) {
			n++
			return n < 3, nil
		})
		if err != nil || n != 3 {
			t.Errorf("Scan whose callback says stop at the third: %d calls, %v", n, err)
		}
		err = txn.Scan(engine.Range{Limit: 100}, func(k, v []byte) (bool, error) { return true, errRefused })
		if err != errRefused {
			t.Errorf("Scan whose callback fails = %v, want its error unchanged", err)
		}
		return nil
	})
}

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

func testNotify(t *testing.T, e engine.Engine) {
	notes, stop := listen(t, e)
	defer stop()
	big := string(bytes.Repeat([]byte("x"), 10000))
	notify := func(refuse bool, msgs ...string) {
		t.Helper()
		err := e.Update(func(txn engine.Txn) error {
			if err := txn.Set([]byte("k"), []byte("v")); err != nil {
				return err
			}
			for _, m := range msgs {
				txn.Notify(m)
			}
			if refuse {
				return errRefused
			}
			return nil
		})
		if err != nil && !(refuse && err == errRefused) {
			t.Fatal(err)
		}
	}
	notify(false, "one")
	notify(true, "rolled back")
	notify(false, "two", "three")
	notify(false, big)
	notify(false, "last")
	var got []string
	bigLost := false
	for len(got) == 0 || got[len(got)-1] != "last" {
		n := next(t, notes)
		switch {
		case n.Lost && len(got) == 3:
			bigLost = true // a message too big for the feed may arrive as a loss
		case n.Lost:
			// the feed may always report a loss
		default:
			got = append(got, n.Msg)
		}
	}
	want := []string{"one", "two", "three", big, "last"}
	if bigLost {
		want = []string{"one", "two", "three", "last"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("notes = %.40q, want %.40q", got, want)
	}
}

// testListenStop: after stop returns, fn is not called again.
func testListenStop(t *testing.T, e engine.Engine) {
	var stopped atomic.Bool
	stop, err := e.Listen(func(n engine.Note) {
		if stopped.Load() {
			t.Errorf("a note after stop returned: %+v", n)
		}
	})
	if errors.Is(err, engine.ErrNoFeed) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stop()
	stopped.Store(true)
	stop() // a second stop does nothing
	other, stopOther := listen(t, e)
	defer stopOther()
	update(t, e, func(txn engine.Txn) error {
		txn.Notify("after stop")
		return nil
	})
	for n := next(t, other); n.Msg != "after stop"; n = next(t, other) {
	}
}

func testLoader(t *testing.T, e engine.Engine) {
	update(t, e, func(txn engine.Txn) error { return txn.Set([]byte("l/00009"), []byte("before")) })
	l := e.NewLoader()
	const n = 2500
	for i := range n {
		if err := l.Set([]byte(fmt.Sprintf("l/%05d", i)), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i == 7 || i == 1500 {
			// Set twice in one batch or across batches: the last wins.
			if err := l.Set([]byte("l/00007"), []byte("last")); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(l.Set([]byte("l/99999"), []byte("after flush")), l.Flush()); err != nil {
		t.Fatal(err)
	}
	view(t, e, func(txn engine.Txn) error {
		count := 0
		start := []byte("l/")
		for {
			var last []byte
			err := txn.Scan(engine.Range{Start: start, End: engine.PrefixEnd([]byte("l/")), Limit: 1000}, func(k, v []byte) (bool, error) {
				count++
				last = append(last[:0], k...)
				return true, nil
			})
			if err != nil {
				return err
			}
			if last == nil {
				break
			}
			start = append(last, 0)
		}
		if count != n+1 {
			t.Errorf("%d records after loading %d and 1", count, n)
		}
		wantValue(t, txn, "l/00007", "last")
		wantValue(t, txn, "l/00009", "9")
		wantValue(t, txn, "l/02499", "2499")
		wantValue(t, txn, "l/99999", "after flush")
		return nil
	})
}

func testReset(t *testing.T, e engine.Engine) {
	setAll(t, e, scanKeys...)
	if err := e.Reset(); err != nil {
		t.Fatal(err)
	}
	view(t, e, func(txn engine.Txn) error {
		wantScan(t, txn, engine.Range{Limit: 100})
		return nil
	})
	setAll(t, e, "after")
	view(t, e, func(txn engine.Txn) error {
		wantScan(t, txn, engine.Range{Limit: 100}, "after")
		return nil
	})
}

func testStats(t *testing.T, e engine.Engine) {
	s, ok := e.(engine.Statser)
	if !ok {
		t.Skip("the engine has no Stats")
	}
	setAll(t, e, "a")
	st := s.Stats()
	if p := st.Pool; p != nil && (p.Max <= 0 || p.Total > p.Max || p.InUse > p.Total || p.Idle > p.Total || p.Waits < 0 || p.WaitSeconds < 0) {
		t.Errorf("pool stats make no sense: %+v", *p)
	}
}

func testSharedCommits(t *testing.T, a, b engine.Engine) {
	setAll(t, a, "from a")
	view(t, b, func(txn engine.Txn) error {
		wantValue(t, txn, "from a", "vfrom a")
		return nil
	})
	setAll(t, b, "from b")
	view(t, a, func(txn engine.Txn) error {
		wantScan(t, txn, engine.Range{Limit: 10}, "from a", "from b")
		return nil
	})
}

func testSharedListen(t *testing.T, a, b engine.Engine) {
	notes, stop := listen(t, b)
	defer stop()
	update(t, a, func(txn engine.Txn) error {
		txn.Notify("from a")
		return nil
	})
	for n := next(t, notes); n.Msg != "from a"; n = next(t, notes) {
		if !n.Lost {
			t.Fatalf("note %q, want %q", n.Msg, "from a")
		}
	}
}

func testSharedCounter(t *testing.T, a, b engine.Engine) {
	increments(t, []engine.Engine{a, b}, 4, 25)
	view(t, a, func(txn engine.Txn) error {
		wantValue(t, txn, "n", "200")
		return nil
	})
}

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
