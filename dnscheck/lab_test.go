package dnscheck

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestCheckOutsideALab (issue 10 point 23): without the lab option an
// authoritative server at a loopback (or private, link-local …) address is
// not asked, the result says so per server, and the check does not pass:
// a domain whose only servers cannot be reached from the Internet proves
// nothing about it.
func TestCheckOutsideALab(t *testing.T) {
	t.Parallel()
	apex := []string{txt("bellows.test.", token)}
	w := newWorld(t, append(zone(2), parentZone(3)...), nsSpec{records: apex}, nsSpec{records: apex},
		nsSpec{zone: append(parentZone(3), delegation("ns1=127.0.0.1", "ns2=127.0.0.2")...)})
	c := Checker{Resolver: w.resolver, Port: w.port, Timeout: 200 * time.Millisecond}
	res, err := c.Check(t.Context(), "bellows.test", wantTXT)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified() || res.Outcome != NotAsked || len(res.Servers) != 2 {
		t.Fatalf("outcome %s, want not-asked for both servers: %+v", res.Outcome, res)
	}
	if d := res.Delegation; d == nil || d.Outcome != NotAsked || d.Reason != ReasonLoopback || w.servers[2].queries.Load() != 0 {
		t.Errorf("the parent's server on loopback should not be asked either: %+v", d)
	}
	for i, s := range res.Servers {
		if s.Outcome != NotAsked || s.Reason != ReasonLoopback || !strings.Contains(s.Detail, "loopback address") {
			t.Errorf("%s: %s (%q), want not-asked: loopback address", s.Label(), s.Outcome, s.Detail)
		}
		if n := w.servers[i].queries.Load(); n != 0 {
			t.Errorf("%s was asked %d times", s.Label(), n)
		}
	}
	if msg := res.Message(); !strings.Contains(msg, "not asked") || !strings.Contains(msg, "loopback address") {
		t.Errorf("message %q should say why the servers were not asked", msg)
	}
}

func TestNotPublic(t *testing.T) {
	t.Parallel()
	tests := map[string]Reason{
		"192.0.2.1": ReasonReserved, "198.51.100.7": ReasonReserved, "203.0.113.9": ReasonReserved, "2001:db8::53": ReasonReserved,
		"10.1.2.3": ReasonPrivate, "172.16.0.1": ReasonPrivate, "172.31.255.254": ReasonPrivate, "192.168.1.1": ReasonPrivate,
		"100.64.0.1": ReasonPrivate, "fd00::53": ReasonPrivate, "fc00::1": ReasonPrivate,
		"127.0.0.1": ReasonLoopback, "127.53.0.1": ReasonLoopback, "::1": ReasonLoopback, "::ffff:127.0.0.1": ReasonLoopback,
		"169.254.169.254": ReasonLinkLocal, "fe80::1": ReasonLinkLocal,
		"0.0.0.0": ReasonUnspecified, "::": ReasonUnspecified, "0.1.2.3": ReasonUnspecified,
		"224.0.0.251": ReasonMulticast, "ff02::fb": ReasonMulticast,
		"240.0.0.1": ReasonReserved, "255.255.255.255": ReasonReserved, "198.18.0.1": ReasonReserved,
		"64:ff9b::10.0.0.1": ReasonPrivate, "64:ff9b::7f00:1": ReasonLoopback, "2002:a00:1::1": ReasonPrivate,
		// Routed: asked anywhere.
		"8.8.8.8": "", "1.1.1.1": "", "172.32.0.1": "", "100.128.0.1": "", "2001:4860:4860::8888": "",
		"64:ff9b::8.8.8.8": "", "::ffff:8.8.4.4": "", "192.88.99.1": "",
	}
	for s, want := range tests {
		if got := notPublic(netip.MustParseAddr(s)); got != want {
			t.Errorf("notPublic(%s) = %q, want %q", s, got, want)
		}
	}
}

// TestCheckInALab: the same world as TestCheckOutsideALab, with the lab
// option: every server is asked, the parent's too.
func TestCheckInALab(t *testing.T) {
	t.Parallel()
	apex := []string{txt("bellows.test.", token)}
	w := newWorld(t, append(zone(2), parentZone(3)...), nsSpec{records: apex}, nsSpec{records: apex},
		nsSpec{zone: append(parentZone(3), delegation("ns1=127.0.0.1", "ns2=127.0.0.2")...)})
	res, err := w.checker().Check(t.Context(), "bellows.test", wantTXT)
	if err != nil || !res.Verified() || len(res.Servers) != 2 {
		t.Fatalf("%v: %+v", err, res)
	}
	if d := res.Delegation; d == nil || d.Outcome != Found || d.Parent != "test" || strings.Join(d.NS, ",") != "ns1.bellows.test,ns2.bellows.test" {
		t.Errorf("delegation = %+v", d)
	}
}
