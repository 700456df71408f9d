package web

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"selfserve/ops/ratelimit"
)

// Default per-client rates: generous enough for an office behind one
// address, far below what guessing or mail-bombing needs (the store's
// code budgets bound guessing whatever the rate).
var (
	DefaultStartRate  = ratelimit.Rate{Count: 20, Period: time.Minute}
	DefaultVerifyRate = ratelimit.Rate{Count: 60, Period: time.Minute}
)

// clientOf is whom r counts against: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one
// (a client can write anything there; only what our own proxies added
// is believed).
func clientOf(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ratelimit.HostClient(r.RemoteAddr)
	}
	ip := peer.Addr().Unmap()
	if !isTrusted(ip, trusted) {
		return ratelimit.AddrClient(ip)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop our proxies did not write: stop believing
		}
		ip = hop.Unmap()
		if !isTrusted(ip, trusted) {
			break
		}
	}
	return ratelimit.AddrClient(ip)
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// limited runs next unless r's client is over l's rate; then refuse
// answers, in the API's or the page's way, with Retry-After set.
func limited(l *ratelimit.Limiter, trusted []netip.Prefix, next, refuse http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.Allow(clientOf(r, trusted)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			refuse(w, r)
			return
		}
		next(w, r)
	}
}

// apiTooMany is the API's answer to a client over its rate.
func apiTooMany(w http.ResponseWriter, _ *http.Request) { writeProblem(w, kindRateLimited, "") }

// Timeouts bound what one connection may hold: a client that sends its
// headers slowly, never reads the answer or idles is let go.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts suit a sign-up form: small bodies, fast answers.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 10 * time.Second, Write: 15 * time.Second, Idle: 60 * time.Second}

// maxHeaderBytes bounds a request's headers; a browser's are a few KiB.
const maxHeaderBytes = 16 << 10

// Server is an HTTP server for h with t's timeouts (zero: the defaults)
// and bounded headers.
func Server(h http.Handler, t Timeouts) *http.Server {
	if t == (Timeouts{}) {
		t = DefaultTimeouts
	}
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: maxHeaderBytes}
}
