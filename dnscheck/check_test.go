package dnscheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const token = "MS=32DDF00D"

var (
	wantTXT = Expect{Kind: TXT, Value: token}
	wantMX  = Expect{Kind: MX, Value: "MS12345678.msv1.invalid", Preference: 32767}
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler dns.HandlerFunc
		domain  string // "" means bellows.test
		want    Expect
		outcome Outcome
		values  []string
		detail  string // substring of Detail
	}{
		{name: "txt found", handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "`+token+`"`),
			want: wantTXT, outcome: Found, values: []string{token}},
		{name: "txt found, domain with trailing dot", domain: "bellows.test.",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "`+token+`"`),
			want:    wantTXT, outcome: Found, values: []string{token}},
		{name: "txt found among other records, owner in other case",
			handler: reply(dns.RcodeSuccess, `BELLOWS.test. 300 IN TXT "v=spf1 -all"`, `Bellows.Test. 300 IN TXT "`+token+`"`),
			want:    wantTXT, outcome: Found, values: []string{"v=spf1 -all", token}},
		{name: "txt split into strings of one record", handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "MS=32" "DD" "F00D"`),
			want: wantTXT, outcome: Found, values: []string{token}},
		{name: "txt split across two records",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "MS=32DD"`, `bellows.test. 300 IN TXT "F00D"`),
			want:    wantTXT, outcome: WrongValue, values: []string{"MS=32DD", "F00D"}},
		{name: "txt near miss", handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "MS=32DDF00E"`),
			want: wantTXT, outcome: WrongValue, values: []string{"MS=32DDF00E"}},
		{name: "txt only through a CNAME",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN CNAME elsewhere.test.`, `elsewhere.test. 300 IN TXT "`+token+`"`),
			want:    wantTXT, outcome: Missing, detail: "NODATA"},
		{name: "nxdomain", handler: reply(dns.RcodeNameError), want: wantTXT, outcome: Missing, detail: "NXDOMAIN"},
		{name: "nodata", handler: reply(dns.RcodeSuccess), want: wantTXT, outcome: Missing, detail: "NODATA"},
		{name: "servfail", handler: reply(dns.RcodeServerFailure), want: wantTXT, outcome: DNSError, detail: "SERVFAIL"},
		{name: "refused", handler: reply(dns.RcodeRefused), want: wantTXT, outcome: DNSError, detail: "REFUSED"},
		{name: "servfail with extended error", handler: servfailEDE, want: wantTXT, outcome: DNSError,
			detail: "SERVFAIL; extended error 22 (No Reachable Authority): (at delegation bellows.test)"},
		{name: "truncated over UDP, found over TCP",
			handler: overUDP(truncated, reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "`+token+`"`)),
			want:    wantTXT, outcome: Found, values: []string{token}, detail: "over TCP (UDP: answer truncated)"},
		{name: "silent over UDP, found over TCP",
			handler: overUDP(silent, reply(dns.RcodeSuccess, `bellows.test. 300 IN TXT "`+token+`"`)),
			want:    wantTXT, outcome: Found, values: []string{token}, detail: "over TCP (UDP: "},
		{name: "answer to another question", handler: otherQuestion, want: wantTXT, outcome: DNSError,
			detail: "answer did not match the question: asked bellows.test. TXT, got other.test. TXT"},
		{name: "mx found, mixed case, wanted without trailing dot",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN MX 32767 ms12345678.MSV1.invalid.`),
			want:    wantMX, outcome: Found, values: []string{"32767 ms12345678.MSV1.invalid."}},
		{name: "mx found, wanted with trailing dot",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN MX 10 mail.bellows.test.`, `bellows.test. 300 IN MX 32767 ms12345678.msv1.invalid.`),
			want:    Expect{Kind: MX, Value: "ms12345678.msv1.invalid.", Preference: 32767}, outcome: Found,
			values: []string{"10 mail.bellows.test.", "32767 ms12345678.msv1.invalid."}},
		{name: "mx wrong host", handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN MX 32767 ms87654321.msv1.invalid.`),
			want: wantMX, outcome: WrongValue, values: []string{"32767 ms87654321.msv1.invalid."}},
		{name: "mx nodata", handler: reply(dns.RcodeSuccess), want: wantMX, outcome: Missing, detail: "NODATA"},
		// Issue 10 point 22: the preference is part of the record, and an
		// alias is refused for MX as for TXT.
		{name: "mx right host, another preference",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN MX 10 ms12345678.msv1.invalid.`),
			want:    wantMX, outcome: WrongValue, values: []string{"10 ms12345678.msv1.invalid."}},
		{name: "mx only through a CNAME",
			handler: reply(dns.RcodeSuccess, `bellows.test. 300 IN CNAME elsewhere.test.`, `elsewhere.test. 300 IN MX 32767 ms12345678.msv1.invalid.`),
			want:    wantMX, outcome: Missing, detail: "bellows.test is an alias of elsewhere.test."},
		{name: "mx under a DNAME, with the CNAME synthesized",
			handler: reply(dns.RcodeSuccess, `test. 300 IN DNAME example.`, `bellows.test. 300 IN CNAME bellows.example.`,
				`bellows.example. 300 IN MX 32767 ms12345678.msv1.invalid.`),
			want: wantMX, outcome: Missing, detail: "bellows.test is an alias of bellows.example."},
		{name: "mx under a DNAME, without the CNAME",
			handler: reply(dns.RcodeSuccess, `test. 300 IN DNAME example.`, `bellows.test. 300 IN MX 32767 ms12345678.msv1.invalid.`),
			want:    wantMX, outcome: Missing, detail: "under the DNAME of test"},
		{name: "txt under a DNAME, without the CNAME",
			handler: reply(dns.RcodeSuccess, `test. 300 IN DNAME example.`, `bellows.test. 300 IN TXT "`+token+`"`),
			want:    wantTXT, outcome: Missing, detail: "under the DNAME of test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := serve(t, tt.handler)
			domain := tt.domain
			if domain == "" {
				domain = "bellows.test"
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			res, err := Checker{Server: server, Timeout: 200 * time.Millisecond}.Check(ctx, domain, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if res.Domain != "bellows.test" || res.Expect != tt.want || len(res.Servers) != 1 {
				t.Fatalf("result = %+v", res)
			}
			sr := res.Servers[0]
			if res.Outcome != tt.outcome || sr.Outcome != tt.outcome || res.Verified() != (tt.outcome == Found) {
				t.Errorf("outcome = %s (server %s, detail %q), want %s", res.Outcome, sr.Outcome, sr.Detail, tt.outcome)
			}
			if !slices.Equal(sr.Values, tt.values) {
				t.Errorf("values = %q, want %q", sr.Values, tt.values)
			}
			if !strings.Contains(sr.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", sr.Detail, tt.detail)
			}
			if sr.Server != server || sr.RTT <= 0 {
				t.Errorf("server = %q, rtt = %v", sr.Server, sr.RTT)
			}
			if msg := res.Message(); !strings.Contains(msg, server) && tt.outcome != Found {
				t.Errorf("message %q does not name the server", msg)
			}
		})
	}
}

// truncated is a UDP answer cut short, holding a wrong value that must not
// be judged.
func truncated(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Truncated = true
	m.Answer = rrs(`bellows.test. 300 IN TXT "MS=partial"`)
	_ = w.WriteMsg(m)
}

func servfailEDE(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetRcode(q, dns.RcodeServerFailure)
	m.SetEdns0(udpSize, false)
	opt := m.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeNoReachableAuthority, ExtraText: "at delegation bellows.test"})
	_ = w.WriteMsg(m)
}

// otherQuestion answers with the query's ID but for another name, with
// records that would otherwise pass.
func otherQuestion(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Question[0].Name = "other.test."
	m.Answer = rrs(`other.test. 300 IN TXT "`+token+`"`, `bellows.test. 300 IN TXT "`+token+`"`)
	_ = w.WriteMsg(m)
}

func TestCheckTimeouts(t *testing.T) {
	t.Parallel()
	t.Run("per attempt, UDP then TCP", func(t *testing.T) {
		t.Parallel()
		server := serve(t, silent)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		res, err := Checker{Server: server, Timeout: 100 * time.Millisecond}.Check(ctx, "bellows.test", wantTXT)
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Timeout || res.Servers[0].Outcome != Timeout {
			t.Fatalf("outcome = %s, want timeout: %+v", res.Outcome, res.Servers)
		}
		if d := res.Servers[0].Detail; d != "UDP: no answer within 100ms; TCP: no answer within 100ms" {
			t.Errorf("detail %q should name both attempts", d)
		}
		if elapsed < 200*time.Millisecond || elapsed > time.Second {
			t.Errorf("took %v, want two attempts of 100ms", elapsed)
		}
		if msg := res.Message(); !strings.Contains(msg, server) || !strings.Contains(msg, "in time") {
			t.Errorf("message = %q", msg)
		}
	})
	t.Run("context deadline before the attempt timeout", func(t *testing.T) {
		t.Parallel()
		server := serve(t, silent)
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, err := Checker{Server: server}.Check(ctx, "bellows.test", wantTXT)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Timeout || res.Servers[0].Detail != "UDP: no answer before the deadline" {
			t.Errorf("outcome = %s (%q), want timeout at the deadline", res.Outcome, res.Servers[0].Detail)
		}
		if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
			t.Errorf("took %v, want the context's 150ms", elapsed)
		}
	})
	t.Run("cancelled context is an error", func(t *testing.T) {
		t.Parallel()
		server := serve(t, silent)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := Checker{Server: server}.Check(ctx, "bellows.test", wantTXT)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
			t.Errorf("took %v after cancelling at 50ms", elapsed)
		}
	})
}

func TestCheckSetupErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		checker Checker
		domain  string
		want    Expect
		err     error
	}{
		{"empty domain", Checker{Server: "127.0.0.1:53"}, "", wantTXT, ErrBadDomain},
		{"root", Checker{Server: "127.0.0.1:53"}, ".", wantTXT, ErrBadDomain},
		{"space in domain", Checker{Server: "127.0.0.1:53"}, "bellows college.test", wantTXT, ErrBadDomain},
		{"not IDNA-encoded", Checker{Server: "127.0.0.1:53"}, "bücher.test", wantTXT, ErrBadDomain},
		{"empty label", Checker{Server: "127.0.0.1:53"}, "bellows..test", wantTXT, ErrBadDomain},
		{"unknown kind", Checker{Server: "127.0.0.1:53"}, "bellows.test", Expect{Kind: "a", Value: "x"}, ErrBadExpect},
		{"empty token", Checker{Server: "127.0.0.1:53"}, "bellows.test", Expect{Kind: TXT}, ErrBadExpect},
		{"server without port", Checker{Server: "127.0.0.1"}, "bellows.test", wantTXT, ErrNoServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.checker.Check(t.Context(), tt.domain, tt.want)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// Not parallel: it points the package at another resolv.conf.
func TestCheckNoResolverConfigured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte("search bellows.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := resolvConf
	resolvConf = path
	t.Cleanup(func() { resolvConf = old })
	_, err := Checker{}.Check(t.Context(), "bellows.test", wantTXT)
	if !errors.Is(err, ErrNoServer) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want ErrNoServer naming %s", err, path)
	}
}

// TestCheckConnectionRefused (issue 10 point 24): a port with nothing
// listening answers UDP with ICMP port unreachable, which a connected UDP
// socket reads as ECONNREFUSED, and TCP with a reset: that is its own
// outcome, not a timeout, and it comes back at once.
func TestCheckConnectionRefused(t *testing.T) {
	t.Parallel()
	pc, l := listen(t)
	closed := pc.LocalAddr().String()
	pc.Close()
	l.Close()
	start := time.Now()
	res, err := Checker{Server: closed, Timeout: 2 * time.Second}.Check(t.Context(), "bellows.test", wantTXT)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != ConnectionRefused || res.Servers[0].Outcome != ConnectionRefused || res.Servers[0].Reason != ReasonConnRefused {
		t.Fatalf("outcome %s (%+v), want connection-refused", res.Outcome, res.Servers)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v: a refusal needs no timeout", took)
	}
	if msg := res.Message(); !strings.Contains(msg, "refused the connection") || !strings.Contains(msg, closed) {
		t.Errorf("message = %q", msg)
	}
}
