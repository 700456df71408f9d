package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Bounds on what a zone may make us ask: more NS names or addresses than
// this are not asked (real zones have 2 to 13 NS names, the most a
// referral from a root-like server fits in 512 bytes).
const (
	maxNS        = 16
	maxAddrs     = 8 // per NS name, or per NS name and family when looked up
	maxResolvers = 3 // resolv.conf's MAXNS
)

// resolver asks recursive resolvers for what the walk needs: the zone, its
// NS set and their addresses. A resolver may answer from its cache, which
// is fine for finding servers (a stale NS set costs at most a lame server,
// named in the result) but never for the record itself: that is asked of
// the authoritative servers directly.
type resolver struct {
	servers []string // host:port, tried in order
	timeout time.Duration
}

// nameserver is one NS name of the zone with its addresses, or why it has
// none.
type nameserver struct {
	name  string // canonical, fully qualified
	addrs []netip.Addr
	err   error
}

// lookup asks the resolvers in turn until one answers NOERROR or NXDOMAIN.
// It tries the next one after silence or SERVFAIL, as stub resolvers do:
// at most maxResolvers exchanges, each UDP then TCP. An error wraps
// errNoAnswer when no resolver answered at all.
func (rs resolver) lookup(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	var fails []string
	silent := true
	for _, s := range rs.servers {
		r, _, err := exchange(ctx, s, query(name, qtype, true), rs.timeout)
		switch {
		case errors.Is(err, context.Canceled):
			return nil, err
		case err != nil:
			silent = silent && noAnswer(err)
			fails = append(fails, fmt.Sprintf("resolver %s: %v", s, err))
		case r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError:
			return r, nil
		default:
			silent = false
			fails = append(fails, fmt.Sprintf("resolver %s: %s", s, rcodeDetail(r)))
		}
		if expired(ctx) {
			break
		}
	}
	err := fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], strings.Join(fails, "; "))
	if silent {
		return nil, silence{err}
	}
	return nil, err
}

// findZone walks up from name asking for SOA records: the first name that
// owns one is the zone's apex (RFC 1034 §4.2.1: the top node of a zone
// holds its SOA). A name answering with a CNAME is skipped: it cannot be an
// apex, which must hold SOA and NS, and nothing may sit beside a CNAME
// (RFC 2181 §10.1); the SOA the resolver found is the target's. The walk
// stops below the root, which nobody can claim: at most one step per
// label.
//
// Each step asks for the name's NS set at the same time: challenges sit at
// a zone's apex, so the first step usually finds the zone and its NS set
// in one round trip instead of two.
func (rs resolver) findZone(ctx context.Context, name string) (string, []nameserver, error) {
	for zone := name; zone != "."; zone = parent(zone) {
		var ns *dns.Msg
		var nsErr error
		var wg sync.WaitGroup
		wg.Go(func() { ns, nsErr = rs.lookup(ctx, zone, dns.TypeNS) })
		soa, err := rs.lookup(ctx, zone, dns.TypeSOA)
		wg.Wait()
		if err != nil {
			return "", nil, fmt.Errorf("finding the zone: %w", err)
		}
		if isApex(zone, soa) {
			nss, err := nameservers(zone, ns, nsErr)
			return zone, nss, err
		}
	}
	return "", nil, fmt.Errorf("finding the zone: no SOA record at %s or any parent below the root (is the domain registered?)", strings.TrimSuffix(name, "."))
}

// isApex reports whether r, the answer to an SOA query for name, shows an
// SOA owned by name itself and no CNAME there.
func isApex(name string, r *dns.Msg) bool {
	if r.Rcode != dns.RcodeSuccess || cnameAt(name, r.Answer) != "" {
		return false
	}
	for _, rr := range r.Answer {
		if _, ok := rr.(*dns.SOA); ok && dns.CanonicalName(rr.Header().Name) == name {
			return true
		}
	}
	return false
}

// parent is name without its first label; the parent of a TLD is ".".
func parent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return "."
}

