package dnscheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// txt is a TXT record at owner made of the given strings.
func txt(owner string, strs ...string) string {
	return owner + ` 300 IN TXT "` + strings.Join(strs, `" "`) + `"`
}

// chunks cuts s into TXT strings of at most 255 bytes (RFC 1035 §3.3).
func chunks(s string) []string {
	var out []string
	for len(s) > 255 {
		out, s = append(out, s[:255]), s[255:]
	}
	return append(out, s)
}

// longToken is a token of n bytes.
func longToken(n int) string {
	return ("MS=" + strings.Repeat("0123456789ABCDEF", n/16+1))[:n]
}

func TestCheckAuthoritative(t *testing.T) {
	t.Parallel()
	var (
		apexTXT = txt("bellows.test.", token)
		both    = func(records ...string) []nsSpec {
			return []nsSpec{{records: records}, {records: records}}
		}
		token600, token2000 = longToken(600), longToken(2000)
	)
	tests := []struct {
		name    string
		base    []string // nil: zone(len(specs))
		specs   []nsSpec
		domain  string // "" means bellows.test
		want    Expect
		outcome Outcome
		servers []Outcome
		labels  []string // "" or PORT-templated expected Label() per server; nil: nsI.bellows.test (127.0.0.I:PORT)
		detail  []string // substring of each server's Detail
		udpOnly bool     // no server needed TCP
		message []string // substrings of Message
	}{
		{name: "found at both", specs: both(apexTXT), want: wantTXT, outcome: Found, servers: []Outcome{Found, Found}, udpOnly: true,
			message: []string{"TXT record for bellows.test found at ns1.bellows.test (127.0.0.1:PORT), ns2.bellows.test (127.0.0.2:PORT)."}},
		{name: "split into strings of one record", specs: both(txt("bellows.test.", "MS=32", "DD", "F00D")),
			want: wantTXT, outcome: Found, servers: []Outcome{Found, Found}},
		{name: "600-byte TXT fits EDNS0 over UDP", specs: both(txt("bellows.test.", chunks(token600)...)),
			want: Expect{Kind: TXT, Value: token600}, outcome: Found, servers: []Outcome{Found, Found}, udpOnly: true},
		{name: "2000-byte TXT is truncated over UDP, read over TCP", specs: both(txt("bellows.test.", chunks(token2000)...)),
			want: Expect{Kind: TXT, Value: token2000}, outcome: Found, servers: []Outcome{Found, Found},
			detail: []string{"over TCP (UDP: answer truncated)", "over TCP (UDP: answer truncated)"}},
		{name: "truncated UDP answer is not judged",
			specs: []nsSpec{{records: []string{apexTXT}, fault: truncatedUDP}, {records: []string{apexTXT}, fault: truncatedUDP}},
			want:  wantTXT, outcome: Found, servers: []Outcome{Found, Found},
			detail: []string{"over TCP (UDP: answer truncated)", "over TCP (UDP: answer truncated)"}},
		{name: "value split across two records", specs: both(txt("bellows.test.", "MS=32DD"), txt("bellows.test.", "F00D")),
			want: wantTXT, outcome: WrongValue, servers: []Outcome{WrongValue, WrongValue},
			message: []string{`has TXT "MS=32DD", "F00D" for bellows.test, want "MS=32DDF00D"`}},
		{name: "NXDOMAIN", specs: both(apexTXT), domain: "nothere.bellows.test", want: wantTXT,
			outcome: Missing, servers: []Outcome{Missing, Missing}, detail: []string{"NXDOMAIN", "NXDOMAIN"},
			message: []string{"not published yet, DNS changes can take up to an hour"}},
		{name: "NODATA", specs: both(), want: wantTXT,
			outcome: Missing, servers: []Outcome{Missing, Missing}, detail: []string{"NODATA", "NODATA"}},
		{name: "SERVFAIL with extended error",
			specs: []nsSpec{{fault: servfailWithEDE}, {fault: servfailWithEDE}}, want: wantTXT,
			outcome: DNSError, servers: []Outcome{DNSError, DNSError},
			detail: []string{"SERVFAIL; extended error 6 (DNSSEC Bogus): (signature expired)"}},
		{name: "CNAME at the name: walk skips it, TXT behind it does not count",
			specs:  both(apexTXT, "www.bellows.test. 300 IN CNAME bellows.test."),
			domain: "www.bellows.test", want: wantTXT, outcome: Missing, servers: []Outcome{Missing, Missing},
			detail: []string{"NODATA (www.bellows.test is an alias of bellows.test.;"}},
		{name: "TXT beside a CNAME does not count",
			specs:  both(`www.bellows.test. 300 IN CNAME elsewhere.test.`, txt("www.bellows.test.", token)),
			domain: "www.bellows.test", want: wantTXT, outcome: Missing, servers: []Outcome{Missing, Missing}},
		{name: "MX mixed case, wanted without trailing dot", specs: both("bellows.test. 300 IN MX 32767 Ms12345678.MSV1.Invalid."),
			want: wantMX, outcome: Found, servers: []Outcome{Found, Found}},
		{name: "MX wanted with trailing dot", specs: both("bellows.test. 300 IN MX 10 mail.bellows.test.", "bellows.test. 300 IN MX 32767 ms12345678.msv1.invalid"),
			want: Expect{Kind: MX, Value: "ms12345678.MSV1.invalid.", Preference: 32767}, outcome: Found, servers: []Outcome{Found, Found}},
		{name: "MX right host, another preference", specs: both("bellows.test. 300 IN MX 0 ms12345678.msv1.invalid."),
			want: wantMX, outcome: WrongValue, servers: []Outcome{WrongValue, WrongValue},
			message: []string{`has MX "0 ms12345678.msv1.invalid." for bellows.test, want "32767 MS12345678.msv1.invalid"`}},
		{name: "MX at a CNAME does not count",
			specs:  both("www.bellows.test. 300 IN CNAME bellows.test.", "bellows.test. 300 IN MX 32767 ms12345678.msv1.invalid."),
			domain: "www.bellows.test", want: wantMX, outcome: Missing, servers: []Outcome{Missing, Missing},
			detail: []string{"NODATA (www.bellows.test is an alias of bellows.test.; the MX record must be at the name itself"}},
		{name: "MX wrong host", specs: both("bellows.test. 300 IN MX 32767 ms87654321.msv1.invalid."),
			want: wantMX, outcome: WrongValue, servers: []Outcome{WrongValue, WrongValue}},
		{name: "IDN domain in its ASCII form", specs: both(txt("xn--bcher-kva.bellows.test.", token)),
			domain: "xn--bcher-kva.bellows.test", want: wantTXT, outcome: Found, servers: []Outcome{Found, Found}},
		{name: "walk up past an empty non-terminal", specs: both(txt("a.b.bellows.test.", token)),
			domain: "A.b.Bellows.test.", want: wantTXT, outcome: Found, servers: []Outcome{Found, Found}},

		// One server of two misbehaving: a silent or unreachable server
		// does not block, a wrong one does.
		{name: "one server silent", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: silentNS}},
			want: wantTXT, outcome: Found, servers: []Outcome{Found, Timeout},
			detail:  []string{"", "UDP: no answer within 200ms; TCP: no answer within 200ms"},
			message: []string{"found at ns1.bellows.test (127.0.0.1:PORT). No answer from ns2.bellows.test (127.0.0.2:PORT)."}},
		{name: "one server refuses connections", base: zone(2), specs: []nsSpec{{records: []string{apexTXT}}},
			want: wantTXT, outcome: Found, servers: []Outcome{Found, ConnectionRefused},
			detail: []string{"", "UDP: connection refused; TCP: connection refused"}},
		{name: "both servers silent", specs: []nsSpec{{fault: silentNS}, {fault: silentNS}},
			want: wantTXT, outcome: Timeout, servers: []Outcome{Timeout, Timeout},
			message: []string{"ns1.bellows.test (127.0.0.1:PORT) did not answer the TXT query for bellows.test in time, try later."}},
		{name: "one server lame", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: notAuthoritative}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError}, detail: []string{"", lame},
			message: []string{"ns2.bellows.test (127.0.0.2:PORT) is not authoritative (lame delegation) for bellows.test: fix the NS records"}},
		{name: "one server lame, saying NXDOMAIN", domain: "nothere.bellows.test",
			specs: []nsSpec{{}, {fault: notAuthoritative}},
			want:  wantTXT, outcome: Missing, servers: []Outcome{Missing, DNSError}, detail: []string{"NXDOMAIN", lame}},
		{name: "one server refers elsewhere", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: referral}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError}, detail: []string{"", lame}},
		{name: "one server refuses", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: refusing}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError}, detail: []string{"", "REFUSED"},
			message: []string{"DNS error (REFUSED) from ns2.bellows.test (127.0.0.2:PORT)"}},
		{name: "one server answers with a wrong ID", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: wrongID}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError},
			detail: []string{"", "UDP: no answer within 200ms; TCP: dns: id mismatch"}},
		{name: "one server answers another question", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: wrongQuestion}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError},
			detail: []string{"", "UDP: answer did not match the question: asked bellows.test. TXT, got other.test. TXT (NOERROR); TCP: answer did not match"}},
		{name: "one server sends a query, not a response", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{apexTXT}, fault: notResponse}},
			want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError},
			detail: []string{"", "got a message that is not a response"}},
		{name: "servers disagree", specs: []nsSpec{{records: []string{apexTXT}}, {records: []string{txt("bellows.test.", "MS=00000000")}}},
			want: wantTXT, outcome: WrongValue, servers: []Outcome{Found, WrongValue},
			message: []string{`ns2.bellows.test (127.0.0.2:PORT) has TXT "MS=00000000" for bellows.test, want "MS=32DDF00D": correct the record`}},

		// Finding the servers.
		{name: "glue-less: NS names in another zone", base: []string{
			"bellows.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
			"bellows.test. 3600 IN NS ns1.provider.test.", "bellows.test. 3600 IN NS ns2.provider.test.",
			"provider.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
			"ns1.provider.test. 3600 IN A 127.0.0.1", "ns2.provider.test. 3600 IN A 127.0.0.2",
		}, specs: both(apexTXT), want: wantTXT, outcome: Found, servers: []Outcome{Found, Found},
			labels: []string{"ns1.provider.test (127.0.0.1:PORT)", "ns2.provider.test (127.0.0.2:PORT)"}},
		{name: "NS name without an address", base: slices.DeleteFunc(zone(2), func(s string) bool { return strings.HasPrefix(s, "ns2.") }),
			specs: both(apexTXT), want: wantTXT, outcome: DNSError, servers: []Outcome{Found, DNSError},
			labels: []string{"", "ns2.bellows.test"}, detail: []string{"", "no address: no A record (NXDOMAIN); no AAAA record (NXDOMAIN)"},
			message: []string{"ns2.bellows.test cannot be asked (no address:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.base, tt.specs...)
			domain := cmp.Or(tt.domain, "bellows.test")
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			res, err := w.checker().Check(ctx, domain, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			wantDomain := strings.TrimSuffix(strings.ToLower(domain), ".")
			if res.Domain != wantDomain || res.Zone != "bellows.test" || res.Expect != tt.want || res.Detail != "" {
				t.Errorf("result = %+v", res)
			}
			if res.Outcome != tt.outcome || res.Verified() != (tt.outcome == Found) {
				t.Errorf("outcome = %s, want %s", res.Outcome, tt.outcome)
			}
			got := make([]Outcome, len(res.Servers))
			for i, s := range res.Servers {
				got[i] = s.Outcome
			}
			if !slices.Equal(got, tt.servers) {
				t.Fatalf("server outcomes = %v, want %v: %+v", got, tt.servers, res.Servers)
			}
			port := func(s string) string { return strings.ReplaceAll(s, "PORT", w.port) }
			for i, s := range res.Servers {
				label := fmt.Sprintf("ns%d.bellows.test (127.0.0.%d:%s)", i+1, i+1, w.port)
				if i < len(tt.labels) && tt.labels[i] != "" {
					label = port(tt.labels[i])
				}
				if s.Label() != label {
					t.Errorf("server %d = %q, want %q", i, s.Label(), label)
				}
				if i < len(tt.detail) && !strings.Contains(s.Detail, tt.detail[i]) {
					t.Errorf("%s: detail = %q, want it to contain %q", s.Label(), s.Detail, tt.detail[i])
				}
				if tt.udpOnly && strings.Contains(s.Detail, "TCP") {
					t.Errorf("%s: detail = %q, want an answer over UDP", s.Label(), s.Detail)
				}
				if s.Outcome == Found && !slices.Contains(s.Values, tt.want.Value) && tt.want.Kind == TXT {
					t.Errorf("%s: found, but values = %q", s.Label(), s.Values)
				}
				if s.Server != "" && s.RTT <= 0 {
					t.Errorf("%s: rtt = %v", s.Label(), s.RTT)
				}
			}
			msg := res.Message()
			for _, s := range res.Servers {
				if s.Outcome != Found && !strings.Contains(msg, s.Label()) {
					t.Errorf("message %q does not name %s", msg, s.Label())
				}
			}
			for _, m := range tt.message {
				if !strings.Contains(msg, port(m)) {
					t.Errorf("message =\n%s\nwant it to contain\n%s", msg, port(m))
				}
			}
		})
	}
}

