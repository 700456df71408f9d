package ops_test

import (
	"os"
	"testing"

	"selfserve/store/engine/postgres/pgtest"
)

// TestMain stops the PostgreSQL cluster the tests of several servers on
// one database start (pgtest.URL), and removes its directory.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Cleanup()
	os.Exit(code)
}
