package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// restoreResult is `restore --json`.
type restoreResult struct {
	DB          string `json:"db"`
	Directories int    `json:"directories"`
	Users       int64  `json:"users"`
}

func TestBackupAndRestoreCommands(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "db")
	loadUsers(t, db, 5_000)
	signup(t, db, "dan@bellowscollege.com", "rms")
	file := filepath.Join(t.TempDir(), "selfserve.backup")

	r := runOK(t, db, "backup", file)
	if !strings.Contains(r.stdout, file) {
		t.Errorf("backup does not say where it wrote:\n%s", r)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("backup file is %v, want -rw-------", info.Mode().Perm())
	}

	restored := filepath.Join(t.TempDir(), "restored")
	var res restoreResult
	runJSON(t, restored, &res, "restore", file)
	if res.Users != 5_001 || res.Directories != 5 {
		t.Fatalf("restore reports %+v, want 5001 users in 5 directories", res)
	}
	runOK(t, restored, "check")
	want := users(t, db, "bellowscollege.com")
	if got := users(t, restored, "bellowscollege.com"); !slices.Equal(emails(got), emails(want)) {
		t.Fatalf("restored users %v, want %v", emails(got), emails(want))
	}

	// Never over a database that holds data.
	wantFail(t, db, 1, []string{"already holds a database", db}, "restore", file)
	// A backup cut short restores nothing.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.backup")
	if err := os.WriteFile(cut, data[:len(data)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	wantFail(t, other, 1, []string{"not a whole selfserve backup", cut}, "restore", cut)
	wantFail(t, other, 1, []string{"no selfserve database"}, "directory", "list")
}

func emails(us []user) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Email
	}
	return out
}