// TestCheckWalkFailures: when the servers cannot be found the Result
// says why (a Reason, for code) and which step failed (Detail and the
// message, for people); it is not a Go error.
func TestCheckWalkFailures(t *testing.T) {
	t.Parallel()
	soa := "bellows.test. 3600 IN SOA ns1.bellows.test. hostmaster.bellows.test. 1 7200 3600 1209600 300"
	tests := []struct {
		name     string
		base     []string
		resolver func(t *testing.T) string // "" uses the world's
		domain   string
		outcome  Outcome
		reason   Reason
		message  string
	}{
		{name: "no zone up to the root", domain: "nowhere.example", outcome: DNSError, reason: ReasonNoZone,
			message: "Could not check the TXT record of nowhere.example: finding the zone: no NS records at nowhere.example or any parent below the root (is the domain registered?)."},
		{name: "SOA without an NS set is no zone", base: []string{soa}, outcome: DNSError, reason: ReasonNoZone,
			message: "Could not check the TXT record of bellows.test: finding the zone: no NS records at bellows.test or any parent below the root (is the domain registered?)."},
		{name: "no NS name has an address", base: []string{soa, "bellows.test. 3600 IN NS ns1.bellows.test.", "bellows.test. 3600 IN NS ns9.nowhere.example."},
			outcome: DNSError, reason: ReasonNoAddress,
			message: "Could not check the TXT record of bellows.test: addresses of the nameservers: ns1.bellows.test: no address: no A record (NXDOMAIN); no AAAA record (NXDOMAIN); ns9.nowhere.example: no address: no A record (NXDOMAIN); no AAAA record (NXDOMAIN)."},
		{name: "resolver silent", resolver: func(t *testing.T) string { return serve(t, silent) }, outcome: Timeout, reason: ReasonNoAnswer,
			message: "Could not check the TXT record of bellows.test: finding the zone: bellows.test. NS: resolver RESOLVER: UDP: no answer within 200ms; TCP: no answer within 200ms. Try later."},
		{name: "resolver fails", resolver: func(t *testing.T) string { return serve(t, reply(2)) }, outcome: DNSError, reason: ReasonRcode,
			message: "Could not check the TXT record of bellows.test: finding the zone: bellows.test. NS: resolver RESOLVER: SERVFAIL."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.base, nsSpec{})
			c := w.checker()
			if tt.resolver != nil {
				c.Resolver = tt.resolver(t)
			}
			domain := cmp.Or(tt.domain, "bellows.test")
			res, err := c.Check(t.Context(), domain, wantTXT)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome || res.Reason != tt.reason || res.Verified() || len(res.Servers) != 0 || res.Detail == "" {
				t.Errorf("result = %+v, want outcome %s, reason %s and a detail", res, tt.outcome, tt.reason)
			}
			want := strings.ReplaceAll(tt.message, "RESOLVER", c.Resolver)
			if msg := res.Message(); msg != want {
				t.Errorf("message =\n%s\nwant\n%s", msg, want)
			}
		})
	}
}

