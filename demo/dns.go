package demo

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"selfserve/model"
)

// DNS is the demo's authoritative name server on loopback: it plays the
// admin's DNS provider. It serves one zone per demo domain (SOA, NS and the
// name server's address) and whatever challenge records are published into
// it, over UDP and TCP on the same port, so the product's real checker can
// walk to it exactly as it walks to a real provider's servers.
type DNS struct {
	Addr string // 127.0.0.1:port
	Port string

	mu      sync.RWMutex
	zones   map[string]bool     // apex names, fully qualified
	records map[string][]dns.RR // owner → published challenge records
	servers []*dns.Server
}

// StartDNS serves zones for domains on a free loopback port (addr "" ) or
// on addr.
func StartDNS(addr string, domains ...string) (*DNS, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	pc, l, err := listenBoth(addr)
	if err != nil {
		return nil, fmt.Errorf("demo DNS: %w", err)
	}
	d := &DNS{Addr: pc.LocalAddr().String(), zones: map[string]bool{}, records: map[string][]dns.RR{}}
	_, d.Port, _ = net.SplitHostPort(d.Addr)
	for _, dom := range domains {
		d.zones[dns.Fqdn(dom)] = true
	}
	h := dns.HandlerFunc(d.serve)
	d.servers = []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}}
	for _, s := range d.servers {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go s.ActivateAndServe()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			d.Close()
			return nil, fmt.Errorf("demo DNS on %s did not start", d.Addr)
		}
	}
	return d, nil
}

// listenBoth opens UDP and TCP on one port: truncated answers are retried
// over TCP at the address UDP gave. With port 0 the TCP side of the port
// UDP was given may be taken (by an outgoing connection, for one), so a
// few other ports are tried; a fixed port is tried once.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	tries := 1
	if port == "0" {
		tries = 20
	}
	for i := 1; ; i++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if i == tries || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, err
		}
	}
}

// Close stops the server.
func (d *DNS) Close() error {
	for _, s := range d.servers {
		s.Shutdown()
	}
	return nil
}

// AddZone makes the server authoritative for one more domain.
func (d *DNS) AddZone(domain string) {
	d.mu.Lock()
	d.zones[dns.Fqdn(domain)] = true
	d.mu.Unlock()
}

// Publish adds the record a challenge asks for, as an admin would at their
// provider. Its domain must be (under) one of the served zones.
func (d *DNS) Publish(rec model.RecordSpec) error {
	rr, err := toRR(rec)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.zoneOf(rr.Header().Name) == "" {
		return fmt.Errorf("demo DNS serves no zone for %s", rec.Name)
	}
	owner := strings.ToLower(rr.Header().Name)
	for _, have := range d.records[owner] {
		if dns.IsDuplicate(have, rr) {
			return nil
		}
	}
	d.records[owner] = append(d.records[owner], rr)
	return nil
}

// Clear withdraws every published record (the demo's restore).
func (d *DNS) Clear() {
	d.mu.Lock()
	d.records = map[string][]dns.RR{}
	d.mu.Unlock()
}

func toRR(rec model.RecordSpec) (dns.RR, error) {
	hdr := dns.RR_Header{Name: dns.Fqdn(strings.ToLower(rec.Name)), Class: dns.ClassINET, Ttl: uint32(rec.TTL)}
	switch rec.Type {
	case "TXT":
		hdr.Rrtype = dns.TypeTXT
		return &dns.TXT{Hdr: hdr, Txt: []string{rec.Value}}, nil
	case "MX":
		hdr.Rrtype = dns.TypeMX
		return &dns.MX{Hdr: hdr, Preference: uint16(rec.Preference), Mx: dns.Fqdn(rec.Value)}, nil
	}
	return nil, fmt.Errorf("demo DNS cannot publish %s records", rec.Type)
}

// zoneOf returns the served apex that name falls under ("" if none).
func (d *DNS) zoneOf(name string) string {
	name = strings.ToLower(dns.Fqdn(name))
	for n := name; ; {
		if d.zones[n] {
			return n
		}
		i := strings.IndexByte(n, '.')
		if i < 0 || i == len(n)-1 {
			return ""
		}
		n = n[i+1:]
	}
}

func (d *DNS) serve(w dns.ResponseWriter, q *dns.Msg) {
	r := new(dns.Msg)
	r.SetReply(q)
	if len(q.Question) != 1 {
		r.Rcode = dns.RcodeFormatError
		w.WriteMsg(r)
		return
	}
	d.mu.RLock()
	d.answer(r, q.Question[0])
	d.mu.RUnlock()
	if opt := q.IsEdns0(); opt != nil {
		r.SetEdns0(opt.UDPSize(), false)
	}
	w.WriteMsg(r)
}

func (d *DNS) answer(r *dns.Msg, question dns.Question) {
	name := strings.ToLower(question.Name)
	apex := d.zoneOf(name)
	if apex == "" {
		r.Rcode = dns.RcodeRefused
		return
	}
	r.Authoritative = true
	ns := "ns1." + apex
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns: ns, Mbox: "hostmaster." + apex, Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60}
	var rrs []dns.RR
	exists := true
	switch {
	case name == apex:
		rrs = append(rrs, soa, &dns.NS{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: ns})
	case name == ns:
		rrs = append(rrs, &dns.A{Hdr: dns.RR_Header{Name: ns, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
	default:
		exists = len(d.records[name]) > 0
	}
	rrs = append(rrs, d.records[name]...)
	for _, rr := range rrs {
		if rr.Header().Rrtype == question.Qtype {
			r.Answer = append(r.Answer, dns.Copy(rr))
		}
	}
	if len(r.Answer) == 0 {
		// NODATA or NXDOMAIN: the SOA in authority tells how long a
		// resolver may remember the absence (RFC 2308).
		r.Ns = append(r.Ns, soa)
		if !exists {
			r.Rcode = dns.RcodeNameError
		}
	}
}
