package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"selfserve/store/storetest"
)

// Issue 10 point 7: the database directory is 0700 and every file in it
// 0600 whatever the umask, including the tables Badger writes after
// opening (here at close, and by compaction), and a database whose files
// were left readable by others is made private when opened for writing.
// Not parallel: the umask is the process's.
func TestDatabaseIsPrivateWhateverTheUmask(t *testing.T) {
	badgerOnly(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "db")
	for round := range 3 {
		syscall.Umask(0)
		s, err := Open(dir, Options{Create: true, Small: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			mustSignup(t, s, fmt.Sprintf("u%d-%d@bellowscollege.com", round, i), "rms")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wantPrivate(t, dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, n := range names {
		if err := os.Chmod(n, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	wantPrivate(t, dir)
}

func wantPrivate(t *testing.T, dir string) {
	t.Helper()
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("%s has mode %v, want 0700", dir, perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ssts := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(e.Name()) == ".sst" {
			ssts++
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), perm)
		}
	}
	if ssts == 0 {
		t.Fatalf("no table was written, so nothing shows their mode:\n%s", storetest.Files(t, dir))
	}
}
