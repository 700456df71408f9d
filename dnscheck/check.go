package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where the system's resolver is configured; a variable so
// tests can point it elsewhere.
var resolvConf = "/etc/resolv.conf"

const defaultTimeout = 3 * time.Second

// Checker asks one DNS server for a challenge record. Until the checker
// walks to a zone's authoritative servers itself, that server is either
// given (tests, split-horizon setups) or the system's first resolver.
type Checker struct {
	Server  string        // host:port; "" means the system's configured resolver
	Timeout time.Duration // per attempt; 0 means 3s
}

// Check asks for the record. The returned error is only for set-up failures
// (no resolver configured, bad domain, bad expectation) and for ctx being
// cancelled; DNS-level failures, including ctx's deadline passing, are
// outcomes in the Result.
func (c Checker) Check(ctx context.Context, domain string, want Expect) (Result, error) {
	name, err := canonicalDomain(domain)
	if err != nil {
		return Result{}, err
	}
	qtype, err := want.qtype()
	if err != nil {
		return Result{}, err
	}
	server, err := c.server()
	if err != nil {
		return Result{}, err
	}
	sr, err := c.ask(ctx, server, query(name, qtype), want)
	if err != nil {
		return Result{}, fmt.Errorf("check %s at %s: %w", domain, server, err)
	}
	servers := []ServerResult{sr}
	return Result{
		Domain:  strings.TrimSuffix(name, "."),
		Expect:  want,
		Outcome: overall(servers),
		Servers: servers,
	}, nil
}

// ask puts one question to one server and judges the answer. Only a
// cancelled ctx is an error: nobody is waiting for the result any more.
func (c Checker) ask(ctx context.Context, server string, q *dns.Msg, want Expect) (ServerResult, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	start := time.Now()
	r, note, err := exchange(ctx, server, q, timeout)
	sr := ServerResult{Server: server, RTT: time.Since(start)}
	switch {
	case errors.Is(err, context.Canceled):
		return sr, err
	case isTimeout(err):
		sr.Outcome, sr.Detail = Timeout, err.Error()
	case err != nil:
		sr.Outcome, sr.Detail = DNSError, err.Error()
	default:
		sr.Outcome, sr.Values, sr.Detail = judge(q.Question[0].Name, want, r)
		sr.Detail = joinDetail(sr.Detail, note)
	}
	return sr, nil
}

// judge classifies an answer that did come back for our question.
func judge(owner string, want Expect, r *dns.Msg) (Outcome, []string, string) {
	switch r.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return Missing, nil, "NXDOMAIN"
	default:
		return DNSError, nil, rcodeDetail(r)
	}
	values, found := want.match(owner, r.Answer)
	switch {
	case found:
		return Found, values, ""
	case len(values) == 0:
		return Missing, nil, "NODATA"
	}
	return WrongValue, values, ""
}

// rcodeDetail names the rcode and adds any extended DNS error (RFC 8914),
// which often says why a resolver gave up (e.g. DNSSEC bogus).
func rcodeDetail(r *dns.Msg) string {
	detail := rcodeName(r.Rcode)
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ede, ok := o.(*dns.EDNS0_EDE); ok {
				detail = joinDetail(detail, "extended error "+ede.String())
			}
		}
	}
	return detail
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

func joinDetail(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// canonicalDomain accepts the domain with or without its trailing dot and
// returns it lower-case and fully qualified. It must already be in
// host-name letters: IDNA is the caller's job, and guessing here would
// check a different name than the one the challenge was issued for.
func canonicalDomain(domain string) (string, error) {
	name := dns.Fqdn(strings.ToLower(domain))
	_, ok := dns.IsDomainName(name)
	if !ok || name == "." || strings.ContainsFunc(name, notHostChar) {
		return "", fmt.Errorf("%w: %q", ErrBadDomain, domain)
	}
	return name, nil
}

// notHostChar allows the underscore besides LDH, for names like
// _challenge.example.com.
func notHostChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
}

// server is the host:port to ask: the one configured, or the first
// nameserver of the system's resolver.
func (c Checker) server() (string, error) {
	if c.Server != "" {
		if _, _, err := net.SplitHostPort(c.Server); err != nil {
			return "", fmt.Errorf("%w: %q is not host:port", ErrNoServer, c.Server)
		}
		return c.Server, nil
	}
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoServer, err)
	}
	if len(conf.Servers) == 0 {
		return "", fmt.Errorf("%w: no nameserver in %s", ErrNoServer, resolvConf)
	}
	return net.JoinHostPort(conf.Servers[0], conf.Port), nil
}
