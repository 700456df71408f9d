package demo

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/ops"
	"selfserve/store"
)

func ask(t *testing.T, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDemoDNSPublishAndClear(t *testing.T) {
	d, err := StartDNS("", Bellows)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if r := ask(t, d.Addr, Bellows, dns.TypeSOA); !r.Authoritative || len(r.Answer) != 1 {
		t.Fatalf("SOA: %v", r)
	}
	if r := ask(t, d.Addr, Bellows, dns.TypeTXT); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("nothing published yet must be NODATA: %v", r)
	}
	if r := ask(t, d.Addr, "nosuch."+Bellows, dns.TypeTXT); r.Rcode != dns.RcodeNameError {
		t.Fatalf("unknown name must be NXDOMAIN: %v", r)
	}
	if r := ask(t, d.Addr, "example.org", dns.TypeTXT); r.Rcode != dns.RcodeRefused {
		t.Fatalf("a zone it does not serve must be REFUSED: %v", r)
	}
	rec := model.RecordSpec{Name: Bellows + ".", Type: "TXT", Value: "MS=0123", TTL: 3600}
	if err := d.Publish(rec); err != nil {
		t.Fatal(err)
	}
	if r := ask(t, d.Addr, Bellows, dns.TypeTXT); len(r.Answer) != 1 || !strings.Contains(r.Answer[0].String(), "MS=0123") {
		t.Fatalf("published TXT: %v", r)
	}
	d.Clear()
	if r := ask(t, d.Addr, Bellows, dns.TypeTXT); len(r.Answer) != 0 {
		t.Fatalf("cleared TXT still served: %v", r)
	}
	if err := d.Publish(model.RecordSpec{Name: "example.org.", Type: "TXT", Value: "x"}); err == nil {
		t.Fatal("publishing outside the served zones must fail")
	}
}

// The demo's takeover goes through the product's own checker, walking to
// the demo server as it would to a real provider's.
func TestDemoTakeoverThroughDemoDNS(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Build(st, Size{Directories: 5, BigUsers: 10}); err != nil {
		t.Fatal(err)
	}
	d, err := StartDNS("", Bellows, Contoso, ContosoUK)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := &ops.Console{Store: st, DNS: dnscheck.Checker{Resolver: d.Addr, Port: d.Port, Timeout: time.Second, Lab: true}}
	ch, err := c.Challenge(Bellows, Dan, model.ModeTXT, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Verify(ctx, Bellows, Dan, ops.VerifyOptions{}); err == nil {
		t.Fatal("verify before publishing must fail")
	}
	if err := d.Publish(ch.Challenge.Record()); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Verify(ctx, Bellows, Dan, ops.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Directory.State != model.Managed || rep.Check.Servers[0].Name == "" {
		t.Fatalf("after verify: %+v", rep)
	}
	uk, err := c.Challenge(ContosoUK, ContosoAdmin, model.ModeMX, Contoso)
	if err != nil {
		t.Fatal(err)
	}
	d.Publish(uk.Challenge.Record())
	rep, err = c.Verify(ctx, ContosoUK, ContosoAdmin, ops.VerifyOptions{Force: true})
	if err != nil || rep.Job == nil || rep.Job.Moved != 48 {
		t.Fatalf("external takeover through the demo DNS: %+v %v", rep, err)
	}
}

// The demo DNS takes UDP and TCP on one port. With many TCP ports taken
// (as by the SSH clients of a busy demo server), the TCP side of the port
// UDP gets is sometimes in use: StartDNS must then try another port.
func TestStartDNSWhenTCPPortsAreTaken(t *testing.T) {
	var held []net.Listener
	t.Cleanup(func() {
		for _, l := range held {
			l.Close()
		}
	})
	for range 700 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, l)
	}
	for i := range 150 {
		d, err := StartDNS("")
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		d.Close()
	}
	// A fixed port is not changed behind the caller's back.
	if _, err := StartDNS(held[0].Addr().String()); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("StartDNS on a taken port: %v", err)
	}
}
