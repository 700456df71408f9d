package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/log"

	"selfserve/ops"
	"selfserve/store"
)

// runHere runs a command line the way main does.
func runHere(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// While a server holds the database, a command runs inside it through
// the socket, with the output and exit status it has on its own.
func TestCommandsRunInsideTheServer(t *testing.T) {
	db := t.TempDir()
	if code, _, errs := runHere("--db", db, "signup", "start", "dan@bellowscollege.com", "--service", "rms"); code != 0 {
		t.Fatal(errs)
	}
	_, alone, _ := runHere("--db", db, "outbox", "--json")
	_, aloneMissing, aloneErr := runHere("--db", db, "directory", "show", "nosuch.example")

	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := listenCommands(db, &ops.Console{Store: st}, log.New(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if fi, err := os.Stat(socketPath(db)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v, %v; want it the owner's only", fi, err)
	}

	// The lock is held: only the socket lets these run (the lock wait is
	// short, so a command that tried to open would fail fast).
	code, served, errs := runHere("--db", db, "--lock-timeout", "100ms", "outbox", "--json")
	if code != 0 || served != alone {
		t.Errorf("outbox through the server: exit %d, stderr %q\n%s\nwant\n%s", code, errs, served, alone)
	}
	code, out, errs := runHere("--db", db, "--lock-timeout", "100ms", "directory", "show", "nosuch.example")
	if code != 1 || out != aloneMissing || errs != aloneErr {
		t.Errorf("a refusal through the server: exit %d, %q, %q; alone it is %q, %q", code, out, errs, aloneMissing, aloneErr)
	}
	// A change made through the server is there.
	if code, _, errs := runHere("--db", db, "--lock-timeout", "100ms", "signup", "start", "ann@bellowscollege.com", "--service", "rms"); code != 0 {
		t.Errorf("signup start through the server: %s", errs)
	}
	if msgs, _ := st.Outbox(); len(msgs) != 2 {
		t.Errorf("outbox holds %d mails after a sign-up through the server, want 2", len(msgs))
	}
	// A backup's FILE is where the caller meant it.
	wd, _ := os.Getwd()
	dest := t.TempDir()
	if err := os.Chdir(dest); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runHere("--db", db, "--lock-timeout", "100ms", "backup", "snap")
	os.Chdir(wd)
	if code != 0 {
		t.Errorf("backup through the server: %s", errs)
	} else if _, err := os.Stat(filepath.Join(dest, "snap")); err != nil {
		t.Errorf("the backup is not in the caller's directory: %v", err)
	}
	// Serving twice is refused, not forwarded.
	if code, _, errs := runHere("--db", db, "--lock-timeout", "100ms", "serve", "--ssh", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "another selfserve process") {
		t.Errorf("a second serve: exit %d, %q", code, errs)
	}
}

// Once the server is gone (its socket closed), commands open the
// database themselves again.
func TestCommandsOpenTheDatabaseWhenNoServerListens(t *testing.T) {
	db := t.TempDir()
	runHere("--db", db, "signup", "start", "dan@bellowscollege.com", "--service", "rms")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := listenCommands(db, &ops.Console{Store: st}, log.New(&bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	st.Close()
	if _, err := os.Stat(socketPath(db)); !os.IsNotExist(err) {
		t.Errorf("the socket outlives its server: %v", err)
	}
	if code, _, errs := runHere("--db", db, "outbox"); code != 0 {
		t.Errorf("outbox after the server: %s", errs)
	}
}
