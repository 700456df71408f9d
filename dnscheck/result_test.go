package dnscheck

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOverall(t *testing.T) {
	tests := []struct {
		name    string
		servers []Outcome
		want    Outcome
	}{
		{"one found", []Outcome{Found}, Found},
		{"all found", []Outcome{Found, Found}, Found},
		{"silent server does not veto", []Outcome{Found, Timeout}, Found},
		{"none answered", []Outcome{Timeout, Timeout}, Timeout},
		{"no servers", nil, Timeout},
		{"one missing", []Outcome{Found, Missing}, Missing},
		{"wrong value beats missing", []Outcome{Missing, WrongValue, Found}, WrongValue},
		{"missing beats error", []Outcome{DNSError, Missing}, Missing},
		{"error blocks found", []Outcome{Found, DNSError}, DNSError},
		{"refused connection does not veto", []Outcome{Found, ConnectionRefused}, Found},
		{"server not asked does not veto", []Outcome{NotAsked, Found}, Found},
		{"only servers not asked", []Outcome{NotAsked, NotAsked}, NotAsked},
		{"refused beats not asked", []Outcome{NotAsked, ConnectionRefused}, ConnectionRefused},
		{"silence beats refused", []Outcome{ConnectionRefused, Timeout, NotAsked}, Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var servers []ServerResult
			for _, o := range tt.servers {
				servers = append(servers, ServerResult{Outcome: o})
			}
			if got := overall(servers, nil); got != tt.want {
				t.Errorf("overall(%v) = %s, want %s", tt.servers, got, tt.want)
			}
		})
	}
}

// TestOverallDelegation: a parent that answered without delegating the
// zone blocks; one that could not be asked or heard does not, like a server.
func TestOverallDelegation(t *testing.T) {
	found := []ServerResult{{Outcome: Found}}
	for _, tt := range []struct {
		del  *Delegation
		want Outcome
	}{
		{nil, Found},
		{&Delegation{Outcome: Found}, Found},
		{&Delegation{Outcome: DNSError, Reason: ReasonNotDelegated}, DNSError},
		{&Delegation{Outcome: DNSError, Reason: ReasonNoParent}, DNSError},
		{&Delegation{Outcome: Timeout, Reason: ReasonNoAnswer}, Found},
		{&Delegation{Outcome: NotAsked, Reason: ReasonNoParent}, Found}, // a lab without the parent zone
		{&Delegation{Outcome: NotAsked, Reason: ReasonPrivate}, Found},
	} {
		if got := overall(found, tt.del); got != tt.want {
			t.Errorf("overall with delegation %+v = %s, want %s", tt.del, got, tt.want)
		}
	}
}

