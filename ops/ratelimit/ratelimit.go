// Package ratelimit counts what each network client does against a
// rate: SSH connections before their handshake, sign-up requests before
// they reach the store. A client is an IPv4 address or an IPv6 /64.
package ratelimit

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Rate is how many actions one client may take per period; a zero Rate
// limits nothing.
type Rate struct {
	Count  int
	Period time.Duration
}

// Limiter is a token bucket per client: Count tokens, refilled evenly
// over Period, one spent per action.
type Limiter struct {
	rate Rate
	now  func() time.Time
	mu   sync.Mutex
	// buckets forgets a client once its bucket would be full again, so
	// the map holds only recent clients.
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New is a limiter of r on the clock now (nil: time.Now).
func New(r Rate, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: r, now: now, buckets: map[string]*bucket{}}
}

// Client is whom addr's actions count against.
func Client(addr net.Addr) string { return HostClient(addr.String()) }

// HostClient is whom a host or host:port counts against: its IPv4
// address, or its IPv6 /64, since one IPv6 client usually holds a whole
// /64 (RFC 4291 §2.5.4 subnets end at /64) and could otherwise take a
// fresh bucket per request.
func HostClient(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	return AddrClient(ip)
}

// AddrClient is whom ip counts against.
func AddrClient(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}

// Allow spends a token of client's, reporting false and how long until
// the next token when none is left.
func (l *Limiter) Allow(client string) (ok bool, wait time.Duration) {
	if l == nil || l.rate.Count <= 0 || l.rate.Period <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.rate.Period {
		for c, b := range l.buckets {
			if l.refill(b, now) >= float64(l.rate.Count) {
				delete(l.buckets, c)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{tokens: float64(l.rate.Count), at: now}
		l.buckets[client] = b
	}
	b.tokens, b.at = l.refill(b, now), now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.perToken()))
	}
	b.tokens--
	return true, 0
}

func (l *Limiter) perToken() time.Duration { return l.rate.Period / time.Duration(l.rate.Count) }

func (l *Limiter) refill(b *bucket, now time.Time) float64 {
	return min(float64(l.rate.Count), b.tokens+float64(now.Sub(b.at))/float64(l.perToken()))
}

// Clients is how many clients the limiter remembers.
func (l *Limiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
