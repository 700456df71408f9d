package dnscheck

import (
	"fmt"
	"strings"
	"time"
)

// Outcome classifies what a server answered, or that it did not.
type Outcome string

const (
	Found      Outcome = "found"
	Missing    Outcome = "missing"     // NXDOMAIN, or no record of the kind at the domain
	WrongValue Outcome = "wrong-value" // records of the kind, none with the wanted value
	Timeout    Outcome = "timeout"     // no answer: silent, or unreachable
	DNSError   Outcome = "dns-error"   // SERVFAIL, REFUSED, a lame server, a mismatched answer, no address for an NS name
)

// ServerResult is what one server said.
type ServerResult struct {
	Name    string        `json:"name,omitempty"` // NS host name, e.g. "ns1.bellows.test"; empty in single-server mode
	Server  string        `json:"server"`         // ip:port asked; empty for an NS name without an address
	Outcome Outcome       `json:"outcome"`
	Values  []string      `json:"values,omitempty"` // what the server returned (TXT joined strings / MX exchanges), for wrong-value reports and the audit log
	RTT     time.Duration `json:"rtt"`              // time spent asking this server, all attempts
	Detail  string        `json:"detail,omitempty"` // human text: e.g. rcode name, error text
}

// Label names the server for people: "ns1.bellows.test (127.0.0.1:53)",
// or whichever of name and address is known.
func (s ServerResult) Label() string {
	switch {
	case s.Name == "":
		return s.Server
	case s.Server == "":
		return s.Name
	}
	return s.Name + " (" + s.Server + ")"
}

// Result is the check of one domain, with what each server asked said.
type Result struct {
	Domain  string         `json:"domain"`
	Zone    string         `json:"zone,omitempty"` // the zone whose servers were asked; empty in single-server mode
	Expect  Expect         `json:"expect"`
	Outcome Outcome        `json:"outcome"` // overall, see overall
	Servers []ServerResult `json:"servers"`
	Detail  string         `json:"detail,omitempty"` // set when the servers could not be found: which step failed and why
}

// Verified reports whether the domain proved it publishes the record.
func (r Result) Verified() bool {
	return r.Outcome == Found && len(r.Servers) > 0
}

// severity orders failures by how much they tell the admin: a wrong value
// is a mistake to fix, a missing record may only be slow to appear, and an
// error says nothing about the record at all.
var severity = map[Outcome]int{Found: 0, Timeout: 1, DNSError: 2, Missing: 3, WrongValue: 4}

// overall combines the servers' outcomes (PRODUCT.md §3: every answering
// authoritative server must show the record):
//   - a Timeout (silent or unreachable server) does not veto: it says
//     nothing about the record, and one dead server of two must not keep
//     an admin from proving the domain. If no server answered, Timeout.
//   - every other outcome counts, and the most telling one wins: WrongValue,
//     then Missing, then DNSError, then Found. So Found needs at least one
//     Found and nothing but Found and Timeout.
//   - a DNSError does block: a SERVFAIL may hide an old value, and a lame or
//     REFUSED server is a broken delegation the admin must fix — resolvers
//     out there ask it too.
func overall(servers []ServerResult) Outcome {
	worst, answered := Found, false
	for _, s := range servers {
		if s.Outcome == Timeout {
			continue
		}
		answered = true
		if severity[s.Outcome] > severity[worst] {
			worst = s.Outcome
		}
	}
	if !answered {
		return Timeout
	}
	return worst
}

// Message says in one or two sentences what to do next, naming each server
// that did not show the record and what it answered.
func (r Result) Message() string {
	kind := strings.ToUpper(string(r.Expect.Kind))
	if len(r.Servers) == 0 {
		if r.Detail != "" {
			msg := fmt.Sprintf("Could not check the %s record of %s: %s.", kind, r.Domain, r.Detail)
			if r.Outcome == Timeout {
				msg += " Try later."
			}
			return msg
		}
		return fmt.Sprintf("No DNS server was asked for the %s record of %s.", kind, r.Domain)
	}
	if r.Verified() {
		msg := fmt.Sprintf("%s record for %s found at %s.", kind, r.Domain, serverNames(r.Servers, Found))
		if silent := serverNames(r.Servers, Timeout); silent != "" {
			msg += fmt.Sprintf(" No answer from %s.", silent)
		}
		return msg
	}
	var out []string
	for _, s := range r.Servers {
		if s.Outcome != Found {
			out = append(out, s.sentence(kind, r.Domain, r.Expect.Value))
		}
	}
	return strings.Join(out, " ")
}

func (s ServerResult) sentence(kind, domain, want string) string {
	who := s.Label()
	switch s.Outcome {
	case Missing:
		return fmt.Sprintf("%s has no %s record for %s (%s): not published yet, DNS changes can take up to an hour.", who, kind, domain, s.Detail)
	case WrongValue:
		return fmt.Sprintf("%s has %s %s for %s, want %q: correct the record at your DNS provider.", who, kind, quoteAll(s.Values), domain, want)
	case Timeout:
		if s.Server == "" || strings.Contains(s.Detail, errUnreachable.Error()) {
			return fmt.Sprintf("%s could not be reached (%s), try later.", who, s.Detail)
		}
		return fmt.Sprintf("%s did not answer the %s query for %s in time, try later.", who, kind, domain)
	case DNSError:
		if s.Server == "" {
			return fmt.Sprintf("%s cannot be asked (%s): fix the NS records or the server's address records.", who, s.Detail)
		}
		if s.Detail == lame {
			return fmt.Sprintf("%s is %s for %s: fix the NS records at your registrar or DNS provider.", who, lame, domain)
		}
		return fmt.Sprintf("DNS error (%s) from %s asking for the %s record of %s, try later.", s.Detail, who, kind, domain)
	}
	return fmt.Sprintf("%s: %s record for %s: %s.", who, kind, domain, s.Outcome)
}

func serverNames(servers []ServerResult, o Outcome) string {
	var names []string
	for _, s := range servers {
		if s.Outcome == o {
			names = append(names, s.Label())
		}
	}
	return strings.Join(names, ", ")
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
