package sshconsole

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Rate is how many connections one client (an IPv4 address or an IPv6
// /64) may open per period.
type Rate struct {
	Count  int
	Period time.Duration
}

// limiter is a token bucket per client (an IPv4 address or an IPv6
// /64): Count tokens, refilled evenly over Period, one spent per
// connection. It is checked before the SSH handshake, the costly part a
// flood would aim at.
type limiter struct {
	rate Rate
	now  func() time.Time
	mu   sync.Mutex
	// buckets forgets an address once its bucket would be full again, so
	// the map holds only recent visitors.
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, buckets: map[string]*bucket{}}
}

// client is whom addr's connections count against: its IPv4 address, or
// its IPv6 /64, since one IPv6 client usually holds a whole /64 (RFC
// 4291 §2.5.4 subnets end at /64) and could otherwise take a fresh
// bucket per connection.
func client(addr net.Addr) string {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

// allow spends a token of addr's client, reporting false when none is left.
func (l *limiter) allow(addr net.Addr) bool {
	if l == nil || l.rate.Count <= 0 || l.rate.Period <= 0 {
		return true
	}
	host := client(addr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.rate.Period {
		for h, b := range l.buckets {
			if l.refill(b, now) >= float64(l.rate.Count) {
				delete(l.buckets, h)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[host]
	if !ok {
		b = &bucket{tokens: float64(l.rate.Count), at: now}
		l.buckets[host] = b
	}
	b.tokens, b.at = l.refill(b, now), now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) refill(b *bucket, now time.Time) float64 {
	perToken := l.rate.Period.Seconds() / float64(l.rate.Count)
	return min(float64(l.rate.Count), b.tokens+now.Sub(b.at).Seconds()/perToken)
}
