package store

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"selfserve/store/engine/postgres/pgtest"
)

// Every store test runs on both engines (issue 13 point 2): TestMain runs
// the package's tests once on Badger, then once more on a PostgreSQL that
// pgtest starts (testing.M.Run may be called more than once). A test
// process told an engine in engineEnv runs that one only: the children
// the crash and torture tests start, and a developer who wants one.
const engineEnv = "SELFSERVE_TEST_ENGINE"

// testEngine is the engine of the pass running now.
var testEngine = "badger"

// Benchmarks measure one engine each (the raw baselines are Badger's):
// with -test.bench, the pass is the one engineEnv names, Badger by
// default.
func TestMain(m *testing.M) {
	flag.Parse()
	only := os.Getenv(engineEnv)
	if f := flag.Lookup("test.bench"); only == "" && f != nil && f.Value.String() != "" {
		only = "badger"
	}
	code := 0
	for _, e := range []string{"badger", "postgres"} {
		if only != "" && only != e {
			continue
		}
		if e == "postgres" {
			if _, err := pgtest.Bin("postgres"); err != nil {
				fmt.Printf("store tests on PostgreSQL: %v\n", err)
				if os.Getenv("CI") != "" {
					code = 1 // .ci/run installs it
				}
				continue
			}
		}
		testEngine = e
		os.Setenv(engineEnv, e)
		if only == "" {
			fmt.Printf("=== store tests on %s\n", e)
		}
		if c := m.Run(); c != 0 {
			code = c
		}
	}
	pgtest.Cleanup()
	removeTemplate()
	os.Exit(code)
}

// badgerOnly skips a test of Badger's own files (damage, locks, modes,
// disk space) on the PostgreSQL pass, where the server owns the files.
func badgerOnly(t testing.TB) {
	t.Helper()
	if testEngine != "badger" {
		t.Skip("about Badger's files")
	}
}

var (
	dbsMu sync.Mutex
	dbs   = map[string]string{}
)

// dbFor is where a test's database named by dir lives: dir itself on
// Badger; on PostgreSQL a fresh database, the same one each time the test
// names dir again (to reopen it, back it up, restore into it). A URL is
// passed on as it is (a child process given its parent's database).
func dbFor(t testing.TB, dir string) string {
	t.Helper()
	if testEngine == "badger" || IsURL(dir) || dir == "" {
		return dir
	}
	dbsMu.Lock()
	defer dbsMu.Unlock()
	if db, ok := dbs[dir]; ok {
		return db
	}
	db := pgtest.URL(t)
	dbs[dir] = db
	return db
}
