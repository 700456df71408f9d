package badger

import (
	"testing"

	"selfserve/store/engine"
	"selfserve/store/engine/enginetest"
)

// TestEngine runs the engine contract on a directory and in memory
// (RunShared, two processes on one database, is PostgreSQL's alone: a
// directory is one process's).
func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := Open(t.TempDir(), Options{Create: true, Small: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	})
}

func TestEngineInMemory(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine {
		e, err := Open("", Options{InMemory: true, Small: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	})
}
