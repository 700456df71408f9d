package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/engine"
	"selfserve/store/engine/badger"
	"selfserve/store/storetest"
)

// Issue 10 point 4: selfserve backup / restore, a consistent snapshot
// taken while the same process goes on writing, restored only into an
// empty directory, and checked after the round trip.

// contents is a digest of every live key and value of a database.
func contents(t testing.TB, s *Store) (keys int, digest string) {
	t.Helper()
	h := sha256.New()
	err := s.view(func(txn engine.Txn) error {
		return eachRecord(txn, func(k, v []byte) error {
			fmt.Fprintf(h, "%q=%q\n", k, v)
			keys++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, fmt.Sprintf("%x", h.Sum(nil))
}

func backupTo(t testing.TB, s *Store, path string) BackupInfo {
	t.Helper()
	info, err := s.BackupFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// checkSound runs the full check and fails on any problem.
func checkSound(t testing.TB, dir string) CheckReport {
	t.Helper()
	rep, err := Check(dbFor(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Damaged() {
		t.Fatalf("check of %s found damage:\n%s", dir, strings.Join(rep.Problems, "\n"))
	}
	return rep
}

// TestBackupRestoreRoundTrip: a 20,000-user database with a takeover's
// challenge comes back key for key, passes check, takes new sign-ups, and
// the file is 0600.
func TestBackupRestoreRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	buildCrashDB(t, src)
	s := openTest(t, src, Options{})
	file := filepath.Join(t.TempDir(), "selfserve.backup")
	start := time.Now()
	info := backupTo(t, s, file)
	t.Logf("backup of %d users: %d bytes in %v", crashUsers, info.Bytes, time.Since(start).Round(time.Millisecond))
	keys, want := contents(t, s)
	s.Close()

	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != info.Bytes {
		t.Errorf("backup file is %v and %d bytes, want -rw------- and %d", st.Mode().Perm(), st.Size(), info.Bytes)
	}
	if _, err := os.Stat(file + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary file is left behind (%v)", err)
	}

	dst := filepath.Join(t.TempDir(), "restored")
	start = time.Now()
	if err := Restore(dbFor(t, dst), file, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("restore: %v", time.Since(start).Round(time.Millisecond))
	rep := checkSound(t, dst)
	if rep.Users != crashUsers+1 {
		t.Errorf("restored database holds %d users, want %d", rep.Users, crashUsers+1)
	}
	r := openTest(t, dst, Options{})
	if gotKeys, got := contents(t, r); gotKeys != keys || got != want {
		t.Fatalf("restored database differs: %d keys (digest %s), want %d (%s)", gotKeys, got, keys, want)
	}
	// The restored copy takes new writes above the versions it loaded,
	// and reads them back.
	mustSignup(t, r, "new@fabrikam.example", "rms")
	if _, _, err := r.User("fabrikam.example", addr(t, "new@fabrikam.example")); err != nil {
		t.Fatal(err)
	}
}

// TestBackupWhileSigningUp takes a backup while goroutines of the same
// process sign people up. Each goroutine signs up its own numbered
// sequence, so the restored copy must hold, per goroutine, a prefix of
// it: at least every sign-up acknowledged before the backup began, at
// most those started before it ended, and no gap.
func TestBackupWhileSigningUp(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, src, checkUsers)
	s := openTest(t, src, Options{Small: true})
	const writers = 4
	email := func(g, i int) string { return fmt.Sprintf("w%d-%06d@writer%d.example", g, i, g) }
	var acked, started [writers]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				started[g].Store(int64(i + 1))
				if _, err := signup(t, s, email(g, i), "rms"); err != nil {
					errs <- err
					return
				}
				acked[g].Store(int64(i + 1))
			}
		})
	}
	// Let every writer get going, so the backup meets them mid-stride.
	deadline := time.Now().Add(time.Minute)
	for g := 0; g < writers; {
		if acked[g].Load() >= 20 {
			g++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer %d did not get going", g)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var before, after [writers]int64
	for g := range writers {
		before[g] = acked[g].Load()
	}
	file := filepath.Join(t.TempDir(), "live.backup")
	backupTo(t, s, file)
	for g := range writers {
		after[g] = started[g].Load()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s.Close()

	dst := filepath.Join(t.TempDir(), "restored")
	if err := Restore(dbFor(t, dst), file, Options{}); err != nil {
		t.Fatal(err)
	}
	checkSound(t, dst)
	r := openTest(t, dst, Options{})
	for g := range writers {
		users, err := r.Users(fmt.Sprintf("writer%d.example", g), "", 0)
		if errors.Is(err, model.ErrNotFound) {
			users = nil
		} else if err != nil {
			t.Fatal(err)
		}
		n := int64(len(users))
		if n < before[g] || n > after[g] {
			t.Errorf("writer %d: backup holds %d sign-ups, want between %d (acknowledged before) and %d (started before the end)", g, n, before[g], after[g])
		}
		for i, u := range users {
			if u.Email != email(g, i) {
				t.Fatalf("writer %d: sign-up %d in the backup is %s, want %s (not a prefix)", g, i, u.Email, email(g, i))
			}
		}
	}
}

// TestRestoreOnlyIntoEmpty: a database with data, or a directory of other
// files, is refused and left as it was.
func TestRestoreOnlyIntoEmpty(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	s := openTest(t, src, Options{})
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	file := filepath.Join(t.TempDir(), "b")
	backupTo(t, s, file)
	s.Close()

	if testEngine == "badger" {
		before := storetest.Files(t, src)
		defer storetest.Unchanged(t, src, before)
	}
	err := Restore(dbFor(t, src), file, Options{})
	if !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), Describe(dbFor(t, src))) {
		t.Fatalf("restore over a database: %v, want ErrConflict naming it", err)
	}
	if after, err := Check(dbFor(t, src), Options{}); err != nil || after.Users != 1 {
		t.Fatalf("the database refused as a target: %+v, %v; want its one user", after, err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(other, file, Options{}); !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("restore into a directory of other files: %v, want ErrInvalid", err)
	}

	empty := t.TempDir()
	if err := Restore(dbFor(t, empty), file, Options{}); err != nil {
		t.Fatalf("restore into an empty directory: %v", err)
	}
	r := openTest(t, empty, Options{})
	if _, _, err := r.User("bellowscollege.com", addr(t, "dan@bellowscollege.com")); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusesDamagedBackup: a file cut short, altered, or not a
// backup at all restores nothing, and the directory stays without a
// database.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, src, checkUsers)
	s := openTest(t, src, Options{})
	good := filepath.Join(t.TempDir(), "good")
	info := backupTo(t, s, good)
	s.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0xff
	cases := map[string][]byte{
		"cut in half":      data[:info.Bytes/2],
		"cut at the end":   data[:len(data)-trailerLen],
		"one byte changed": flipped,
		"not a backup":     []byte("hello\n"),
		"empty":            nil,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "b")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "restored")
			if err := Restore(dbFor(t, dst), file, Options{}); !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("restore: %v, want ErrInvalid", err)
			}
			if _, err := Open(dbFor(t, dst), Options{}); !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("after a refused restore, opening gives %v, want no database", err)
			}
		})
	}
}