func TestMessage(t *testing.T) {
	const ns1, ns2 = "ns1.bellows.test:53", "192.0.2.2:53"
	result := func(kind Kind, value string, servers ...ServerResult) Result {
		return Result{Domain: "bellows.test", Expect: Expect{Kind: kind, Value: value}, Outcome: overall(servers, nil), Servers: servers}
	}
	tests := []struct {
		name   string
		result Result
		want   string
	}{
		{"found", result(TXT, token, ServerResult{Server: ns1, Outcome: Found}),
			"TXT record for bellows.test found at ns1.bellows.test:53."},
		{"missing", result(TXT, token, ServerResult{Server: ns1, Outcome: Missing, Detail: "NXDOMAIN"}),
			"ns1.bellows.test:53 has no TXT record for bellows.test (NXDOMAIN): not published yet, DNS changes can take up to an hour."},
		{"wrong value", result(TXT, token, ServerResult{Server: ns1, Outcome: WrongValue, Values: []string{"MS=32DD", "F00D"}}),
			`ns1.bellows.test:53 has TXT "MS=32DD", "F00D" for bellows.test, want "MS=32DDF00D": correct the record at your DNS provider.`},
		{"wrong mx", Result{Domain: "bellows.test", Expect: Expect{Kind: MX, Value: "ms1.msv1.invalid.", Preference: 32767}, Outcome: WrongValue,
			Servers: []ServerResult{{Server: ns1, Outcome: WrongValue, Values: []string{"10 ms1.msv1.invalid."}}}},
			`ns1.bellows.test:53 has MX "10 ms1.msv1.invalid." for bellows.test, want "32767 ms1.msv1.invalid.": correct the record at your DNS provider.`},
		{"timeout", result(TXT, token, ServerResult{Server: ns1, Outcome: Timeout, Reason: ReasonNoAnswer, Detail: "UDP: i/o timeout"}),
			"ns1.bellows.test:53 did not answer the TXT query for bellows.test in time, try later."},
		{"dns error", result(TXT, token, ServerResult{Server: ns1, Outcome: DNSError, Detail: "SERVFAIL"}),
			"DNS error (SERVFAIL) from ns1.bellows.test:53 asking for the TXT record of bellows.test, try later."},
		{"servers disagree", result(TXT, token, ServerResult{Server: ns1, Outcome: Found}, ServerResult{Server: ns2, Outcome: Missing, Detail: "NODATA"}),
			"192.0.2.2:53 has no TXT record for bellows.test (NODATA): not published yet, DNS changes can take up to an hour."},
		{"nobody asked", Result{Domain: "bellows.test", Expect: Expect{Kind: TXT, Value: token}},
			"No DNS server was asked for the TXT record of bellows.test."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.result.Message(); got != tt.want {
				t.Errorf("Message() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		s    ServerResult
		want string
	}{
		{ServerResult{Name: "ns1.bellows.test", Server: "127.0.0.1:5353"}, "ns1.bellows.test (127.0.0.1:5353)"},
		{ServerResult{Server: "127.0.0.1:5353"}, "127.0.0.1:5353"},   // single-server mode
		{ServerResult{Name: "ns2.bellows.test"}, "ns2.bellows.test"}, // no address
	}
	for _, tt := range tests {
		if got := tt.s.Label(); got != tt.want {
			t.Errorf("Label() = %q, want %q", got, tt.want)
		}
	}
	b, err := json.Marshal(Result{Domain: "bellows.test", Zone: "bellows.test", Servers: []ServerResult{tests[0].s}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"zone":"bellows.test"`, `"name":"ns1.bellows.test"`, `"server":"127.0.0.1:5353"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

func TestDelegationSentence(t *testing.T) {
	tests := []struct {
		d    *Delegation
		want string
	}{
		{nil, ""},
		{&Delegation{Parent: "test", Outcome: Found}, ""},
		{&Delegation{Outcome: NotAsked, Reason: ReasonNoParent, Detail: "no NS records at test or any parent below the root"}, ""},
		{&Delegation{Parent: "test", Outcome: DNSError, Reason: ReasonNotDelegated, Detail: "not delegated: NXDOMAIN from 192.0.2.1:53"},
			"bellows.test is not delegated by its parent zone test (not delegated: NXDOMAIN from 192.0.2.1:53): resolvers cannot find its servers; check the domain's registration and NS records at your registrar."},
		{&Delegation{Outcome: DNSError, Reason: ReasonNoParent, Detail: "no NS records at test or any parent below the root"},
			"The parent zone of bellows.test could not be found (no NS records at test or any parent below the root), so its delegation could not be compared: outside a lab it must be; check the DNS resolver setting."},
		{&Delegation{Outcome: Timeout, Reason: ReasonNoAnswer, Detail: "test. NS: resolver 192.0.2.53:53: UDP: no answer within 3s"},
			"The parent zone of bellows.test could not be looked up (test. NS: resolver 192.0.2.53:53: UDP: no answer within 3s), so servers only its delegation names were not asked."},
		{&Delegation{Parent: "test", Outcome: Timeout, Reason: ReasonNoAnswer, Detail: "bellows.test. NS: parent server 192.0.2.1:53: UDP: no answer within 3s"},
			"The delegation of bellows.test could not be read from its parent zone test (bellows.test. NS: parent server 192.0.2.1:53: UDP: no answer within 3s), so servers only it names were not asked."},
	}
	for _, tt := range tests {
		if got := tt.d.sentence("bellows.test"); got != tt.want {
			t.Errorf("sentence(%+v) =\n%s\nwant\n%s", tt.d, got, tt.want)
		}
	}
}
