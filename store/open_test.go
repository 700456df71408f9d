package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"selfserve/model"
)

// A first open killed after Badger took its lock file but before it wrote
// its manifest leaves LOCK alone in the directory:
// the next open must still create the database there, not call it foreign.
func TestOpenAfterFirstOpenWasKilled(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o600); err != nil {
		t.Fatal(err)
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
