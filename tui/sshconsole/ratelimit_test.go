package sshconsole

import (
	"net"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newLimiter(Rate{Count: 3, Period: time.Minute}, func() time.Time { return now })
	a := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 40000}
	aOtherPort := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 40001}
	b := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 40000}
	for i := range 3 {
		if !l.allow(a) {
			t.Fatalf("connection %d refused within the rate", i+1)
		}
	}
	if l.allow(aOtherPort) {
		t.Error("a fourth connection from the same host (another port) got in")
	}
	if !l.allow(b) {
		t.Error("another address is limited by the first one's connections")
	}
	now = now.Add(20 * time.Second) // one token back (3 a minute)
	if !l.allow(a) {
		t.Error("no token back after a third of the period")
	}
	if l.allow(a) {
		t.Error("two tokens back after a third of the period")
	}
	now = now.Add(time.Hour)
	l.allow(b) // sweeps: both buckets are full again
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets kept after an idle hour, want only the one just used", len(l.buckets))
	}
	off := newLimiter(Rate{}, time.Now)
	for range 100 {
		if !off.allow(a) {
			t.Fatal("a zero rate limits")
		}
	}
}

// Issue 11 point 12: an IPv6 client usually holds a whole /64, so the
// limit counts the /64, not each address in it.
func TestLimiterIPv6Per64(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := newLimiter(Rate{Count: 2, Period: time.Minute}, func() time.Time { return now })
	addr := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000} }
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		if !l.allow(addr(ip)) {
			t.Fatalf("%s refused within the rate", ip)
		}
	}
	if l.allow(addr("2001:db8:1:2::99")) {
		t.Error("a third address of the same /64 got in")
	}
	if !l.allow(addr("2001:db8:1:3::1")) {
		t.Error("the next /64 is limited by its neighbour's connections")
	}
	// IPv4 addresses, also written IPv4-mapped, are counted one by one.
	if !l.allow(addr("192.0.2.1")) || !l.allow(addr("::ffff:192.0.2.2")) || !l.allow(addr("192.0.2.3")) {
		t.Error("IPv4 neighbours share a bucket")
	}
}
