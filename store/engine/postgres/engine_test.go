package postgres

import (
	"os"
	"testing"

	"selfserve/store/engine"
	"selfserve/store/engine/enginetest"
	"selfserve/store/engine/postgres/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	os.Exit(code)
}

func TestEngine(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) engine.Engine { return openTest(t, pgtest.URL(t)) })
}

func TestEngineShared(t *testing.T) {
	enginetest.RunShared(t, func(t *testing.T) func() engine.Engine {
		url := pgtest.URL(t)
		return func() engine.Engine { return openTest(t, url) }
	})
}

// openTest opens the database at url, making its table, until t ends.
func openTest(t testing.TB, url string) *Engine {
	t.Helper()
	e, err := Open(url, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