func TestCheckAuthoritativeContext(t *testing.T) {
	t.Parallel()
	t.Run("deadline while servers are silent", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, nil, nsSpec{fault: silentNS}, nsSpec{fault: silentNS})
		c := w.checker()
		c.Timeout = 0 // 3s per attempt: the context's deadline comes first
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, err := c.Check(ctx, "bellows.test", wantTXT)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Timeout || len(res.Servers) != 2 || res.Servers[1].Detail != "UDP: no answer before the deadline" {
			t.Errorf("result = %+v, want both servers timed out at the deadline", res)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("took %v, want the context's 300ms", elapsed)
		}
	})
	t.Run("cancelled while servers are silent", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, nil, nsSpec{fault: silentNS}, nsSpec{fault: silentNS})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		c := w.checker()
		c.Timeout = 0
		start := time.Now()
		_, err := c.Check(ctx, "bellows.test", wantTXT)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("took %v after cancelling at 100ms", elapsed)
		}
	})
}

// TestCheckIsCold: every check asks again, from the zone down; nothing is
// cached between checks (a record just published must be seen).
func TestCheckIsCold(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nsSpec{records: []string{txt("bellows.test.", token)}}, nsSpec{records: []string{txt("bellows.test.", token)}})
	c := w.checker()
	for i := range 2 {
		before := w.servers[0].queries.Load() + w.servers[1].queries.Load()
		res, err := c.Check(t.Context(), "bellows.test", wantTXT)
		if err != nil || !res.Verified() {
			t.Fatalf("check %d: %v, %+v", i, err, res)
		}
		if asked := w.servers[0].queries.Load() + w.servers[1].queries.Load() - before; asked != 2 {
			t.Errorf("check %d asked the authoritative servers %d times, want 2", i, asked)
		}
	}
}

