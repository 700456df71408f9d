package enginetest

import (
	"testing"

	"selfserve/store/engine"
)

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
