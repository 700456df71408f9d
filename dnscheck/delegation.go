package dnscheck

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// askZone asks every server of zone for the record: the union of the
// zone's own NS set and the parent zone's delegation (issue 10 point 21).
// Resolvers out there start from the delegation, so a server only the
// parent names is asked by them and must show the record too.
//
// The zone's own servers are asked while the delegation is read; the
// servers only the parent names are asked once it is. When both name the
// same servers with glue, as they should, the delegation costs no round
// trip of its own. Only a cancelled ctx is an error; when no server at all
// has an address the walk failed, and the error says so.
func (c Checker) askZone(ctx context.Context, rs resolver, zone string, own []nameserver, above *pending, name string, qtype uint16, want Expect) ([]ServerResult, *Delegation, error) {
	var ownRes []ServerResult
	var ownErr error
	addressed := make(chan []nameserver, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		nss, err := rs.addresses(ctx, own)
		addressed <- nss
		if err != nil {
			ownErr = err
			return
		}
		ownRes, ownErr = c.askAll(ctx, nss, name, qtype, want)
	})
	del, delegated := c.delegation(ctx, rs, zone, above)
	own = <-addressed
	extra, err := rs.addresses(ctx, beyond(delegated, own))
	var extraRes []ServerResult
	if err == nil {
		extraRes, err = c.askAll(ctx, extra, name, qtype, want)
	}
	wg.Wait()
	if err := cmp.Or(ownErr, err); err != nil {
		return nil, nil, err
	}
	if err := noneUsable(append(own, extra...)); err != nil {
		return nil, del, err
	}
	for i := range extraRes {
		extraRes[i].ParentOnly = true
	}
	res := append(ownRes, extraRes...)
	slices.SortStableFunc(res, func(a, b ServerResult) int { return strings.Compare(a.Name, b.Name) })
	return res, del, nil
}

// beyond is what the parent's delegation adds to the zone's own NS set:
// names the zone does not list, and addresses of shared names that only
// the parent's glue gives. At most maxNS names in all.
func beyond(delegated, own []nameserver) []nameserver {
	var out []nameserver
	for _, d := range delegated {
		i := slices.IndexFunc(own, func(o nameserver) bool { return o.name == d.name })
		if i < 0 {
			out = append(out, d)
			continue
		}
		known := own[i].addrs
		if extra := slices.DeleteFunc(slices.Clone(d.addrs), func(a netip.Addr) bool { return slices.Contains(known, a) }); len(extra) > 0 {
			out = append(out, nameserver{name: d.name, addrs: extra})
		}
	}
	return out[:min(len(out), max(0, maxNS-len(own)))]
}

// delegation reads what the parent zone says about zone: it walks on up
// from the walk's step above the zone to the parent's apex, and asks
// the parent's servers, with recursion off, for zone's NS set. They answer
// with a referral (RFC 1034 §4.3.2 step 3b): the NS set in the authority
// section, the glue of names under the parent in the additional one. The
// servers are tried in turn, as a stub resolver tries its own: they all
// serve the parent zone, so one answer is enough.
//
// It returns nil for a zone right under the root (a TLD: public suffixes
// are never claimed). In a lab a parent zone that cannot be found is
// noted, not held against the check: labs often serve the zone alone.
func (c Checker) delegation(ctx context.Context, rs resolver, zone string, above *pending) (*Delegation, []nameserver) {
	if above == nil {
		return nil, nil
	}
	d := &Delegation{}
	fail := func(err error) (*Delegation, []nameserver) {
		d.Outcome, d.Reason = classify(err)
		d.Detail = err.Error()
		return d, nil
	}
	parentZone, nss, err := rs.parentOf(ctx, zone, above)
	if err != nil {
		d.Outcome, d.Reason = classify(err) // a silent resolver is a Timeout
		d.Detail = err.Error()
		if d.Outcome == DNSError {
			d.Reason = ReasonNoParent
		}
		if c.Lab {
			d.Outcome, d.Reason = NotAsked, ReasonNoParent
		}
		return d, nil
	}
	d.Parent = strings.TrimSuffix(parentZone, ".")
	servers, skipped, err := c.parentServers(ctx, rs, nss)
	switch {
	case err != nil:
		return fail(err)
	case len(servers) == 0:
		d.Outcome, d.Reason, d.Detail = NotAsked, skipped, "the parent's servers: "+addressWords[skipped]
		return d, nil
	}
	parents := resolver{servers: servers, timeout: rs.timeout, role: "parent server"}
	r, server, err := parents.ask(ctx, zone, dns.TypeNS, false)
	if err != nil {
		return fail(err)
	}
	d.Server = server
	if r.Rcode == dns.RcodeNameError {
		return fail(fmt.Errorf("%w: NXDOMAIN from %s", errNotDelegated, server))
	}
	delegated := delegatedIn(zone, parentZone, r)
	if len(delegated) == 0 {
		return fail(fmt.Errorf("%w: no NS records for %s from %s", errNotDelegated, strings.TrimSuffix(zone, "."), server))
	}
	for _, ns := range delegated {
		d.NS = append(d.NS, strings.TrimSuffix(ns.name, "."))
	}
	d.Outcome = Found
	return d, delegated
}

// delegatedIn reads the NS set of zone from a parent server's answer: from
// the authority section of a referral, or from the answer section when the
// server holds the zone too. Glue counts only for names under the parent
// zone, which the server answers for; an address of another name is
// hearsay (RFC 2181 §5.4.1).
func delegatedIn(zone, parentZone string, r *dns.Msg) []nameserver {
	names := nsNames(zone, append(slices.Clone(r.Answer), r.Ns...))
	nss := make([]nameserver, len(names))
	for i := range nss {
		nss[i].name = names[i]
		if dns.IsSubDomain(parentZone, names[i]) {
			nss[i].addrs = addrsIn(r.Extra, names[i:i+1])
		}
	}
	return nss
}

// parentServers picks the parent's servers to ask: one address of each NS
// name, those that came with glue first; only when none did are the first
// few names' addresses looked up. skipped says why none is left when every
// address is one a lab alone may ask.
func (c Checker) parentServers(ctx context.Context, rs resolver, nss []nameserver) (servers []string, skipped Reason, err error) {
	if !slices.ContainsFunc(nss, func(ns nameserver) bool { return len(ns.addrs) > 0 }) {
		if nss, err = rs.addresses(ctx, nss[:min(len(nss), maxResolvers)]); err != nil {
			return nil, "", err
		}
	}
	for _, ns := range nss {
		for _, a := range ns.addrs {
			if why := c.refuses(a); why != "" {
				skipped = why
				continue
			}
			servers = append(servers, net.JoinHostPort(a.String(), c.port()))
			break
		}
	}
	if len(servers) == 0 && skipped == "" {
		return nil, "", fmt.Errorf("the parent's servers: %w", noneUsable(nss))
	}
	return servers, skipped, nil
}