// TestCheckGlue: addresses that come with the NS answer are used as they
// are; NS names in another zone are looked up.
func TestCheckGlue(t *testing.T) {
	t.Parallel()
	glueless := []string{
		"bellows.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
		"bellows.test. 3600 IN NS ns1.provider.test.", "bellows.test. 3600 IN NS ns2.provider.test.",
		"provider.test. 3600 IN SOA ns1.provider.test. hostmaster.provider.test. 1 7200 3600 1209600 300",
		"ns1.provider.test. 3600 IN A 127.0.0.1", "ns2.provider.test. 3600 IN A 127.0.0.2",
	}
	for _, tt := range []struct {
		name    string
		base    []string
		queries int64 // to the resolver
	}{
		// NS, and NS of the parent test., which this resolver refuses:
		// the lab does without the delegation.
		{"in-zone names come with glue", nil, 1 + 1},
		{"names in another zone are looked up", glueless, 1 + 1 + 2*2}, // and A, AAAA of each
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			apex := []string{txt("bellows.test.", token)}
			w := newWorld(t, tt.base, nsSpec{records: apex}, nsSpec{records: apex})
			c := w.checker()
			c.Resolver = w.addrs[0] // ns1 doubles as the resolver, as in the benchmark
			res, err := c.Check(t.Context(), "bellows.test", wantTXT)
			if err != nil || !res.Verified() || len(res.Servers) != 2 {
				t.Fatalf("%v, %+v", err, res)
			}
			if got := w.servers[0].queries.Load() - 1; got != tt.queries {
				t.Errorf("the resolver was asked %d times, want %d", got, tt.queries)
			}
		})
	}
}

func TestCheckAuthoritativeSetupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		checker Checker
		want    Expect
		err     error
	}{
		{"resolver without port", Checker{Resolver: "127.0.0.1"}, wantTXT, ErrNoServer},
		{"port not a number", Checker{Resolver: "127.0.0.1:53", Port: "dns"}, wantTXT, ErrNoServer},
		{"port zero", Checker{Resolver: "127.0.0.1:53", Port: "0"}, wantTXT, ErrNoServer},
		{"token with a quote", Checker{Resolver: "127.0.0.1:53"}, Expect{Kind: TXT, Value: `MS="x`}, ErrBadExpect},
		{"token with a backslash", Checker{Resolver: "127.0.0.1:53"}, Expect{Kind: TXT, Value: `MS=\065`}, ErrBadExpect},
		{"token not ASCII", Checker{Resolver: "127.0.0.1:53"}, Expect{Kind: TXT, Value: "MS=ü"}, ErrBadExpect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.checker.Check(t.Context(), "bellows.test", tt.want)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
	if got := (Checker{}).port(); got != "53" {
		t.Errorf("default port = %q, want 53", got)
	}
}

// TestNearMissTokens: anything but the exact token is a wrong value.
func TestNearMissTokens(t *testing.T) {
	t.Parallel()
	near := [][]string{
		{"MS=32DDF00E"},              // last digit
		{"ms=32ddf00d"},              // case
		{"MS=32DDF00D "},             // trailing space
		{" MS=32DDF00D"},             // leading space
		{"MS=32DDF00"},               // prefix
		{"MS=32DDF00DD"},             // longer
		{"MS=32DD", "F00", "D "},     // split, with a space
		{"MS=32DDF00D", "MS=32DD"},   // token twice over in one record
		{"\"MS=32DDF00D\""},          // with quotes inside
		{"MS=32DDF00D\x00"},          // trailing NUL
		{"MS=32DDF00D\\"},            // trailing backslash
		{"MS=32DD\u00a0F00D"},        // non-breaking space
		{"MS\u200b=32DDF00D"},        // zero-width space
		{"MS=32DDF00D" + "\u0301"},   // combining accent
		{"MS=32DDF\u00d8\u00d8D"},    // Ø for 0
		{"MS\uff1d32DDF00D"},         // full-width =
		{"MS=32DDF0OD"},              // letter O for 0
		{"MS=32DDFOOD"},              // two of them
		{"MS=32DDF00D\nMS=32DDF00D"}, // newline
	}
	var specs []string
	for i, strs := range near {
		owner := fmt.Sprintf("n%d.bellows.test.", i)
		quoted := make([]string, len(strs))
		for j, s := range strs {
			quoted[j] = escapeTXT(s)
		}
		specs = append(specs, owner+` 300 IN TXT "`+strings.Join(quoted, `" "`)+`"`)
	}
	w := newWorld(t, nil, nsSpec{records: specs})
	for i := range near {
		t.Run(fmt.Sprintf("%q", near[i]), func(t *testing.T) {
			t.Parallel()
			res, err := w.checker().Check(t.Context(), fmt.Sprintf("n%d.bellows.test", i), wantTXT)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != WrongValue || len(res.Servers[0].Values) != 1 {
				t.Errorf("outcome = %s, values %q, want wrong-value", res.Outcome, res.Servers[0].Values)
			}
		})
	}
}

// escapeTXT writes s as the inside of a zone-file character-string
// (RFC 1035 §5.1): quotes and backslashes escaped, other bytes outside
// printable ASCII as \DDD.
func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
