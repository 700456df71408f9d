package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"selfserve/store"
)

// Issue 11 point 2: the store and the model say what happened; the
// command line adds what to do, in its own words (commands and flags).
// Each case runs the real command against a real database and wants the
// facts and the advice on stderr, exit 1.
func TestCommandLineAdvice(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked := t.TempDir()
	signup(t, blocked, "dan@bellowscollege.com", "rms")
	runOK(t, blocked, "settings", "bellowscollege.com", "--allow-adhoc-subscriptions=false")
	badKey := t.TempDir()
	signup(t, badKey, "dan@bellowscollege.com", "rms")
	if err := os.WriteFile(filepath.Join(badKey, "codes.key"), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held := t.TempDir()
	signup(t, held, "dan@bellowscollege.com", "rms")
	s, err := store.Open(held, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	cases := []struct {
		name       string
		db         string
		args       []string
		fact, tell string
	}{
		{"no database", filepath.Join(db, "nosuch"), []string{"directory", "list"},
			"no selfserve database", "check --db (or SELFSERVE_DB), or start one with signup start or demo"},
		{"a directory of other files", foreign, []string{"signup", "start", "ann@contoso.com", "--service", "rms"},
			"holds other files", "give --db an empty or new directory"},
		{"a database another process holds", held, []string{"--lock-timeout", "100ms", "directory", "list"},
			"another selfserve process is using it", "wait longer with --lock-timeout"},
		{"no such directory", db, []string{"directory", "show", "nosuch.example"},
			"no directory", "see selfserve directory list"},
		{"no such service", db, []string{"signup", "start", "eve@bellowscollege.com", "--service", "nosuch"},
			"unknown service", "see selfserve service list"},
		{"an internal claim of a domain nobody holds", db, []string{"domain", "challenge", "nobody.example", "--as", "x@nobody.example"},
			"nothing to take over", "use --into DIR"},
		{"verify without a challenge", db, []string{"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com"},
			"no challenge for bellowscollege.com was issued to dan@bellowscollege.com",
			"run selfserve domain challenge bellowscollege.com --as dan@bellowscollege.com first"},
		{"an internal claim by an outsider", db, []string{"domain", "challenge", "bellowscollege.com", "--as", "eve@evil.example"},
			"eve@evil.example is not a user of bellowscollege.com", "use --into DIR for an external takeover"},
		{"a sign-up a switch refuses", blocked, []string{"signup", "start", "eve@bellowscollege.com", "--service", "rms"},
			"AllowAdHocSubscriptions is off", "ask its admin"},
		{"a code key file that is not one", badKey, []string{"signup", "start", "eve@bellowscollege.com", "--service", "rms"},
			"codes.key", "if the file is damaged, remove it and a new key is made"},
		{"a relay that takes no mail", db, []string{"--smtp", refusingAddr(t), "signup", "start", "eve@bellowscollege.com", "--service", "rms"},
			"was not sent", "check --smtp (or SELFSERVE_SMTP) and run the command again"},
	}
	for _, tc := range cases {
		r := run(t, tc.db, tc.args...)
		fact, tell := strings.Index(r.stderr, tc.fact), strings.Index(r.stderr, tc.tell)
		if r.code != 1 || fact < 0 || tell < fact {
			t.Errorf("%s: want exit 1 with %q and then %q:\n%s", tc.name, tc.fact, tc.tell, r)
		}
		if n := strings.Count(r.stderr, tc.tell); n > 1 {
			t.Errorf("%s: the advice is given %d times:\n%s", tc.name, n, r)
		}
	}
}
