package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"selfserve/store/engine/postgres/pgtest"
)

// TestMigrateBetweenEngines (issue 13 point 5): a directory's database
// moves to PostgreSQL and back whole, codes already sent still work on
// the copy, a target holding data is refused, and check passes on each.
func TestMigrateBetweenEngines(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "db")
	loadUsers(t, dir, 2_000)
	signup(t, dir, "dan@bellowscollege.com", "rms")
	runOK(t, dir, "signup", "start", "eve@bellowscollege.com", "--service", "rms")
	pending := code(t, dir, "eve@bellowscollege.com")

	url := pgtest.URL(t)
	r := runOK(t, dir, "migrate", "--from", dir, "--to", url)
	if !strings.Contains(r.stdout, "copied") {
		t.Fatalf("migrate says:\n%s", r)
	}
	wantSound(t, url, 2_001)
	signupVerify(t, url, "eve@bellowscollege.com", pending)
	wantSound(t, url, 2_002)

	wantFail(t, dir, 1, []string{"already holds a database"}, "migrate", "--from", dir, "--to", url)

	back := filepath.Join(t.TempDir(), "back")
	runOK(t, dir, "migrate", "--from", url, "--to", back)
	wantSound(t, back, 2_002)
	if a, b := runOK(t, url, "directory", "list").stdout, runOK(t, back, "directory", "list").stdout; a != b {
		t.Errorf("directory list differs after the round trip:\n%s\n%s", a, b)
	}
}

// TestBackupRestoreOnPostgreSQL: backup and restore work on a database
// server too, and a backup of one engine restores on the other.
func TestBackupRestoreOnPostgreSQL(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	loadUsers(t, url, 1_000)
	signup(t, url, "dan@bellowscollege.com", "rms")
	file := filepath.Join(t.TempDir(), "backup")
	runOK(t, url, "backup", file)

	other := pgtest.URL(t)
	runOK(t, other, "restore", file)
	wantSound(t, other, 1_001)
	wantFail(t, other, 1, []string{"already holds a database"}, "restore", file)

	dir := filepath.Join(t.TempDir(), "db")
	runOK(t, dir, "restore", file)
	wantSound(t, dir, 1_001)
}

// wantSound runs check on db and wants no damage and users users.
func wantSound(t *testing.T, db string, users int64) {
	t.Helper()
	var rep checkReport
	runJSON(t, db, &rep, "check")
	if len(rep.Problems) > 0 || rep.Users != users {
		t.Fatalf("check of %s: %d users (want %d), problems %q", rep.DB, rep.Users, users, rep.Problems)
	}
}
