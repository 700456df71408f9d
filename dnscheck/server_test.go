package dnscheck

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

// serve starts a DNS server with handler h on one loopback port for both
// UDP and TCP, and returns its host:port.
func serve(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	pc, l := listen(t)
	start(t, pc, l, h)
	return pc.LocalAddr().String()
}

// start serves h on pc and l until the test ends.
func start(t testing.TB, pc net.PacketConn, l net.Listener, h dns.Handler) {
	t.Helper()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
}

// listen takes a free UDP port and the same TCP port; another process may
// hold the TCP side, so try a few ports.
func listen(t testing.TB) (net.PacketConn, net.Listener) {
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return nil, nil
}

// reply answers every query with rcode and the given records, after
// checking the query is shaped as PRODUCT.md §3 asks (EDNS0 1232, RD):
// a query that is not gets FORMERR, which no test expects.
func reply(rcode int, records ...string) dns.HandlerFunc {
	answer := rrs(records...)
	return func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(q, rcode)
		if opt := q.IsEdns0(); opt == nil || opt.UDPSize() != udpSize || !q.RecursionDesired {
			m.SetRcode(q, dns.RcodeFormatError)
		} else {
			m.Answer = answer
		}
		_ = w.WriteMsg(m)
	}
}

// overUDP serves UDP queries with udp and TCP queries with tcp.
func overUDP(udp, tcp dns.HandlerFunc) dns.HandlerFunc {
	return func(w dns.ResponseWriter, q *dns.Msg) {
		if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
			udp(w, q)
		} else {
			tcp(w, q)
		}
	}
}

// silent never answers.
func silent(dns.ResponseWriter, *dns.Msg) {}

func rrs(records ...string) []dns.RR {
	var out []dns.RR
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		out = append(out, rr)
	}
	return out
}
