package dnscheck

import (
	"cmp"
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
	role    string // names the servers in errors; "" means "resolver"
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
	r, _, err := rs.ask(ctx, name, qtype, true)
	return r, err
}

// ask is lookup with the recursion bit given (off, it asks authoritative
// servers, a parent zone's, the same way); it also says which server
// answered.
func (rs resolver) ask(ctx context.Context, name string, qtype uint16, recurse bool) (*dns.Msg, string, error) {
	role := cmp.Or(rs.role, "resolver")
	var fails []string
	var last error
	silent := true
	for _, s := range rs.servers[:min(len(rs.servers), maxResolvers)] {
		r, _, err := exchange(ctx, s, query(name, qtype, recurse), rs.timeout)
		switch {
		case errors.Is(err, context.Canceled):
			return nil, "", err
		case err != nil:
			silent = silent && noAnswer(err)
			fails, last = append(fails, fmt.Sprintf("%s %s: %v", role, s, err)), err
		case r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError:
			return r, s, nil
		default:
			silent = false
			fails, last = append(fails, fmt.Sprintf("%s %s: %s", role, s, rcodeDetail(r))), rcodeError{rcodeDetail(r)}
		}
		if expired(ctx) {
			break
		}
	}
	err := fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], strings.Join(fails, "; "))
	if silent {
		return nil, "", silence{err}
	}
	return nil, "", because{err, last}
}

// findZone walks up from name asking for NS records: the first name that
// owns an NS set is the zone's apex (RFC 1034 §4.2.1: the top node of a
// zone holds its SOA and NS records; a resolver answers NS records at a
// name only at a zone cut), and that set is the one the check needs. A
// name answering with a CNAME is skipped: it cannot be an apex, and
// nothing may sit beside a CNAME (RFC 2181 §10.1); the NS set the resolver
// found is the target's. The walk stops below the root, which nobody can
// claim: at most one step per label.
//
// Each step also asks for the NS set of the name above: the next step's
// answer, and when the zone is found, the first step of the walk to the
// parent zone (see parentOf). above is that query, nil for a zone right
// under the root. So the zone, its NS set and usually the parent's come in
// one round trip.
func (rs resolver) findZone(ctx context.Context, name string) (zone string, nss []nameserver, above *pending, err error) {
	zone, nss, above, err = rs.walkUp(ctx, name, rs.start(ctx, name, dns.TypeNS), true)
	switch {
	case errors.Is(err, errNoApex):
		err = fmt.Errorf("finding the zone: %w (is the domain registered?)", err)
	case err != nil:
		err = fmt.Errorf("finding the zone: %w", err)
	}
	return zone, nss, above, err
}

// parentOf walks on up from zone to its parent zone, starting with ns, the
// query findZone made for the name above zone.
func (rs resolver) parentOf(ctx context.Context, zone string, ns *pending) (string, []nameserver, error) {
	parentZone, nss, _, err := rs.walkUp(ctx, parent(zone), ns, false)
	return parentZone, nss, err
}

// walkUp is the walk from name, whose NS query ns is under way, to the
// first apex; with ahead it asks each next step's question early.
func (rs resolver) walkUp(ctx context.Context, name string, ns *pending, ahead bool) (zone string, nss []nameserver, above *pending, err error) {
	for zone := name; ; zone = parent(zone) {
		above = nil
		if up := parent(zone); up != "." && ahead {
			above = rs.start(ctx, up, dns.TypeNS)
		}
		r, err := ns.get()
		if err != nil {
			return "", nil, above, err
		}
		if isApex(zone, r) {
			return zone, nameservers(zone, r), above, nil
		}
		if parent(zone) == "." {
			return "", nil, above, fmt.Errorf("%w at %s or any parent below the root", errNoApex, strings.TrimSuffix(name, "."))
		}
		if above == nil {
			above = rs.start(ctx, parent(zone), dns.TypeNS)
		}
		ns = above
	}
}

// pending is a lookup under way in the background. It ends by its
// timeouts or ctx, whether or not anyone waits for it.
type pending struct {
	done chan struct{}
	r    *dns.Msg
	err  error
}

func (rs resolver) start(ctx context.Context, name string, qtype uint16) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.r, p.err = rs.lookup(ctx, name, qtype)
	}()
	return p
}

// get waits for the answer.
func (p *pending) get() (*dns.Msg, error) {
	<-p.done
	return p.r, p.err
}

// isApex reports whether r, the answer to an NS query for name, shows an
// NS set owned by name itself and no CNAME there.
func isApex(name string, r *dns.Msg) bool {
	if r.Rcode != dns.RcodeSuccess || cnameAt(name, r.Answer) != "" {
		return false
	}
	for _, rr := range r.Answer {
		if ns, ok := rr.(*dns.NS); ok && ns.Hdr.Class == dns.ClassINET && dns.CanonicalName(ns.Hdr.Name) == name {
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
func nameservers(zone string, r *dns.Msg) []nameserver {
	names := nsNames(zone, r.Answer)
	nss := make([]nameserver, len(names))
	for i := range nss {
		nss[i] = nameserver{name: names[i], addrs: addrsIn(r.Extra, []string{names[i]})}
	}
	return nss
}

// nsNames are the names of zone's NS records among rrs: canonical,
// sorted, without duplicates, at most maxNS.
func nsNames(zone string, rrs []dns.RR) []string {
	var names []string
	for _, rr := range rrs {
		if ns, ok := rr.(*dns.NS); ok && ns.Hdr.Class == dns.ClassINET && dns.CanonicalName(ns.Hdr.Name) == zone {
			names = append(names, dns.CanonicalName(ns.Ns))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return names[:min(len(names), maxNS)]
}

// addresses looks up, all at once, the A and AAAA records of every NS name
// that came without an address: glue-less delegations (NS names in another
// zone) and resolvers that send minimal responses. A name that came with
// addresses of one family is not looked up for the other: the resolver
// gave what it would use itself. A name left without an address carries
// its reason; only a cancelled ctx is an error.
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
		}
	}
	return out, nil
}

// noneUsable fails when no NS name has an address: then no server can be
// asked at all, and the walk failed.
func noneUsable(nss []nameserver) error {
	var fails []string
	silent := true
	for _, ns := range nss {
		if len(ns.addrs) > 0 {
			return nil
		}
		silent = silent && noAnswer(ns.err)
		fails = append(fails, fmt.Sprintf("%s: %v", strings.TrimSuffix(ns.name, "."), ns.err))
	}
	err := fmt.Errorf("addresses of the nameservers: %s", strings.Join(fails, "; "))
	if silent {
		return silence{err}
	}
	return because{err, errNoAddress}
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
	err := fmt.Errorf("%w: %s", errNoAddress, strings.Join(words, "; "))
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

// because keeps the words of an error made of several and classifies it by
// the last of them (see classify).
type because struct {
	error
	last error
}

func (b because) Unwrap() []error { return []error{b.error, b.last} }
