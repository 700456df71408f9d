package cli_test

import (
	"net"
	"strings"
	"testing"
)

// danChallenged is a database where Dan signed up at bellowscollege.com
// and was given a TXT challenge for it.
func danChallenged(t *testing.T) (string, challengeResult) {
	t.Helper()
	db := t.TempDir()
	signup(t, db, "dan@bellowscollege.com", "rms")
	return db, challengeFor(t, db, "bellowscollege.com", "--as", "dan@bellowscollege.com")
}

// TestVerifyNoZoneFound (issue 10 point 24): when the walk finds no zone no
// server was asked, so no table of servers is printed, not even its header;
// the reason is.
func TestVerifyNoZoneFound(t *testing.T) {
	t.Parallel()
	db, _ := danChallenged(t)
	z := startDNS(t) // knows no zone: NXDOMAIN for every name
	runOK(t, db, "config", "--dns-resolver", z.Addr)
	r := wantFail(t, db, 1, []string{"no NS records at bellowscollege.com or any parent"},
		"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if strings.Contains(r.stdout, "SERVER") || strings.Contains(r.stdout, "OUTCOME") {
		t.Errorf("a table header without servers:\n%s", r)
	}
}

// TestVerifyConnectionRefused (issue 10 point 24): a server with nothing
// listening is shown as refusing the connection, not as slow.
func TestVerifyConnectionRefused(t *testing.T) {
	t.Parallel()
	db, _ := danChallenged(t)
	addr := refusingAddr(t)
	r := wantFail(t, db, 1, []string{"refused the connection"},
		"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com", "--dns-server", addr)
	if !strings.Contains(r.stdout, "connection-refused") || strings.Contains(r.stdout+r.stderr, "timeout") {
		t.Errorf("want the outcome connection-refused:\n%s", r)
	}
}

// TestVerifyOutsideALab (issue 10 point 23): a zone whose only server sits
// on loopback does not verify until the operator says this is a lab; the
// table says why the server was not asked.
func TestVerifyOutsideALab(t *testing.T) {
	t.Parallel()
	db, ch := danChallenged(t)
	z := startDNS(t) // the resolver, and the zone's one server
	_, port, _ := net.SplitHostPort(z.Addr)
	z.publish(t, "bellowscollege.com. 3600 IN SOA ns1.bellowscollege.com. hostmaster.bellowscollege.com. 1 7200 3600 1209600 300")
	z.publish(t, "bellowscollege.com. 3600 IN NS ns1.bellowscollege.com.")
	z.publish(t, "ns1.bellowscollege.com. 3600 IN A 127.0.0.1")
	z.publishTXT(t, "bellowscollege.com", ch.Challenge.Token)
	runOK(t, db, "config", "--dns-resolver", z.Addr, "--dns-port", port)
	r := wantFail(t, db, 1, []string{"was not asked: loopback address"},
		"domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if !strings.Contains(r.stdout, "not-asked") || !strings.Contains(r.stdout, "loopback address") {
		t.Errorf("the table should say the server was not asked, and why:\n%s", r)
	}
	asked := z.queryCount()
	cfg := runOK(t, db, "config", "--dns-lab")
	if !strings.Contains(cfg.stdout, "on (servers at private and loopback addresses are asked)") {
		t.Errorf("config shows the lab:\n%s", cfg)
	}
	r = runOK(t, db, "domain", "verify", "bellowscollege.com", "--as", "dan@bellowscollege.com")
	if !strings.Contains(r.stdout, "found") || z.queryCount() == asked {
		t.Errorf("in a lab the loopback server is asked:\n%s", r)
	}
}
