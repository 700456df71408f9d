package dnscheck

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zoneData is what a test nameserver holds: the records of one or more
// zones, whose apexes are the owners of its SOA records.
type zoneData struct {
	apexes []string
	names  map[string][]dns.RR // canonical owner → records
}

func newZoneData(records ...string) *zoneData {
	z := &zoneData{names: map[string][]dns.RR{}}
	for _, rr := range rrs(records...) {
		name := dns.CanonicalName(rr.Header().Name)
		z.names[name] = append(z.names[name], rr)
		if rr.Header().Rrtype == dns.TypeSOA {
			z.apexes = append(z.apexes, name)
		}
	}
	return z
}

// apexOf is the apex of the zone holding name, or "" when none does.
func (z *zoneData) apexOf(name string) string {
	best := ""
	for _, a := range z.apexes {
		if dns.IsSubDomain(a, name) && len(a) > len(best) {
			best = a
		}
	}
	return best
}

// cut is the delegation point between apex and name (name included): the
// closest name below the apex that owns NS records without being an apex
// itself; "" when name is inside the apex's zone.
func (z *zoneData) cut(name, apex string) string {
	found := ""
	for n := name; n != apex && n != "."; n = parent(n) {
		if len(ofType(z.names[n], dns.TypeNS)) > 0 && !slices.Contains(z.apexes, n) {
			found = n
		}
	}
	return found
}

// exists is true when name owns records or has descendants that do (an
// empty non-terminal is NODATA, not NXDOMAIN: RFC 8020).
func (z *zoneData) exists(name string) bool {
	for n := range z.names {
		if dns.IsSubDomain(name, n) {
			return true
		}
	}
	return false
}

