package dnscheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// parentZone is test., served by ns.test at 127.0.0.ip, as a resolver
// knows it: its apex only, not what it delegates.
func parentZone(ip int) []string {
	return []string{
		"test. 3600 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300",
		"test. 3600 IN NS ns.test.",
		fmt.Sprintf("ns.test. 3600 IN A 127.0.0.%d", ip),
	}
}

// delegation is what test. says about bellows.test: NS names with their
// glue, one "nsN=127.0.0.M" each.
func delegation(servers ...string) []string {
	var recs []string
	for _, s := range servers {
		name, ip, _ := strings.Cut(s, "=")
		recs = append(recs, "bellows.test. 3600 IN NS "+name+".bellows.test.", name+".bellows.test. 3600 IN A "+ip)
	}
	return recs
}

// TestCheckAsksTheParentsDelegation (issue 10 point 21): the servers asked
// are the union of the zone's own NS set (ns1, ns2) and what the parent
// zone delegates to, so a server that only the parent names, and that
// resolvers out there therefore ask, cannot show another value unseen.
func TestCheckAsksTheParentsDelegation(t *testing.T) {
	t.Parallel()
	const parentIP = 4
	apexTXT, wrongTXT := txt("bellows.test.", token), txt("bellows.test.", "MS=00000000")
	base := append(zone(2), parentZone(parentIP)...)
	tests := []struct {
		name      string
		delegated []string // the parent's NS set, "nsN=ip"
		ns3       string   // what ns3 (127.0.0.3, not in the apex NS set) publishes
		outcome   Outcome
		labels    []string
		servers   []Outcome
	}{
		{name: "parent-only server answering another value blocks",
			delegated: []string{"ns1=127.0.0.1", "ns2=127.0.0.2", "ns3=127.0.0.3"}, ns3: wrongTXT,
			outcome: WrongValue, labels: []string{"ns1.bellows.test (127.0.0.1:PORT)", "ns2.bellows.test (127.0.0.2:PORT)", "ns3.bellows.test (127.0.0.3:PORT)"},
			servers: []Outcome{Found, Found, WrongValue}},
		{name: "parent-only server with the record",
			delegated: []string{"ns1=127.0.0.1", "ns3=127.0.0.3"}, ns3: apexTXT,
			outcome: Found, labels: []string{"ns1.bellows.test (127.0.0.1:PORT)", "ns2.bellows.test (127.0.0.2:PORT)", "ns3.bellows.test (127.0.0.3:PORT)"},
			servers: []Outcome{Found, Found, Found}},
		{name: "apex-only server is still asked",
			delegated: []string{"ns1=127.0.0.1"}, ns3: wrongTXT,
			outcome: Found, labels: []string{"ns1.bellows.test (127.0.0.1:PORT)", "ns2.bellows.test (127.0.0.2:PORT)"},
			servers: []Outcome{Found, Found}},
		{name: "the parent's glue names another address of a shared name",
			delegated: []string{"ns1=127.0.0.1", "ns2=127.0.0.3"}, ns3: wrongTXT,
			outcome: WrongValue, labels: []string{"ns1.bellows.test (127.0.0.1:PORT)", "ns2.bellows.test (127.0.0.2:PORT)", "ns2.bellows.test (127.0.0.3:PORT)"},
			servers: []Outcome{Found, Found, WrongValue}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, base,
				nsSpec{records: []string{apexTXT}},
				nsSpec{records: []string{apexTXT}},
				nsSpec{records: []string{tt.ns3}},
				nsSpec{zone: append(parentZone(parentIP), delegation(tt.delegated...)...)},
			)
			res, err := w.checker().Check(t.Context(), "bellows.test", wantTXT)
			if err != nil {
				t.Fatal(err)
			}
			var labels []string
			var got []Outcome
			for _, s := range res.Servers {
				labels, got = append(labels, s.Label()), append(got, s.Outcome)
			}
			want := make([]string, len(tt.labels))
			for i, l := range tt.labels {
				want[i] = strings.ReplaceAll(l, "PORT", w.port)
			}
			if !slices.Equal(labels, want) || !slices.Equal(got, tt.servers) || res.Outcome != tt.outcome {
				t.Fatalf("asked %q: %v, overall %s; want %q: %v, overall %s\n%+v", labels, got, res.Outcome, want, tt.servers, tt.outcome, res)
			}
			if w.servers[3].queries.Load() == 0 {
				t.Error("the parent zone's server was never asked")
			}
			if tt.outcome != Found && !strings.Contains(res.Message(), want[len(want)-1]) {
				t.Errorf("message %q does not name %s", res.Message(), want[len(want)-1])
			}
		})
	}
}

// TestCheckUndelegatedZone: a zone its parent does not delegate (an
// expired registration, a zone only the resolver's operator sees) cannot be
// reached from outside, whatever its own servers say.
func TestCheckUndelegatedZone(t *testing.T) {
	t.Parallel()
	const parentIP = 3
	apexTXT := txt("bellows.test.", token)
	w := newWorld(t, append(zone(2), parentZone(parentIP)...),
		nsSpec{records: []string{apexTXT}}, nsSpec{records: []string{apexTXT}},
		nsSpec{zone: parentZone(parentIP)})
	res, err := w.checker().Check(t.Context(), "bellows.test", wantTXT)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified() || res.Outcome != DNSError {
		t.Fatalf("outcome %s, want dns-error: %+v", res.Outcome, res)
	}
	if msg := res.Message(); !strings.Contains(msg, "not delegated") || !strings.Contains(msg, "NXDOMAIN") {
		t.Errorf("message %q should say the parent does not delegate the zone", msg)
	}
}
