package cli_test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// withdraw removes every record at name, as an admin cleaning up DNS would.
func (z *dnsZone) withdraw(name string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	delete(z.records, dns.CanonicalName(name))
}

func TestConfigAndRecheck(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	z := startDNS(t)
	takeOver(t, db, z, "dan@bellowscollege.com", "rms")

	var cfg struct {
		Server          string `json:"server"`
		RecheckInterval int64  `json:"recheckInterval"`
	}
	runJSON(t, db, &cfg, "config", "--dns-server", z.Addr, "--recheck-interval", "12h")
	if cfg.Server != z.Addr || cfg.RecheckInterval != int64(12*3600*1e9) {
		t.Fatalf("config: %+v", cfg)
	}
	wantFail(t, db, 2, []string{"HOST:PORT"}, "config", "--dns-server", "nohost")
	wantFail(t, db, 2, []string{"at least"}, "config", "--recheck-interval", "1s")

	r := runOK(t, db, "domain", "recheck")
	if !strings.Contains(r.stdout, "0 domains re-checked") {
		t.Fatalf("checked at verification, not due yet:\n%s", r)
	}
	r = runOK(t, db, "domain", "recheck", "--all")
	if !strings.Contains(r.stdout, "bellowscollege.com") || strings.Contains(r.stdout, "FLAGGED") {
		t.Fatalf("record still published:\n%s", r)
	}
	z.withdraw("bellowscollege.com")
	r = runOK(t, db, "domain", "recheck", "--all")
	if !strings.Contains(r.stdout, "FLAGGED") || !strings.Contains(r.stdout, "not published") {
		t.Fatalf("record withdrawn:\n%s", r)
	}
	show := runOK(t, db, "directory", "show", "bellowscollege.com")
	if !strings.Contains(show.stdout, "FLAGGED") || !strings.Contains(show.stdout, "managed") {
		t.Fatalf("the directory shows the flag and stays managed:\n%s", show)
	}
	if n := actions(audit(t, db))["domain.flagged"]; n != 1 {
		t.Errorf("audit has %d domain.flagged entries, want 1", n)
	}
}
