package sshconsole

import (
	"net"
	"sync"
	"time"
)

// Rate is how many connections one address may open per period.
type Rate struct {
	Count  int
	Period time.Duration
}

// limiter is a token bucket per remote address: Count tokens, refilled
// evenly over Period, one spent per connection. It is checked before the
// SSH handshake, the costly part a flood would aim at.
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

// allow spends a token of addr's host, reporting false when none is left.
func (l *limiter) allow(addr net.Addr) bool {
	if l == nil || l.rate.Count <= 0 || l.rate.Period <= 0 {
		return true
	}
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
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
