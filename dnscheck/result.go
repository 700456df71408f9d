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
	Timeout    Outcome = "timeout"
	DNSError   Outcome = "dns-error" // SERVFAIL, REFUSED, an unreachable server, a mismatched answer
)

// ServerResult is what one server said.
type ServerResult struct {
	Server  string        `json:"server"` // host:port asked
	Outcome Outcome       `json:"outcome"`
	Values  []string      `json:"values,omitempty"` // what the server returned (TXT joined strings / MX exchanges), for wrong-value reports and the audit log
	RTT     time.Duration `json:"rtt"`              // time spent asking this server, all attempts
	Detail  string        `json:"detail,omitempty"` // human text: e.g. rcode name, error text
}

// Result is the check of one domain, with what each server asked said.
type Result struct {
	Domain  string         `json:"domain"`
	Expect  Expect         `json:"expect"`
	Outcome Outcome        `json:"outcome"` // overall: Found only if every answering server found it
	Servers []ServerResult `json:"servers"`
}

// Verified reports whether the domain proved it publishes the record.
func (r Result) Verified() bool {
	return r.Outcome == Found && len(r.Servers) > 0
}

// severity orders failures by how much they tell the admin: a wrong value
// is a mistake to fix, a missing record may only be slow to appear, and an
// error or silence says nothing about the record at all.
var severity = map[Outcome]int{Found: 0, Timeout: 1, DNSError: 2, Missing: 3, WrongValue: 4}

// overall is Found only if every server that answered found the record
// (PRODUCT.md §3): a server that stays silent does not veto the others,
// but if none answered the check timed out.
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
		return fmt.Sprintf("No DNS server was asked for the %s record of %s.", kind, r.Domain)
	}
	if r.Verified() {
		return fmt.Sprintf("%s record for %s found at %s.", kind, r.Domain, serverNames(r.Servers, Found))
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
	switch s.Outcome {
	case Missing:
		return fmt.Sprintf("%s has no %s record for %s (%s): not published yet, DNS changes can take up to an hour.", s.Server, kind, domain, s.Detail)
	case WrongValue:
		return fmt.Sprintf("%s has %s %s for %s, want %q: correct the record at your DNS provider.", s.Server, kind, quoteAll(s.Values), domain, want)
	case Timeout:
		return fmt.Sprintf("%s did not answer the %s query for %s in time, try later.", s.Server, kind, domain)
	case DNSError:
		return fmt.Sprintf("DNS error (%s) from %s asking for the %s record of %s, try later.", s.Detail, s.Server, kind, domain)
	}
	return fmt.Sprintf("%s: %s record for %s: %s.", s.Server, kind, domain, s.Outcome)
}

func serverNames(servers []ServerResult, o Outcome) string {
	var names []string
	for _, s := range servers {
		if s.Outcome == o {
			names = append(names, s.Server)
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
