package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where the system's resolver is configured; a variable so
// tests can point it elsewhere.
var resolvConf = "/etc/resolv.conf"

const defaultTimeout = 3 * time.Second

// Checker asks DNS for a challenge record.
//
// By default it finds the domain's zone and asks each of the zone's
// authoritative servers directly (PRODUCT.md §3): a resolver's cache may
// still hold an old answer, or one server may not have the change yet.
// With Server set it asks that one server only, for tests and split-horizon
// setups.
//
// Outside a lab, authoritative servers at addresses the Internet cannot
// reach (private, loopback, link-local, …: see notPublic) are not asked,
// and a parent zone the resolver cannot find blocks the check. The
// resolver and the single server are the operator's own choice and are
// always asked: the system's resolver often sits on loopback.
type Checker struct {
	Server   string        // host:port; when set, every query goes to this one server (single-server mode)
	Resolver string        // host:port of the resolver that finds zone, NS set and addresses; "" means the system's (/etc/resolv.conf)
	Port     string        // port the authoritative servers are asked on; "" means "53"
	Timeout  time.Duration // per attempt; 0 means 3s
	Lab      bool          // a test lab: ask servers at any address, and do without a parent zone
}

// Check asks for the record. The returned error is only for set-up failures
// (no resolver configured, bad domain, bad expectation, bad port) and for
// ctx being cancelled; DNS-level failures, including ctx's deadline passing
// and a walk to the servers that failed, are outcomes in the Result.
func (c Checker) Check(ctx context.Context, domain string, want Expect) (Result, error) {
	name, err := canonicalDomain(domain)
	if err != nil {
		return Result{}, err
	}
	qtype, err := want.qtype()
	if err != nil {
		return Result{}, err
	}
	res := Result{Domain: strings.TrimSuffix(name, "."), Expect: want}
	if c.Server != "" {
		server, err := hostPort(c.Server)
		if err != nil {
			return Result{}, err
		}
		sr, err := c.ask(ctx, server, query(name, qtype, true), want, false)
		if err != nil {
			return Result{}, fmt.Errorf("check %s at %s: %w", domain, server, err)
		}
		res.Servers = []ServerResult{sr}
		res.Outcome = overall(res.Servers, nil)
		return res, nil
	}
	rs, err := c.resolver()
	if err != nil {
		return Result{}, err
	}
	if p, err := strconv.ParseUint(c.port(), 10, 16); err != nil || p == 0 {
		return Result{}, fmt.Errorf("%w: port %q", ErrNoServer, c.Port)
	}
	// Ends the walk's look-ahead when the walk fails before using it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	zone, own, above, err := rs.findZone(ctx, name)
	res.Zone = strings.TrimSuffix(zone, ".")
	if err == nil {
		res.Servers, res.Delegation, err = c.askZone(ctx, rs, zone, own, above, name, qtype, want)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Result{}, fmt.Errorf("check %s: %w", domain, err)
	case err != nil:
		res.Outcome, res.Reason = classify(err)
		res.Detail = err.Error()
	default:
		res.Outcome = overall(res.Servers, res.Delegation)
	}
	return res, nil
}

// refuses says why the address a may not be asked, or "" when it may.
func (c Checker) refuses(a netip.Addr) Reason {
	if c.Lab {
		return ""
	}
	return notPublic(a)
}

// ask puts one question to one server and judges the answer. Only a
// cancelled ctx is an error: nobody is waiting for the result any more.
func (c Checker) ask(ctx context.Context, server string, q *dns.Msg, want Expect, authoritative bool) (ServerResult, error) {
	start := time.Now()
	r, note, err := exchange(ctx, server, q, c.timeout())
	sr := ServerResult{Server: server, RTT: time.Since(start)}
	switch {
	case errors.Is(err, context.Canceled):
		return sr, err
	case err != nil:
		sr.Outcome, sr.Reason = classify(err)
		sr.Detail = err.Error()
	default:
		sr.Outcome, sr.Reason, sr.Values, sr.Detail = judge(q, want, r, authoritative)
		sr.Detail = joinDetail(sr.Detail, note)
	}
	return sr, nil
}

func (c Checker) timeout() time.Duration {
	if c.Timeout <= 0 {
		return defaultTimeout
	}
	return c.Timeout
}

func (c Checker) port() string {
	if c.Port == "" {
		return "53"
	}
	return c.Port
}

// resolver is the configured resolver, or up to three nameservers of the
// system's resolv.conf.
func (c Checker) resolver() (resolver, error) {
	rs := resolver{timeout: c.timeout()}
	if c.Resolver != "" {
		server, err := hostPort(c.Resolver)
		rs.servers = []string{server}
		return rs, err
	}
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return rs, fmt.Errorf("%w: %v", ErrNoServer, err)
	}
	if len(conf.Servers) == 0 {
		return rs, fmt.Errorf("%w: no nameserver in %s", ErrNoServer, resolvConf)
	}
	for _, s := range conf.Servers[:min(len(conf.Servers), maxResolvers)] {
		rs.servers = append(rs.servers, net.JoinHostPort(s, conf.Port))
	}
	return rs, nil
}

func hostPort(server string) (string, error) {
	if _, _, err := net.SplitHostPort(server); err != nil {
		return "", fmt.Errorf("%w: %q is not host:port", ErrNoServer, server)
	}
	return server, nil
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
