package ratelimit

import (
	"net"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := New(Rate{Count: 3, Period: time.Minute}, func() time.Time { return now })
	a := Client(&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 40000})
	aOtherPort := Client(&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 40001})
	b := Client(&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 40000})
	for i := range 3 {
		if ok, _ := l.Allow(a); !ok {
			t.Fatalf("action %d refused within the rate", i+1)
		}
	}
	if ok, wait := l.Allow(aOtherPort); ok || wait != 20*time.Second {
		t.Errorf("a fourth action from the same host (another port): allowed %v, wait %v; want refused, 20s", ok, wait)
	}
	if ok, _ := l.Allow(b); !ok {
		t.Error("another address is limited by the first one's actions")
	}
	now = now.Add(20 * time.Second) // one token back (3 a minute)
	if ok, _ := l.Allow(a); !ok {
		t.Error("no token back after a third of the period")
	}
	if ok, _ := l.Allow(a); ok {
		t.Error("two tokens back after a third of the period")
	}
	now = now.Add(time.Hour)
	l.Allow(b) // sweeps: both buckets are full again
	if l.Clients() != 1 {
		t.Errorf("%d clients kept after an idle hour, want only the one just seen", l.Clients())
	}
	off := New(Rate{}, nil)
	for range 100 {
		if ok, _ := off.Allow(a); !ok {
			t.Fatal("a zero rate limits")
		}
	}
}

// An IPv6 client usually holds a whole /64, so the limit counts the
// /64, not each address in it; IPv4 addresses count one by one, also
// written IPv4-mapped.
func TestClientIsAnIPv6Slash64(t *testing.T) {
	for host, want := range map[string]string{
		"[2001:db8:1:2::1]:22":             "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ffff:ffff": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:22":                "fe80::/64",
		"192.0.2.1:40000":                  "192.0.2.1",
		"[::ffff:192.0.2.2]:40000":         "192.0.2.2",
		"not-an-address":                   "not-an-address",
		"2001:db8:1:3::1":                  "2001:db8:1:3::/64",
	} {
		if got := HostClient(host); got != want {
			t.Errorf("HostClient(%q) = %q, want %q", host, got, want)
		}
	}
}
