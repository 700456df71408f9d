package dnscheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

const lame = "not authoritative (lame delegation)"

// judge classifies an answer r to the question q. It is all the reading of
// an answer there is: it repeats the checks exchange made (match, not
// truncated), so that nothing reaches Found without them and so that it can
// be fuzzed on its own. authoritative asks for the AA bit as well.
func judge(q *dns.Msg, want Expect, r *dns.Msg, authoritative bool) (Outcome, Reason, []string, string) {
	if err := validate(q, r); err != nil {
		return DNSError, ReasonMismatch, nil, err.Error()
	}
	if r.Truncated {
		return DNSError, ReasonTruncated, nil, errTruncated.Error()
	}
	// A server that is asked without recursion and answers without AA, or
	// refers us elsewhere, does not hold the zone although the parent
	// says it does (RFC 1034 §4.3.1, RFC 8499 "lame delegation"). Its
	// "no such name" is worth nothing, and the delegation is the admin's
	// to fix.
	notAuth := authoritative && !r.Authoritative
	switch r.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		if notAuth {
			return DNSError, ReasonLame, nil, lame
		}
		return Missing, ReasonNXDomain, nil, "NXDOMAIN"
	default:
		return DNSError, ReasonRcode, nil, rcodeDetail(r)
	}
	if notAuth {
		return DNSError, ReasonLame, nil, lame
	}
	owner := dns.CanonicalName(q.Question[0].Name)
	// Records at an alias are another name's (RFC 1034 §3.6.2, RFC 6672):
	// whoever controls the target could publish them, and nothing may
	// sit beside a CNAME, so none count, for TXT and MX alike.
	if alias := aliasOf(owner, r.Answer); alias != "" {
		return Missing, ReasonAlias, nil, fmt.Sprintf("NODATA (%s; the %s record must be at the name itself, not at an alias)", alias, strings.ToUpper(string(want.Kind)))
	}
	values, found := want.match(owner, r.Answer)
	switch {
	case found:
		return Found, "", values, ""
	case len(values) > 0:
		return WrongValue, "", values, ""
	}
	return Missing, ReasonNoData, nil, "NODATA"
}

// aliasOf says how owner is an alias in answer, or "": a CNAME at owner,
// or a DNAME at one of its ancestors (which servers answer with, beside
// the CNAME they synthesize from it).
func aliasOf(owner string, answer []dns.RR) string {
	if target := cnameAt(owner, answer); target != "" {
		return fmt.Sprintf("%s is an alias of %s", strings.TrimSuffix(owner, "."), target)
	}
	for _, rr := range answer {
		if d, ok := rr.(*dns.DNAME); ok {
			at := dns.CanonicalName(d.Hdr.Name)
			if at != owner && dns.IsSubDomain(at, owner) {
				return fmt.Sprintf("%s is under the DNAME of %s (to %s)", strings.TrimSuffix(owner, "."), strings.TrimSuffix(at, "."), d.Target)
			}
		}
	}
	return ""
}

// rcodeDetail names the rcode and adds any extended DNS error (RFC 8914),
// which often says why a server gave up (e.g. DNSSEC bogus).
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

// cnameAt returns the target of a CNAME owned by name in answer, or "".
func cnameAt(name string, answer []dns.RR) string {
	for _, rr := range answer {
		if c, ok := rr.(*dns.CNAME); ok && dns.CanonicalName(c.Hdr.Name) == name {
			return c.Target
		}
	}
	return ""
}

// aliases is name followed by the CNAME chain the answer holds for it
// (RFC 1034 §3.6.2: a resolver answers with the chain and the target's
// records). Each step uses up a record, so the loop is bounded by the
// answer's size, and a chain that comes back on itself ends.
func aliases(name string, answer []dns.RR) []string {
	names := []string{name}
	for range answer {
		next := cnameAt(names[len(names)-1], answer)
		if next == "" {
			break
		}
		next = dns.CanonicalName(next)
		if slices.Contains(names, next) {
			break
		}
		names = append(names, next)
	}
	return names
}

// ownedBy reports whether rr's owner is one of names (canonical).
func ownedBy(rr dns.RR, names []string) bool {
	return slices.Contains(names, dns.CanonicalName(rr.Header().Name))
}
