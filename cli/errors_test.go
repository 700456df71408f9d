package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"selfserve/store"
)

// Usage errors exit 2 with the message on stderr, before any database is
// touched.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		args     []string
		fragment string
	}{
		{"unknown command", []string{"bogus"}, "unknown command"},
		{"unknown subcommand", []string{"signup", "bogus"}, "bogus"},
		{"unknown subcommand of domain", []string{"domain", "lst"}, "lst"},
		{"unknown flag", []string{"signup", "start", "x@contoso.com", "--service", "rms", "--bogus"}, "unknown flag"},
		{"unknown global flag", []string{"--bogus", "directory", "list"}, "unknown flag"},
		{"missing --service", []string{"signup", "start", "x@contoso.com"}, "service"},
		{"missing --code", []string{"signup", "verify", "x@contoso.com"}, "code"},
		{"missing --as on challenge", []string{"domain", "challenge", "contoso.com"}, "as"},
		{"missing --as on verify", []string{"domain", "verify", "contoso.com"}, "as"},
		{"missing --as on invite", []string{"invite", "a@fabrikam.com", "--from", "contoso.com"}, "as"},
		{"missing --takeover", []string{"service", "add", "teams"}, "takeover"},
		{"no email", []string{"signup", "start", "--service", "rms"}, "EMAIL"},
		{"two emails", []string{"signup", "start", "a@contoso.com", "b@contoso.com", "--service", "rms"}, "EMAIL"},
		{"no directory to show", []string{"directory", "show"}, "DIR"},
		{"two directories to show", []string{"directory", "show", "a.com", "b.com"}, "DIR"},
		{"no directory for settings", []string{"settings"}, "DIR"},
		{"extra argument to outbox", []string{"outbox", "extra"}, "extra"},
		{"extra argument to domain list", []string{"domain", "list", "contoso.com"}, "contoso.com"},
		{"bad --mode", []string{"domain", "challenge", "contoso.com", "--as", "a@contoso.com", "--mode", "cname"}, "txt or mx"},
		{"bad --state", []string{"directory", "list", "--state", "deleted"}, "--state"},
		{"bad --limit", []string{"user", "list", "contoso.com", "--limit", "0"}, "--limit"},
		{"non-numeric --limit", []string{"user", "list", "contoso.com", "--limit", "ten"}, "invalid argument"},
		{"bad --after", []string{"user", "list", "contoso.com", "--after", "not-an-address"}, "missing @"},
		{"bad --since", []string{"audit", "--since", "yesterday"}, "--since"},
		// user list refuses --limit 0 as a usage error; audit's --limit -1
		// should be one too rather than quietly returning one entry.
		{"negative audit --limit", []string{"audit", "--limit", "-1"}, "--limit"},
		{"bad switch value", []string{"settings", "contoso.com", "--allow-email-verified-users=maybe"}, "invalid argument"},
		{"bad --as on settings", []string{"settings", "contoso.com", "--allow-email-verified-users=false", "--as", "nobody"}, "missing @"},
		{"bad policy", []string{"service", "add", "teams", "--takeover", "sometimes"}, "remap, migrate or block"},
		{"bad --timeout", []string{"--timeout", "soon", "directory", "list"}, "invalid argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "db")
			r := run(t, db, tc.args...)
			if r.code != 2 {
				t.Fatalf("a usage error must exit 2:\n%s", r)
			}
			if !strings.Contains(r.stderr, tc.fragment) {
				t.Errorf("stderr should mention %q:\n%s", tc.fragment, r)
			}
			if !strings.Contains(r.stderr, "--help") {
				t.Errorf("stderr should point to --help:\n%s", r)
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("a usage error opened (created) the database %s", db)
			}
		})
	}
}

// Refusals and failures exit 1 with the reason on stderr and nothing on
// stdout.
func TestRefusalsExitOne(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	cases := []struct {
		name     string
		args     []string
		fragment string
	}{
		{"unknown directory", []string{"directory", "show", "nosuch.example"}, "no directory"},
		{"users of an unknown directory", []string{"user", "list", "nosuch.example"}, "no directory"},
		{"settings of an unknown directory", []string{"settings", "nosuch.example", "--allow-adhoc-subscriptions=false"}, "no directory"},
		{"verify without a challenge", []string{"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com"}, "no challenge"},
		{"challenge for a bad domain", []string{"domain", "challenge", "not_a_domain.com", "--as", "dan@bellowscollege.com"}, "not_a_domain.com"},
		{"bad consumer domain", []string{"consumer", "add", "not a domain"}, "not a domain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, db, tc.args...)
			if r.code != 1 {
				t.Fatalf("want exit 1:\n%s", r)
			}
			if !strings.Contains(r.stderr, tc.fragment) {
				t.Errorf("stderr should mention %q:\n%s", tc.fragment, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty:\n%s", r)
			}
		})
	}
}

// A DNS server given as something other than HOST:PORT is refused with a
// message saying so, once there is a challenge to check.
func TestBadDNSServer(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	challengeFor(t, db, "bellowscollege.com", "--as", "dan@bellowscollege.com")
	// A bare host means port 53; this one does not resolve.
	wantFail(t, db, 1, []string{"nohostport:53"}, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", "nohostport")
	wantFail(t, db, 2, []string{"port must be a number"}, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", "127.0.0.1:99999")
}

// A DNS server that does not answer: the check says so, within --timeout.
func TestSilentDNSServer(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	challengeFor(t, db, "bellowscollege.com", "--as", "dan@bellowscollege.com")
	silent := silentUDP(t)
	r := wantFail(t, db, 1, nil, "--timeout", "2s", "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", silent)
	if !strings.Contains(r.stderr, "try later") && !strings.Contains(r.stderr, "in time") {
		t.Errorf("an unreachable DNS server should be reported as such:\n%s", r)
	}
	if d := directoryShow(t, db, "bellowscollege.com"); d.State != "unmanaged" {
		t.Errorf("a failed check changed the directory: %+v", d)
	}
}

// --help is not an error.
func TestHelp(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"signup", "start", "--help"}, {"domain", "verify", "--help"}} {
		r := runOK(t, db, args...)
		if !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("help for %v:\n%s", args, r)
		}
	}
}

// The database is one process's at a time: a second command says so.
func TestDatabaseInUse(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantFail(t, db, 1, []string{"another selfserve process is using it"}, "--lock-timeout", "100ms", "directory", "list")
	// A command started while another holds the database waits its turn.
	go func() {
		time.Sleep(300 * time.Millisecond)
		st.Close()
	}()
	if r := run(t, db, "--lock-timeout", "10s", "directory", "list"); r.code != 0 {
		t.Fatalf("a command must wait for the lock:\n%s", r)
	}
	if ds := listDirectories(t, db); len(ds) != 1 {
		t.Errorf("after the other process closed: %+v", ds)
	}
}
