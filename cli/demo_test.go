package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoTourTakesBothDirectoriesOver(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo")
	r := runOK(t, db, "demo", "--tour", "--directories", "5", "--big-users", "10")
	for _, want := range []string{
		"missing", "not published yet", // before publishing
		"internal takeover done: bellowscollege.com",
		"Would lose access if forced", "refused: takeover blocked: powerbi",
		"external takeover done: contoso.co.uk", "Moved 48 users",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tour output lacks %q:\n%s", want, r.stdout)
		}
	}
	if d := directoryShow(t, db, "contoso.co.uk"); d.Name != "contoso.com" || d.State != "managed" {
		t.Errorf("after the tour contoso.co.uk belongs to %+v", d)
	}
	// A second run starts from fresh data; a directory that is no demo is refused.
	runOK(t, db, "demo", "--directories", "1", "--big-users", "1")
	other := t.TempDir()
	runOK(t, other, "consumer", "add", "mail.example")
	wantFail(t, other, 1, []string{"not a selfserve demo"}, "demo")
}

// --users asks for a total: the large directory gets what the rest leave.
func TestDemoUsersIsATotal(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo")
	var out struct {
		Summary struct{ Directories, Users int }
	}
	runJSON(t, db, &out, "demo", "--users", "2500", "--directories", "40")
	if out.Summary.Users != 2500 || out.Summary.Directories != 44 {
		t.Errorf("demo --users 2500 --directories 40 made %+v, want 2500 users in 44 directories", out.Summary)
	}
	if d := directoryShow(t, db, "woodgrovebank.com"); d.Users < 1500 {
		t.Errorf("the large directory holds %d users", d.Users)
	}
	wantFail(t, db, 2, []string{"--users or --big-users, not both"}, "demo", "--users", "10", "--big-users", "10")
}