func ofType(records []dns.RR, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range records {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out
}

// answer is what an authoritative server answers (RFC 1034 §4.3.2, without
// delegations), or with resolver what a recursive resolver with everything
// cached answers: no AA, RA, NXDOMAIN for names outside its zones. A query
// not shaped as PRODUCT.md §3 asks (EDNS0 1232; no recursion for the
// record itself) gets FORMERR, which no test expects.
func (z *zoneData) answer(q *dns.Msg, resolver bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	opt := q.IsEdns0()
	if opt == nil || opt.UDPSize() != udpSize || len(q.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	m.SetEdns0(udpSize, false)
	qtype, name := q.Question[0].Qtype, dns.CanonicalName(q.Question[0].Name)
	if (qtype == dns.TypeTXT || qtype == dns.TypeMX) && q.RecursionDesired && !resolver {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	m.RecursionAvailable = resolver
	apex := z.apexOf(name)
	switch {
	case apex == "" && resolver:
		m.Rcode = dns.RcodeNameError
		return m
	case apex == "":
		m.Rcode = dns.RcodeRefused
		return m
	}
	// Below a zone cut the server holds only the delegation: it refers
	// the client to the child's servers (RFC 1034 §4.3.2 step 3b), without
	// AA, with the glue of in-bailiwick names.
	if cut := z.cut(name, apex); cut != "" && !resolver {
		m.Ns = ofType(z.names[cut], dns.TypeNS)
		for _, rr := range m.Ns {
			if target := dns.CanonicalName(rr.(*dns.NS).Ns); dns.IsSubDomain(cut, target) {
				m.Extra = append(m.Extra, ofType(z.names[target], dns.TypeA)...)
				m.Extra = append(m.Extra, ofType(z.names[target], dns.TypeAAAA)...)
			}
		}
		return m
	}
	m.Authoritative = !resolver
	for range 8 { // follow CNAMEs inside our data, as servers do
		here := z.names[name]
		if cname := ofType(here, dns.TypeCNAME); len(cname) > 0 && qtype != dns.TypeCNAME {
			m.Answer = append(m.Answer, cname[0])
			name = dns.CanonicalName(cname[0].(*dns.CNAME).Target)
			if z.apexOf(name) == "" {
				return m
			}
			continue
		}
		m.Answer = append(m.Answer, ofType(here, qtype)...)
		if len(m.Answer) == 0 && !z.exists(name) {
			m.Rcode = dns.RcodeNameError
		}
		break
	}
	if len(ofType(m.Answer, qtype)) == 0 {
		m.Ns = ofType(z.names[z.apexOf(name)], dns.TypeSOA)
	}
	// Addresses of in-zone NS names go to the additional section (RFC 1034
	// §4.3.2 step 6); those of names in other zones do not.
	for _, rr := range ofType(m.Answer, dns.TypeNS) {
		target := dns.CanonicalName(rr.(*dns.NS).Ns)
		if z.apexOf(target) == apex {
			m.Extra = append(m.Extra, ofType(z.names[target], dns.TypeA)...)
			m.Extra = append(m.Extra, ofType(z.names[target], dns.TypeAAAA)...)
		}
	}
	return m
}

// fault changes the answer m a test server is about to send to q, or
// returns false to send nothing; w tells UDP from TCP.
type fault func(w dns.ResponseWriter, q, m *dns.Msg) bool

// zoneServer serves zoneData, truncating UDP answers to the client's EDNS0
// size like a real server, then applies its fault.
type zoneServer struct {
	data     *zoneData
	resolver bool
	fault    fault
	queries  atomic.Int64
}

func (s *zoneServer) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	s.queries.Add(1)
	m := s.data.answer(q, s.resolver)
	if isUDP(w) {
		size := dns.MinMsgSize
		if opt := q.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	if s.fault != nil && !s.fault(w, q, m) {
		return
	}
	_ = w.WriteMsg(m)
}

func isUDP(w dns.ResponseWriter) bool {
	_, ok := w.RemoteAddr().(*net.UDPAddr)
	return ok
}

// Faults.
var (
	silentNS         fault = func(dns.ResponseWriter, *dns.Msg, *dns.Msg) bool { return false }
	notAuthoritative fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool { m.Authoritative = false; return true }
	wrongID          fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool { m.Id++; return true }
	notResponse      fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool { m.Response = false; return true }
	wrongQuestion    fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool { m.Question[0].Name = "other.test."; return true }
	// referral: a server that does not hold the zone points elsewhere.
	referral fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool {
		m.Authoritative, m.Rcode, m.Answer = false, dns.RcodeSuccess, nil
		m.Ns = rrs("bellows.test. 3600 IN NS ns.elsewhere.test.")
		return true
	}
	servfailWithEDE fault = func(_ dns.ResponseWriter, _, m *dns.Msg) bool {
		m.Rcode, m.Answer, m.Ns = dns.RcodeServerFailure, nil, nil
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeDNSBogus, ExtraText: "signature expired"})
		return true
	}
	// truncatedUDP cuts UDP answers short with a value that must not be
	// judged.
	truncatedUDP fault = func(w dns.ResponseWriter, _, m *dns.Msg) bool {
		if isUDP(w) {
			m.Truncated, m.Answer = true, rrs(`bellows.test. 300 IN TXT "MS=partial"`)
		}
		return true
	}
)

// refusing answers REFUSED without AA, as a server that does not hold the
// zone and does not recurse.
func refusing(_ dns.ResponseWriter, _, m *dns.Msg) bool {
	m.Authoritative, m.Rcode, m.Answer, m.Ns = false, dns.RcodeRefused, nil, nil
	return true
}

// nsSpec is one authoritative server of a test world: the records it has
// beside the zone's, and how it misbehaves.
type nsSpec struct {
	records []string
	fault   fault
	zone    []string // when set, served instead of the world's base (a parent zone's server)
}

// world is a DNS in miniature: authoritative servers on 127.0.0.1,
// 127.0.0.2, … sharing one port, and a resolver on a port of its own that
// knows the zone as the first server has it.
type world struct {
	port     string
	servers  []*zoneServer
	addrs    []string // 127.0.0.i:port, as results name them
	resolver string
}

// zone is bellows.test served by n nameservers ns1…nsN at 127.0.0.1…N.
func zone(n int) []string {
	recs := []string{"bellows.test. 3600 IN SOA ns1.bellows.test. hostmaster.bellows.test. 1 7200 3600 1209600 300"}
	for i := 1; i <= n; i++ {
		recs = append(recs,
			fmt.Sprintf("bellows.test. 3600 IN NS ns%d.bellows.test.", i),
			fmt.Sprintf("ns%d.bellows.test. 3600 IN A 127.0.0.%d", i, i))
	}
	return recs
}

// newWorld serves base plus each spec's records on one server per spec;
// base nil means zone(len(specs)).
func newWorld(t testing.TB, base []string, specs ...nsSpec) *world {
	t.Helper()
	if base == nil {
		base = zone(len(specs))
	}
	ips := make([]string, len(specs))
	for i := range specs {
		ips[i] = "127.0.0." + strconv.Itoa(i+1)
	}
	port, pcs, ls := listenShared(t, ips)
	w := &world{port: port}
	for i, spec := range specs {
		data := base
		if spec.zone != nil {
			data = spec.zone
		}
		s := &zoneServer{data: newZoneData(append(slices.Clone(data), spec.records...)...), fault: spec.fault}
		start(t, pcs[i], ls[i], s)
		w.servers = append(w.servers, s)
		w.addrs = append(w.addrs, net.JoinHostPort(ips[i], port))
	}
	resolver := &zoneServer{data: newZoneData(append(slices.Clone(base), specs[0].records...)...), resolver: true}
	pc, l := listen(t)
	start(t, pc, l, resolver)
	w.resolver = pc.LocalAddr().String()
	return w
}

// checker asks the world, a lab on loopback, with attempts short enough
// for tests.
func (w *world) checker() Checker {
	return Checker{Resolver: w.resolver, Port: w.port, Timeout: 200 * time.Millisecond, Lab: true}
}

// listenShared takes one port free for UDP and TCP on every address.
// Addresses other than 127.0.0.1 need a loopback /8 (Linux has one; some
// systems need an alias), so the test is skipped where they cannot be
// bound.
func listenShared(t testing.TB, ips []string) (string, []net.PacketConn, []net.Listener) {
	t.Helper()
	for range 20 {
		first, err := net.ListenPacket("udp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(first.LocalAddr().String())
		pcs, ls := []net.PacketConn{first}, []net.Listener(nil)
		closeAll := func() {
			for _, pc := range pcs {
				pc.Close()
			}
			for _, l := range ls {
				l.Close()
			}
		}
		var failed error
		for i, ip := range ips {
			addr := net.JoinHostPort(ip, port)
			if i > 0 {
				pc, err := net.ListenPacket("udp", addr)
				if err != nil {
					failed = err
					break
				}
				pcs = append(pcs, pc)
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				failed = err
				break
			}
			ls = append(ls, l)
		}
		if failed == nil {
			return port, pcs, ls
		}
		closeAll()
		if errors.Is(failed, syscall.EADDRNOTAVAIL) {
			t.Skipf("cannot listen on %v: %v", ips, failed)
		}
	}
	t.Fatalf("no port free for UDP and TCP on all of %v", ips)
	return "", nil, nil
}
