package dnscheck

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// benchWorld is PRODUCT.md §6's setting: bellows.test with two
// authoritative servers on 127.0.0.1 and 127.0.0.2 sharing a port. base nil
// is zone(2), whose NS names are in the zone and come with glue. The
// parent zone test. is served by 127.0.0.1 too, so the check reads the
// delegation (issue 10 point 21) as it does in production.
func benchWorld(b *testing.B, base []string) *world {
	if base == nil {
		base = zone(2)
	}
	apex := []string{txt("bellows.test.", token)}
	return newWorld(b, append(base, parentZone(1)...), nsSpec{records: apex}, nsSpec{records: apex})
}

// slower returns the server of w whose plain exchange of the TXT question
// takes longer on average, and that average.
func slower(b *testing.B, w *world) (string, time.Duration) {
	b.Helper()
	client := new(dns.Client)
	q := query("bellows.test.", dns.TypeTXT, false)
	var server string
	var worst time.Duration
	for _, addr := range w.addrs {
		const n = 1000
		start := time.Now()
		for range n {
			if _, _, err := client.Exchange(q, addr); err != nil {
				b.Fatal(err)
			}
		}
		if d := time.Since(start) / n; d > worst {
			server, worst = addr, d
		}
	}
	return server, worst
}

// BenchmarkCheckTwoServers is the cold check of PRODUCT.md §6: the walk
// (the zone's NS set, with the parent's asked alongside), addresses (glue,
// here), then both servers in parallel while the parent's delegation is
// read, with ns1 doubling as the resolver and the parent's server. Nothing
// is cached between iterations (the checker has no cache). x-baseline is
// ns/op over one plain exchange to the slower server, measured in the same
// run; the target is ≤ 5.
func BenchmarkCheckTwoServers(b *testing.B) {
	benchCheck(b, nil)
}

// BenchmarkCheckTwoServersGlueless is the same with NS names in another
// zone: the addresses take a round of four more queries (A and AAAA of
// each name).
func BenchmarkCheckTwoServersGlueless(b *testing.B) {
	benchCheck(b, []string{
		"bellows.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
		"bellows.test. 3600 IN NS ns1.provider.test.", "bellows.test. 3600 IN NS ns2.provider.test.",
		"provider.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
		"ns1.provider.test. 3600 IN A 127.0.0.1", "ns2.provider.test. 3600 IN A 127.0.0.2",
	})
}

func benchCheck(b *testing.B, base []string) {
	w := benchWorld(b, base)
	_, baseline := slower(b, w)
	c := Checker{Resolver: w.addrs[0], Port: w.port, Lab: true}
	ctx := b.Context()
	n := 0
	for b.Loop() {
		res, err := c.Check(ctx, "bellows.test", wantTXT)
		if err != nil || !res.Verified() || len(res.Servers) != 2 || res.Delegation == nil || res.Delegation.Outcome != Found {
			b.Fatalf("%v: %+v", err, res)
		}
		n++
	}
	perCheck := b.Elapsed() / time.Duration(n)
	b.ReportMetric(float64(perCheck)/float64(baseline), "x-baseline")
}

// BenchmarkExchangeBaseline is one plain dns.Client.Exchange of the TXT
// question to the slower of the two servers.
func BenchmarkExchangeBaseline(b *testing.B) {
	w := benchWorld(b, nil)
	server, _ := slower(b, w)
	client := new(dns.Client)
	q := query("bellows.test.", dns.TypeTXT, false)
	for b.Loop() {
		r, _, err := client.Exchange(q, server)
		if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			b.Fatalf("%v: %v", err, r)
		}
	}
}
