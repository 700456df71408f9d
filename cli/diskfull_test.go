package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"selfserve/store/storetest"
)

// Issue 10 point 5 at the command line: on a full disk a sign-up exits 1
// saying the disk is full and what to do, and loses nothing already
// acknowledged.
func TestSignupOnFullDisk(t *testing.T) {
	dir := storetest.Mount(t, 64<<20)
	db := filepath.Join(dir, "db")
	runOK(t, db, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
	ballast := filepath.Join(dir, "ballast")
	storetest.Ballast(t, ballast, 1<<20)

	r := wantFail(t, db, 1, []string{"disk full", "free disk space"}, "signup", "start", "ann@bellowscollege.com", "--service", "rms")
	if strings.Contains(r.stderr, "SIGBUS") || strings.Contains(r.stderr, "goroutine") {
		t.Fatalf("a full disk must be an error, not a crash:\n%s", r)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	signup(t, db, "ann@bellowscollege.com", "rms")
	var res signupResult
	runJSON(t, db, &res, "signup", "verify", "dan@bellowscollege.com", "--code", code(t, db, "dan@bellowscollege.com"))
}