// nameservers reads the zone's NS set from the answer to its NS query:
// sorted, without duplicates, at most maxNS, each name with the addresses
// the answer's additional section gives for it. Those are what resolvers
// themselves use to reach the zone (RFC 1034 §4.3.2 step 6 adds them;
// they are the glue of in-zone names), and they save a round trip.
func nameservers(zone string, r *dns.Msg, err error) ([]nameserver, error) {
	if err != nil {
		return nil, fmt.Errorf("NS set of %s: %w", strings.TrimSuffix(zone, "."), err)
	}
	var names []string
	for _, rr := range r.Answer {
		if ns, ok := rr.(*dns.NS); ok && ns.Hdr.Class == dns.ClassINET && dns.CanonicalName(ns.Hdr.Name) == zone {
			names = append(names, dns.CanonicalName(ns.Ns))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("NS set of %s: empty (%s)", strings.TrimSuffix(zone, "."), rcodeName(r.Rcode))
	}
	nss := make([]nameserver, min(len(names), maxNS))
	for i := range nss {
		nss[i] = nameserver{name: names[i], addrs: addrsIn(r.Extra, []string{names[i]})}
	}
	return nss, nil
}

// addresses looks up, all at once, the A and AAAA records of every NS name
// that came without an address: glue-less delegations (NS names in another
// zone) and resolvers that send minimal responses. A name that came with
// addresses of one family is not looked up for the other: the resolver
// gave what it would use itself. It fails only when no NS name has an
// address; the others carry their reason.
func (rs resolver) addresses(ctx context.Context, nss []nameserver) ([]nameserver, error) {
	families := []uint16{dns.TypeA, dns.TypeAAAA}
	addrs := make([][]netip.Addr, len(nss)*len(families))
	errs := make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, ns := range nss {
		if len(ns.addrs) > 0 {
			continue
		}
		for j, qtype := range families {
			k := i*len(families) + j
			wg.Go(func() { addrs[k], errs[k] = rs.addrsOf(ctx, ns.name, qtype) })
		}
	}
	wg.Wait()
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return nil, err
	}
	out := slices.Clone(nss)
	var fails []string
	usable, silent := false, true
	for i := range out {
		ns := &out[i]
		var why []error
		for j := range families {
			k := i*len(families) + j
			ns.addrs = append(ns.addrs, addrs[k]...)
			if errs[k] != nil {
				why = append(why, errs[k])
			}
		}
		if len(ns.addrs) == 0 {
			ns.err = noAddress(why)
			silent = silent && noAnswer(ns.err)
			fails = append(fails, fmt.Sprintf("%s: %v", strings.TrimSuffix(ns.name, "."), ns.err))
		}
		usable = usable || len(ns.addrs) > 0
	}
	if !usable {
		err := fmt.Errorf("addresses of the nameservers: %s", strings.Join(fails, "; "))
		if silent {
			return nil, silence{err}
		}
		return nil, err
	}
	return out, nil
}

// addrsOf returns the addresses of one family the resolver has for name.
// NXDOMAIN and NODATA are errors: the caller decides whether the other
// family makes up for them.
func (rs resolver) addrsOf(ctx context.Context, name string, qtype uint16) ([]netip.Addr, error) {
	r, err := rs.lookup(ctx, name, qtype)
	if err != nil {
		return nil, err
	}
	addrs := addrsIn(r.Answer, aliases(name, r.Answer))
	if len(addrs) == 0 {
		detail := "NODATA"
		if r.Rcode == dns.RcodeNameError {
			detail = "NXDOMAIN"
		}
		return nil, fmt.Errorf("no %s record (%s)", dns.TypeToString[qtype], detail)
	}
	return addrs, nil
}

// addrsIn returns the A and AAAA addresses that records hold for any of
// names: sorted, without duplicates, at most maxAddrs.
func addrsIn(records []dns.RR, names []string) []netip.Addr {
	var addrs []netip.Addr
	for _, rr := range records {
		if rr.Header().Class != dns.ClassINET || !ownedBy(rr, names) {
			continue
		}
		var a netip.Addr
		switch rr := rr.(type) {
		case *dns.A:
			a, _ = netip.AddrFromSlice(rr.A.To4())
		case *dns.AAAA:
			a, _ = netip.AddrFromSlice(rr.AAAA.To16())
		}
		if a.IsValid() && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return addrs[:min(len(addrs), maxAddrs)]
}

// noAddress says why an NS name has no address. If a lookup went
// unanswered the name may well have one: that is a timeout, not an error.
func noAddress(why []error) error {
	var words []string
	silent := false
	for _, err := range why {
		words = append(words, err.Error())
		silent = silent || noAnswer(err)
	}
	err := fmt.Errorf("no address: %s", strings.Join(words, "; "))
	if silent {
		return silence{err}
	}
	return err
}

// silence marks an error made of several as "nothing came back" (see
// noAnswer) without changing its words.
type silence struct{ error }

func (s silence) Is(target error) bool { return target == errNoAnswer }
func (s silence) Unwrap() error        { return s.error }
