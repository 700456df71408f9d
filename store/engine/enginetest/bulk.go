package enginetest

import (
	"fmt"
	"strconv"
	"testing"

	"selfserve/store/engine"
)

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
		if count != n {
			t.Errorf("%d records after loading %d", count, n)
		}
		wantValue(t, txn, "l/00007", "last")
		wantValue(t, txn, "l/00009", "9")
		wantValue(t, txn, "l/02499", "2499")
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
