package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"selfserve/model"
	"selfserve/store/storetest"
)

// A first open killed before Badger renamed its new manifest into place
// leaves LOCK (an older selfserve's) and MANIFEST-REWRITE alone in the
// directory: the next open must still create the database there, not call
// it foreign.
func TestOpenAfterFirstOpenWasKilled(t *testing.T) {
	badgerOnly(t)
	dir := t.TempDir()
	for _, name := range []string{"LOCK", "MANIFEST-REWRITE"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("Bdgr"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("open without Create = %v, want ErrNotFound (nothing was ever stored)", err)
	}
	s, err := Open(dir, Options{Create: true})
	if err != nil {
		t.Fatalf("open with Create: %v", err)
	}
	mustSignup(t, s, "dan@bellowscollege.com", "rms")
	s.Close()
	// Another file still means the directory is someone else's.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(other, Options{Create: true}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("open of a directory with other files = %v, want ErrInvalid", err)
	}
}

// Issue 10 point 9: a crash between Badger creating a memtable log and
// writing its header leaves an empty .mem file, and Badger's next open
// failed on it with "Create a new file" (upstream badger #2207). The
// first open after such a crash must succeed, with nothing lost.
func TestOpenAfterCrashLeftEmptyMemtableLog(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	for _, ro := range []bool{false, true} {
		dir := t.TempDir()
		s := openTest(t, dir, Options{})
		mustSignup(t, s, "dan@bellowscollege.com", "rms")
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "00007.mem"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{ReadOnly: ro})
		if err != nil {
			t.Fatalf("first open (read-only %v) after the crash: %v", ro, err)
		}
		users, err := s.Users("bellowscollege.com", "", 0)
		s.Close()
		if err != nil || len(users) != 1 {
			t.Fatalf("after the crash: %d users (%v), want Dan", len(users), err)
		}
	}
}

// Issue 10 point 1: commands that only read change no file, not even
// Badger's memtable log or a flush on close.
func TestReadOnlyOpenChangesNoFile(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := t.TempDir()
	buildDamageDB(t, dir, 2000)
	before := storetest.Files(t, dir)
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.Users("contoso.co.uk", "", 0)
	if err != nil || len(users) != 2000 {
		t.Fatalf("%d users (%v), want 2000", len(users), err)
	}
	// Another reader shares the lock; a writer waits for both.
	other, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("a second reader: %v", err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrBusy) {
		t.Errorf("a writer while two read = %v, want ErrBusy", err)
	}
	other.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := storetest.Files(t, dir); after != before {
		t.Fatalf("a read-only open changed the files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Issue 10 point 8: eight processes creating one new database at once
// all succeed; before, those that looked while another was half-way
// through saw "holds other files but no selfserve database".
func TestEightProcessesCreateOneDatabase(t *testing.T) {
	badgerOnly(t)
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "db")
	const n = 8
	cmds := make([]*exec.Cmd, n)
	outs := make([]*strings.Builder, n)
	for i := range cmds {
		cmds[i] = openChild(dir, "create", fmt.Sprintf("p%d@bellowscollege.com", i))
		outs[i] = &strings.Builder{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil || !strings.Contains(outs[i].String(), "done") {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if users, err := s.Users("bellowscollege.com", "", 0); err != nil || len(users) != n {
		t.Fatalf("%d users (%v), want one per process", len(users), err)
	}
}

const (
	openEnvMode = "SELFSERVE_OPEN_CHILD"
	openEnvDB   = "SELFSERVE_OPEN_DB"
	openEnvArg  = "SELFSERVE_OPEN_ARG"
)

// openChild is this test binary re-executed as TestOpenChild.
func openChild(dir, mode, arg string) *exec.Cmd {
	return child("TestOpenChild", openEnvMode+"="+mode, openEnvDB+"="+dir, openEnvArg+"="+arg)
}

// TestOpenChild is the child of the open tests; it does nothing in a
// normal run. "create" signs one address up into a database that may not
// exist yet; "signups" signs up until killed.
func TestOpenChild(t *testing.T) {
	badgerOnly(t)
	mode, dir := os.Getenv(openEnvMode), os.Getenv(openEnvDB)
	if mode == "" {
		t.Skip("runs only as the child of the open tests")
	}
	fmt.Println("opening")
	s, err := Open(dir, Options{Create: true, Small: mode == "signups", LockWait: time.Minute})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	switch mode {
	case "create":
		mustSignup(t, s, os.Getenv(openEnvArg), "rms")
	case "signups":
		fmt.Println("open")
		for i := 0; ; i++ {
			mustSignup(t, s, fmt.Sprintf("u%d-%d@d%d.example", os.Getpid(), i, i%7), "rms")
		}
	}
	if err := s.Close(); err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	fmt.Println("done")
	os.Exit(0)
}
