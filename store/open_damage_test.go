package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/storetest"
)

// damageUsers fills the directory the damage tests break: enough users
// for several tables with the small options, few enough to build in a
// second.
const damageUsers = 20_000

// buildDamageDB writes an unmanaged contoso.co.uk of n users into dir and
// closes it, leaving only files (Small options: many small tables).
func buildDamageDB(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := Open(dir, Options{Create: true, Small: true})
	if err != nil {
		t.Fatal(err)
	}
	l := s.NewLoader()
	loadContosoUK(l, n, time.Now().UTC())
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// tables lists the .sst files in dir, in name order.
func tables(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// wantDamaged opens dir and wants ErrDamaged naming want, with every file
// as it was.
func wantDamaged(t *testing.T, dir, want string, opts Options) {
	t.Helper()
	before := storetest.Files(t, dir)
	s, err := Open(dir, opts)
	if err == nil {
		users, uerr := s.Users("contoso.co.uk", "", 0)
		s.Close()
		t.Fatalf("open of a damaged database succeeded (%d users, %v); files now:\n%s", len(users), uerr, storetest.Files(t, dir))
	}
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), want) {
		t.Fatalf("open = %v; want ErrDamaged naming %s", err, want)
	}
	if after := storetest.Files(t, dir); after != before {
		t.Fatalf("a refused open changed the files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Issue 10 point 1: a MANIFEST that is cut, overwritten or gone, or that
// has lost a table, is refused before Badger acts on it, and no file is
// touched; Badger would otherwise delete every table it does not list.
func TestDamagedManifestIsRefusedAndNothingTouched(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	template := t.TempDir()
	buildDamageDB(t, template, damageUsers)
	manifest := filepath.Join(template, "MANIFEST")
	info, err := os.Stat(manifest)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		harm  func(dir string) error
		names func(dir string) string
	}{
		{"cut to 16 bytes", func(dir string) error { return os.Truncate(filepath.Join(dir, "MANIFEST"), 16) }, manifestOf},
		{"cut mid-entry", func(dir string) error { return os.Truncate(filepath.Join(dir, "MANIFEST"), info.Size()-3) }, manifestOf},
		{"overwritten", func(dir string) error { return overwrite(filepath.Join(dir, "MANIFEST"), info.Size()/2, 16) }, manifestOf},
		{"removed", func(dir string) error { return os.Remove(filepath.Join(dir, "MANIFEST")) }, manifestOf},
		{"a table removed", func(dir string) error { return os.Remove(tables(t, dir)[0]) }, func(dir string) string {
			return filepath.Base(tables(t, template)[0])
		}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			dir := copyDir(t, template)
			if err := c.harm(dir); err != nil {
				t.Fatal(err)
			}
			wantDamaged(t, dir, c.names(dir), Options{})
			wantDamaged(t, dir, c.names(dir), Options{ReadOnly: true})
		})
	}
}

func manifestOf(dir string) string { return filepath.Join(dir, "MANIFEST") }

// A table the MANIFEST never recorded is what a compaction or flush
// killed before its MANIFEST entry leaves: its records are still in the
// tables it was made from. Badger's clean-up of it must go on working.
func TestUnlistedTableOfInterruptedCompactionIsSetAside(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := t.TempDir()
	buildDamageDB(t, dir, damageUsers)
	names := tables(t, dir)
	// Badger names its tables by number, six digits wide.
	last, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(names[len(names)-1]), ".sst"))
	orphan := filepath.Join(dir, fmt.Sprintf("%06d.sst", last+1))
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after an interrupted compaction: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unlisted table %s is still there (%v)", orphan, err)
	}
	if _, err := os.Stat(filepath.Join(dir, UnlistedDir, filepath.Base(orphan))); err != nil {
		t.Errorf("the unlisted table was not set aside: %v", err)
	}
	users, err := s.Users("contoso.co.uk", "", 0)
	if err != nil || len(users) != damageUsers {
		t.Fatalf("%d users (%v), want %d", len(users), err, damageUsers)
	}
}

// Issue 10 point 6: a table cut short is damage naming the file, not a
// panic inside Badger.
func TestTruncatedTableIsDamageNamingIt(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := t.TempDir()
	buildDamageDB(t, dir, damageUsers)
	victim := tables(t, dir)[0]
	if err := os.Truncate(victim, 5000); err != nil {
		t.Fatal(err)
	}
	wantDamaged(t, dir, victim, Options{})
	wantDamaged(t, dir, victim, Options{ReadOnly: true})
}

// Issue 10 point 2: 64 overwritten bytes in the middle of tables make
// every read that meets them fail naming a table, never a short list.
func TestOverwrittenBlocksFailReadsNamingTheTable(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := t.TempDir()
	buildDamageDB(t, dir, damageUsers)
	for _, name := range tables(t, dir) {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := overwrite(name, info.Size()/2, 64); err != nil {
			t.Fatal(err)
		}
	}
	for _, ro := range []bool{false, true} {
		s, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			// Refused at open is as good, as long as it names a table.
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), ".sst") {
				t.Fatalf("open (read-only %v) = %v; want ErrDamaged naming a table", ro, err)
			}
			continue
		}
		users, err := s.Users("contoso.co.uk", "", 0)
		s.Close()
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), ".sst") {
			t.Fatalf("user list (read-only %v) = %d users, %v; want ErrDamaged naming a table", ro, len(users), err)
		}
	}
}

// overwrite writes n bytes of 0xA5 at off.
func overwrite(path string, off int64, n int) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt([]byte(strings.Repeat("\xa5", n)), off)
	return err
}

// copyDir copies the files of a closed database into a new directory.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// A MANIFEST cut exactly at an entry boundary reads as a valid, shorter
// one, so the tables its lost entries listed look like a crash's
// leftovers. A review found a command that only reads deleting such a
// table (Badger removes every table its MANIFEST does not list) and
// exiting 0: whatever an open decides, no table may be gone.
func TestManifestCutAtEntryBoundaryDeletesNoTable(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := t.TempDir()
	buildDamageDB(t, dir, damageUsers)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A second flush, so the MANIFEST's last entry adds a table.
	if _, err := s.StartSignup(addr(t, "late@newcomer.example"), "rms", false, func(string) model.Message { return model.Message{} }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := map[string]int64{}
	for _, name := range tables(t, dir) {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		before[filepath.Base(name)] = info.Size()
	}
	manifest := filepath.Join(dir, "MANIFEST")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	// After the 8-byte header, each entry is a 4-byte length, a 4-byte
	// checksum and the change set: cut off the last whole entry.
	last := 8
	for at := 8; at+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[at:]))
		if at+8+n > len(b) {
			break
		}
		last, at = at, at+8+n
	}
	if err := os.Truncate(manifest, int64(last)); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{ReadOnly: true}, {}} {
		if s, err := Open(dir, opts); err == nil {
			s.Close()
		} else if !errors.Is(err, ErrDamaged) {
			t.Fatalf("open (read-only %v) of a MANIFEST cut at an entry: %v", opts.ReadOnly, err)
		}
	}
	for name, size := range before {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			info, err = os.Stat(filepath.Join(dir, UnlistedDir, name))
		}
		if err != nil || info.Size() != size {
			t.Errorf("table %s (%d bytes) is gone: %v", name, size, err)
		}
	}
}