// TestBackupRefusesDamagedDatabase: a table that fails its checksums
// makes no backup file, rather than a backup quietly missing its keys
// (Badger's stream takes a block that fails as the end of its table). The
// table damaged is one the open did not read, so the open succeeds and
// the backup is what must notice.
func TestBackupRefusesDamagedDatabase(t *testing.T) {
	badgerOnly(t)
	dir := filepath.Join(t.TempDir(), "db")
	// Enough users for compactions to cut tables narrower than the whole
	// key space, so some table holds none of the keys an open reads.
	buildCheckDB(t, dir, 30_000)
	s := openTest(t, dir, Options{ReadOnly: true})
	var victim string
	if u := s.eng.(*badger.Engine).Unverified(); len(u) > 0 {
		victim = u[len(u)-1]
	}
	if victim == "" {
		t.Fatal("the open read every table; no table left to damage behind its back")
	}
	overwriteMiddle(t, victim)
	file := filepath.Join(t.TempDir(), "b")
	_, err := s.BackupFile(file)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), filepath.Base(victim)) {
		t.Fatalf("backup of a damaged database: %v, want ErrDamaged naming %s", err, filepath.Base(victim))
	}
	for _, p := range []string{file, file + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after the refusal (%v)", p, err)
		}
	}
}

// TestBackupAndRestoreOnFullDisk: a backup that does not fit says disk
// full and leaves the previous backup as it was; a restore that would not
// fit is refused before it writes.
func TestBackupAndRestoreOnFullDisk(t *testing.T) {
	badgerOnly(t)
	src := filepath.Join(t.TempDir(), "db")
	buildCheckDB(t, src, checkUsers)
	s := openTest(t, src, Options{ReadOnly: true})
	small := storetest.Mount(t, 2<<20)
	file := filepath.Join(small, "b")
	if err := os.WriteFile(file, []byte("the previous backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BackupFile(file); !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), file) {
		t.Fatalf("backup to a full disk: %v, want ErrDiskFull naming %s", err, file)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "the previous backup" {
		t.Errorf("the previous backup was changed: %q, %v", b, err)
	}
	if _, err := os.Stat(file + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial backup is left behind (%v)", err)
	}

	good := filepath.Join(t.TempDir(), "b")
	backupTo(t, s, good)
	dst := filepath.Join(small, "restored")
	if err := Restore(dbFor(t, dst), good, Options{}); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("restore onto a disk too small: %v, want ErrDiskFull", err)
	}
}
