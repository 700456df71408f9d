package enginetest

import (
	"bytes"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"selfserve/store/engine"
)

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
