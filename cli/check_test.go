package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store"
)

// checkReport is `check --json`.
type checkReport struct {
	DB          string   `json:"db"`
	Tables      int      `json:"tables"`
	Directories int      `json:"directories"`
	Users       int64    `json:"users"`
	Problems    []string `json:"problems"`
}

// loadUsers fills a new database at db with n users over four domains,
// through the store's bulk loader; small tables spread them over several.
func loadUsers(t *testing.T, db string, n int) {
	t.Helper()
	st, err := store.Open(db, store.Options{Create: true, Small: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	l := st.NewLoader()
	for d := range 4 {
		dom := fmt.Sprintf("load%d.example", d)
		l.Directory(model.Directory{ID: "load" + fmt.Sprint(d), Name: dom, State: model.Unmanaged, Domains: []string{dom}, CreatedAt: now})
	}
	for i := range n {
		l.User(model.User{ID: fmt.Sprintf("u%06d", i), Email: fmt.Sprintf("user%06d@load%d.example", i, i%4), Directory: fmt.Sprintf("load%d", i%4),
			Kind: model.Member, CreationMethod: model.EmailVerified, Grants: []string{"rms"}, CreatedAt: now})
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "db")
	loadUsers(t, db, 20_000)
	signup(t, db, "dan@bellowscollege.com", "rms")

	r := runOK(t, db, "check")
	if !strings.Contains(r.stdout, "no damage found") || !strings.Contains(r.stdout, "20,001 users") {
		t.Fatalf("a sound database:\n%s", r)
	}
	var rep checkReport
	runJSON(t, db, &rep, "check")
	if rep.Users != 20_001 || rep.Directories != 5 || rep.Tables == 0 || len(rep.Problems) != 0 {
		t.Fatalf("check --json: %+v", rep)
	}

	// 64 bytes overwritten in the middle of the largest table.
	tables, err := filepath.Glob(filepath.Join(db, "*.sst"))
	if err != nil || len(tables) == 0 {
		t.Fatalf("no tables (%v)", err)
	}
	size := func(p string) int64 { info, _ := os.Stat(p); return info.Size() }
	victim := slices.MaxFunc(tables, func(a, b string) int { return int(size(a) - size(b)) })
	f, err := os.OpenFile(victim, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5", 64)), size(victim)/3); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r = wantFail(t, db, 1, []string{"database damaged", "selfserve restore"}, "check")
	if !strings.Contains(r.stdout, filepath.Base(victim)) {
		t.Errorf("check does not name the damaged table %s:\n%s", filepath.Base(victim), r)
	}
	r = wantFail(t, db, 1, []string{"database damaged"}, "check", "--json")
	rep = checkReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Problems) == 0 || !strings.Contains(strings.Join(rep.Problems, "\n"), filepath.Base(victim)) {
		t.Fatalf("check --json on a damaged database (%v):\n%s", err, r)
	}
}

func TestCheckCommandTruncatedTable(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "db")
	loadUsers(t, db, 20_000)
	tables, err := filepath.Glob(filepath.Join(db, "*.sst"))
	if err != nil || len(tables) == 0 {
		t.Fatalf("no tables (%v)", err)
	}
	if err := os.Truncate(tables[0], 5000); err != nil {
		t.Fatal(err)
	}
	r := wantFail(t, db, 1, []string{"database damaged"}, "check")
	if !strings.Contains(r.stdout, filepath.Base(tables[0])) || strings.Contains(r.stderr, "panic") {
		t.Fatalf("a table cut to 5000 bytes:\n%s", r)
	}
}
