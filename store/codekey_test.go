package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"selfserve/model"
	"selfserve/store/engine"
)

// Issue 10 point 13: codes are kept as a MAC under a key in codes.key,
// beside Badger's files and not among its records. A copy of Badger's
// files without it cannot check a code; the database with it checks codes
// across reopening; a record in the old unkeyed format is refused like
// any code that does not work.
func TestCodeMACKeyIsNotInTheDatabase(t *testing.T) {
	badgerOnly(t)
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	dan := addr(t, "dan@bellowscollege.com")
	var code string
	if _, err := s.StartSignup(dan, "rms", false, func(c string) model.Message { code = c; return model.Message{} }); err != nil {
		t.Fatal(err)
	}
	var rec model.CodeRecord
	if err := s.view(func(txn engine.Txn) error {
		_, err := get(txn, codeKey(dan.Key()), &rec)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte(rec.Salt + ":" + code))
	if rec.MAC == "" || rec.MAC == hex.EncodeToString(plain[:]) {
		t.Fatalf("the record holds %q: the salted SHA-256 of the code, which a copy cracks in 0.3 s", rec.MAC)
	}
	fi, err := os.Stat(filepath.Join(dir, codeKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want it made with mode 0600", err, fi)
	}
	s.Close()

	// A copy of Badger's files, without the key.
	cp := copyDir(t, dir)
	if err := os.Remove(filepath.Join(cp, codeKeyFile)); err != nil {
		t.Fatal(err)
	}
	c := openTest(t, cp, Options{})
	if _, err := c.VerifySignup(dan, code); !errors.Is(err, model.ErrCodeRejected) {
		t.Fatalf("a copy without the key checked the code: %v", err)
	}
	c.Close()

	s = openTest(t, dir, Options{})
	res, err := s.VerifySignup(dan, code)
	if err != nil || res.Outcome != model.CreateUser {
		t.Fatalf("the code after reopening with its key: %+v %v", res, err)
	}

	// A pending record of the old format: a salted SHA-256 in "hash".
	eve := addr(t, "eve@bellowscollege.com")
	old := sha256.Sum256([]byte("00:123456"))
	legacy := `{"email":"eve@bellowscollege.com","service":"rms","salt":"00","hash":"` + hex.EncodeToString(old[:]) +
		`","issuedAt":"2026-11-23T09:00:00Z","expiresAt":"2099-01-01T00:00:00Z","attempts":0,"requests":1,"windowStart":"2026-11-23T09:00:00Z"}`
	if err := s.eng.Update(func(txn engine.Txn) error { return txn.Set(codeKey(eve.Key()), []byte(legacy)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifySignup(eve, "123456"); err == nil || err.Error() != model.CodeRejected(eve.String()).Error() {
		t.Fatalf("an old-format record: %v, want the usual refusal", err)
	}
	checkInvariants(t, s)
}

// A key file that is not a key stops codes with ErrCodeKey naming it,
// rather than quietly making a new key over it.
func TestDamagedCodeKeyIsReported(t *testing.T) {
	badgerOnly(t)
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	path := filepath.Join(dir, codeKeyFile)
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.StartSignup(addr(t, "dan@bellowscollege.com"), "rms", false, func(string) model.Message { return model.Message{} })
	if !errors.Is(err, ErrCodeKey) || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged key file: %v, want ErrCodeKey naming %s", err, path)
	}
}

// An in-memory store (a demo copy) keeps its key in memory only.
func TestInMemoryStoreChecksCodes(t *testing.T) {
	badgerOnly(t)
	s, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := signup(t, s, "dan@bellowscollege.com", "rms"); err != nil {
		t.Fatal(err)
	}
}
