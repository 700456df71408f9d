package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/storetest"
)

// Issue 10 point 3: selfserve check verifies every table's checksums and
// the invariants, on real files damaged the way a disk damages them, and
// changes nothing while it looks.

const checkUsers = 12_000

// buildCheckDB fills a database with n users over ten directories,
// through the Loader, plus one real sign-up, and closes it. Small
// memtables and tables spread it over several tables.
func buildCheckDB(t testing.TB, dir string, n int) {
	t.Helper()
	s := openTest(t, dir, Options{Small: true})
	now := time.Now().UTC()
	l := s.NewLoader()
	for d := range 10 {
		domain := fmt.Sprintf("d%d.example", d)
		l.Directory(model.Directory{ID: fmt.Sprintf("dir%d", d), Name: domain, State: model.Unmanaged, Domains: []string{domain}, CreatedAt: now})
	}
	for i := range n {
		l.User(model.User{ID: fmt.Sprintf("u%06d", i), Email: fmt.Sprintf("user%06d@d%d.example", i, i%10), Directory: fmt.Sprintf("dir%d", i%10),
			Kind: model.Member, CreationMethod: model.EmailVerified, Grants: crashGrants(i), CreatedAt: now})
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// tableFiles lists the database's tables, largest first.
func tableFiles(t testing.TB, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no tables in %s (%v)", dir, err)
	}
	size := func(p string) int64 {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	slices.SortFunc(paths, func(a, b string) int { return int(size(b) - size(a)) })
	return paths
}

func TestCheckSoundDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, dir, checkUsers)
	if testEngine == "badger" {
		before := storetest.Files(t, dir)
		defer storetest.Unchanged(t, dir, before)
	}
	rep, err := Check(dbFor(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Damaged() {
		t.Fatalf("a sound database was reported damaged: %q", rep.Problems)
	}
	if rep.Users != checkUsers+1 || rep.Directories != 11 || (rep.Tables == 0) != (testEngine != "badger") {
		t.Errorf("report counts %d users in %d directories and %d tables, want %d users in 11 directories (and Badger's tables)", rep.Users, rep.Directories, rep.Tables, checkUsers+1)
	}
}

func TestCheckFindsOverwrittenTables(t *testing.T) {
	badgerOnly(t)
	dir := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, dir, checkUsers)
	tables := tableFiles(t, dir)
	if len(tables) < 2 {
		t.Fatalf("the database has %d tables; the test damages two", len(tables))
	}
	damaged := tables[:2]
	for _, p := range damaged {
		overwriteMiddle(t, p)
	}
	before := storetest.Files(t, dir)
	rep, err := Check(dbFor(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged() {
		t.Fatal("overwritten tables were not found")
	}
	all := strings.Join(rep.Problems, "\n")
	for _, p := range damaged {
		if !strings.Contains(all, filepath.Base(p)) {
			t.Errorf("the report does not name %s:\n%s", filepath.Base(p), all)
		}
	}
	storetest.Unchanged(t, dir, before)
}

func TestCheckFindsTruncatedTable(t *testing.T) {
	badgerOnly(t)
	dir := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, dir, checkUsers)
	p := tableFiles(t, dir)[0]
	if err := os.Truncate(p, 5000); err != nil {
		t.Fatal(err)
	}
	before := storetest.Files(t, dir)
	rep, err := Check(dbFor(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged() || !strings.Contains(strings.Join(rep.Problems, "\n"), filepath.Base(p)) {
		t.Fatalf("a table cut to 5000 bytes was not reported by name: %q", rep.Problems)
	}
	storetest.Unchanged(t, dir, before)
}

func TestCheckFindsBrokenInvariant(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, dir, checkUsers)
	s := openTest(t, dir, Options{})
	l := s.NewLoader()
	l.User(model.User{ID: "stray", Email: "stray@nowhere.example", Directory: "gone", Kind: model.Member, CreationMethod: model.EmailVerified})
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rep, err := Check(dbFor(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged() || !strings.Contains(strings.Join(rep.Problems, "\n"), "stray@nowhere.example") {
		t.Fatalf("a user of a missing directory was not reported: %q", rep.Problems)
	}
}

// overwriteMiddle writes 64 bytes of 0xA5 in the middle of a file, inside
// its data blocks (a table's index is at its end).
func overwriteMiddle(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xa5", 64))
	if _, err := f.WriteAt(junk, info.Size()/3); err != nil {
		t.Fatal(err)
	}
}
