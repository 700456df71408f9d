package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"selfserve/demo"
	"selfserve/store/storetest"
)

// damageDemo builds a demo database of 50,000 users (a few tables) for
// the damage tests to break.
func damageDemo(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "db")
	runOK(t, db, "demo", "--users", "50000")
	return db
}

func sstFiles(t *testing.T, db string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(db, "*.sst"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no tables in %s (%v)", db, err)
	}
	return names
}

// Issue 10 point 1: `truncate -s 16 MANIFEST; selfserve directory list`
// printed "0 directories", exited 0 and deleted all but one table. Now
// every command refuses, saying what is damaged and what to do, and no
// file changes.
func TestDamagedManifestRefusedWithAdvice(t *testing.T) {
	t.Parallel()
	db := damageDemo(t)
	if err := os.Truncate(filepath.Join(db, "MANIFEST"), 16); err != nil {
		t.Fatal(err)
	}
	before := storetest.Files(t, db)
	for _, args := range [][]string{{"directory", "list"}, {"signup", "start", "eve@bellowscollege.com", "--service", "rms"}} {
		r := wantFail(t, db, 1, []string{"database damaged", filepath.Join(db, "MANIFEST"), "restore a backup into a new directory (selfserve restore BACKUP --db NEWDIR)"}, args...)
		if r.stdout != "" {
			t.Errorf("a refused command printed:\n%s", r)
		}
	}
	if after := storetest.Files(t, db); after != before {
		t.Fatalf("files changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Issue 10 point 6: a table cut to 5000 bytes panicked with "slice bounds
// out of range"; now it is exit 1 naming the file.
func TestTruncatedTableNamed(t *testing.T) {
	t.Parallel()
	db := damageDemo(t)
	victim := sstFiles(t, db)[0]
	if err := os.Truncate(victim, 5000); err != nil {
		t.Fatal(err)
	}
	wantFail(t, db, 1, []string{"database damaged", victim, "restore a backup"}, "directory", "list")
}

// Issue 10 point 2: 64 overwritten bytes in the middle of the tables made
// `user list` print 185,984 of 187,637 users and exit 0. Now it fails
// naming a table and prints no list.
func TestOverwrittenTablesFailUserList(t *testing.T) {
	t.Parallel()
	db := damageDemo(t)
	for _, name := range sstFiles(t, db) {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt([]byte(strings.Repeat("\x5a", 64)), info.Size()/2)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	r := wantFail(t, db, 1, []string{"database damaged", ".sst", "restore a backup"}, "user", "list", demo.BigDomain, "--limit", "200000")
	if r.stdout != "" {
		t.Errorf("a failed list printed %d bytes:\n%.300s", len(r.stdout), r.stdout)
	}
}

// Issue 10 point 1: commands that only read change no file.
func TestReadCommandsChangeNoFile(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	before := storetest.Files(t, db)
	for _, args := range [][]string{
		{"directory", "list"}, {"directory", "show", "bellowscollege.com"},
		{"user", "list", "bellowscollege.com"}, {"user", "show", "bellowscollege.com", "dan@bellowscollege.com"},
		{"domain", "list"}, {"audit"}, {"outbox"}, {"service", "list"}, {"consumer", "list"},
		{"settings", "bellowscollege.com"}, {"config"},
	} {
		runOK(t, db, args...)
		if after := storetest.Files(t, db); after != before {
			t.Fatalf("selfserve %s changed files:\nbefore:\n%s\nafter:\n%s", strings.Join(args, " "), before, after)
		}
	}
}

// Issue 10 point 7: the demo's default directory is the user's own: one
// another user planted (or one open to others) is refused, naming it,
// instead of being used with whatever host key it holds. Not parallel:
// it sets the environment.
func TestDemoDefaultDirectoryMustBeYours(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("TMPDIR", t.TempDir())
	dir := filepath.Join(cache, "selfserve-demo")
	args := []string{"demo", "--directories", "1", "--big-users", "1"}
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := runNoDB(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), dir) || !strings.Contains(errb.String(), "open to others") {
		t.Fatalf("demo in a directory open to others: exit %d\n%s", code, errb.String())
	}
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := runNoDB(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), dir) || !strings.Contains(errb.String(), "another user") {
		t.Fatalf("demo in another user's directory: exit %d\n%s", code, errb.String())
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := runNoDB(args, &out, &errb); code != 0 || !strings.Contains(out.String(), dir) {
		t.Fatalf("demo with no directory yet: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("the demo made %s with %v (%v), want 0700", dir, info.Mode(), err)
	}
}
