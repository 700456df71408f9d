package dnscheck

import (
	"fmt"
	"strings"
	"time"
)

// Outcome classifies what a server answered, or that it did not.
type Outcome string

const (
	Found             Outcome = "found"
	Missing           Outcome = "missing"            // NXDOMAIN, no record of the kind at the domain, or only through an alias
	WrongValue        Outcome = "wrong-value"        // records of the kind, none with the wanted value
	Timeout           Outcome = "timeout"            // no answer: silent, or no route to it
	ConnectionRefused Outcome = "connection-refused" // nothing listens there (ICMP port unreachable, TCP reset)
	NotAsked          Outcome = "not-asked"          // an address the Internet cannot reach, outside a lab
	DNSError          Outcome = "dns-error"          // SERVFAIL, REFUSED, a lame server, a mismatched answer, no address for an NS name
)

// ServerResult is what one server said.
type ServerResult struct {
	Name    string        `json:"name,omitempty"` // NS host name, e.g. "ns1.bellows.test"; empty in single-server mode
	Server  string        `json:"server"`         // ip:port asked; empty for an NS name without an address
	Outcome Outcome       `json:"outcome"`
	Reason  Reason        `json:"reason,omitempty"` // why, when not Found
	Values  []string      `json:"values,omitempty"` // what the server returned (TXT joined strings / MX "preference exchange"), for wrong-value reports and the audit log
	RTT     time.Duration `json:"rtt"`              // time spent asking this server, all attempts
	Detail  string        `json:"detail,omitempty"` // human text: e.g. rcode name, error text
	// ParentOnly: only the parent zone's delegation names this server
	// (or gives this address of it); the zone's own NS set does not.
	ParentOnly bool `json:"parentOnly,omitempty"`
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
	// Reason and Detail are set when the servers could not be found: why,
	// and which step failed in words.
	Reason Reason `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Delegation is what the parent zone said; nil in single-server mode
	// and for a zone right under the root.
	Delegation *Delegation `json:"delegation,omitempty"`
}

// Delegation is the parent zone's NS set for the zone, read from one of
// the parent's servers, or why it could not be read.
type Delegation struct {
	Parent  string   `json:"parent,omitempty"` // the parent zone; empty when none was found
	Server  string   `json:"server,omitempty"` // the parent's server that answered
	NS      []string `json:"ns,omitempty"`     // the names it delegates to
	Outcome Outcome  `json:"outcome"`          // Found when read
	Reason  Reason   `json:"reason,omitempty"`
	Detail  string   `json:"detail,omitempty"`
}

// blocks reports whether the parent's answer keeps the domain from being
// verified: it answered, and what it said (no delegation, an error) means
// resolvers out there may not reach the servers that were asked. Silence
// does not block, as for the servers themselves.
func (d *Delegation) blocks() bool {
	return d != nil && d.Outcome == DNSError
}

// Verified reports whether the domain proved it publishes the record.
func (r Result) Verified() bool {
	return r.Outcome == Found && len(r.Servers) > 0
}

// severity orders failures by how much they tell the admin: a wrong value
// is a mistake to fix, a missing record may only be slow to appear, and an
// error says nothing about the record at all.
var severity = map[Outcome]int{Found: 0, DNSError: 2, Missing: 3, WrongValue: 4}

// silentOutcome reports outcomes that say nothing about the record because
// nothing was heard from the server.
func silentOutcome(o Outcome) bool {
	return o == Timeout || o == ConnectionRefused || o == NotAsked
}

// overall combines the servers' outcomes and the parent's delegation
// (PRODUCT.md §3: every answering authoritative server must show the
// record):
//   - a server not heard from (silent, refusing connections, or at an
//     address not asked outside a lab) does not veto: it says nothing about
//     the record, and one dead server of two must not keep an admin from
//     proving the domain. If no server was heard from, the result says
//     why: Timeout before ConnectionRefused before NotAsked, the first
//     being the one worth trying again.
//   - every other outcome counts, and the most telling one wins: WrongValue,
//     then Missing, then DNSError, then Found. So Found needs at least one
//     Found and nothing but Found and servers not heard from.
//   - a DNSError does block: a SERVFAIL may hide an old value, and a lame or
//     REFUSED server is a broken delegation the admin must fix — resolvers
//     out there ask it too. So does a parent that answered but does not
//     delegate the zone.
func overall(servers []ServerResult, del *Delegation) Outcome {
	worst, answered := Found, false
	if del.blocks() {
		worst, answered = DNSError, true
	}
	for _, s := range servers {
		if silentOutcome(s.Outcome) {
			continue
		}
		answered = true
		if severity[s.Outcome] > severity[worst] {
			worst = s.Outcome
		}
	}
	if answered {
		return worst
	}
	quiet := Timeout // also when there is no server at all
	for _, s := range servers {
		switch {
		case s.Outcome == Timeout:
			return Timeout
		case s.Outcome == ConnectionRefused, quiet == Timeout:
			quiet = s.Outcome
		}
	}
	return quiet
}

// Message says in one or two sentences what to do next, naming each server
// that did not show the record and what it answered.
func (r Result) Message() string {
	kind := strings.ToUpper(string(r.Expect.Kind))
	if len(r.Servers) == 0 {
		if r.Reason != "" {
			msg := fmt.Sprintf("Could not check the %s record of %s: %s.", kind, r.Domain, r.Detail)
			if r.Outcome == Timeout {
				msg += " Try later."
			}
			return msg
		}
		return fmt.Sprintf("No DNS server was asked for the %s record of %s.", kind, r.Domain)
	}
	var out []string
	if r.Verified() {
		out = append(out, fmt.Sprintf("%s record for %s found at %s.", kind, r.Domain, serverNames(r.Servers, Found)))
		if silent := serverNames(r.Servers, Timeout); silent != "" {
			out = append(out, fmt.Sprintf("No answer from %s.", silent))
		}
		for _, s := range r.Servers {
			if s.Outcome == ConnectionRefused || s.Outcome == NotAsked {
				out = append(out, s.sentence(kind, r.Domain, r.Expect.want()))
			}
		}
	} else {
		for _, s := range r.Servers {
			if s.Outcome != Found {
				out = append(out, s.sentence(kind, r.Domain, r.Expect.want()))
			}
		}
	}
	if d := r.Delegation.sentence(r.Zone); d != "" {
		out = append(out, d)
	}
	return strings.Join(out, " ")
}

func (s ServerResult) sentence(kind, domain, want string) string {
	who := s.Label()
	if s.ParentOnly {
		who += ", named only by the parent zone's delegation,"
	}
	switch s.Outcome {
	case Missing:
		return fmt.Sprintf("%s has no %s record for %s (%s): not published yet, DNS changes can take up to an hour.", who, kind, domain, s.Detail)
	case WrongValue:
		return fmt.Sprintf("%s has %s %s for %s, want %q: correct the record at your DNS provider.", who, kind, quoteAll(s.Values), domain, want)
	case Timeout:
		if s.Reason == ReasonNoAnswer && s.Server != "" {
			return fmt.Sprintf("%s did not answer the %s query for %s in time, try later.", who, kind, domain)
		}
		return fmt.Sprintf("%s could not be reached (%s), try later.", who, s.Detail)
	case ConnectionRefused:
		return fmt.Sprintf("%s refused the connection: no DNS server listens there; fix the server or the NS records.", who)
	case NotAsked:
		return fmt.Sprintf("%s was not asked: %s, which the Internet cannot reach; such servers are asked only when the operator runs a lab.", who, s.Detail)
	case DNSError:
		switch s.Reason {
		case ReasonNoAddress:
			return fmt.Sprintf("%s cannot be asked (%s): fix the NS records or the server's address records.", who, s.Detail)
		case ReasonLame:
			return fmt.Sprintf("%s is %s for %s: fix the NS records at your registrar or DNS provider.", who, lame, domain)
		}
		return fmt.Sprintf("DNS error (%s) from %s asking for the %s record of %s, try later.", s.Detail, who, kind, domain)
	}
	return fmt.Sprintf("%s: %s record for %s: %s.", who, kind, domain, s.Outcome)
}

// sentence says what went wrong reading the parent's delegation of zone,
// or "" when it was read (or, in a lab, there was no parent to read).
func (d *Delegation) sentence(zone string) string {
	switch {
	case d == nil || d.Outcome == Found || d.Reason == ReasonNoParent && d.Outcome == NotAsked:
		return ""
	case d.Reason == ReasonNotDelegated:
		return fmt.Sprintf("%s is not delegated by its parent zone %s (%s): resolvers cannot find its servers; check the domain's registration and NS records at your registrar.", zone, d.Parent, d.Detail)
	case d.Reason == ReasonNoParent:
		return fmt.Sprintf("The parent zone of %s could not be found (%s), so its delegation could not be compared: outside a lab it must be; check the DNS resolver setting.", zone, d.Detail)
	case d.Parent == "":
		return fmt.Sprintf("The parent zone of %s could not be looked up (%s), so servers only its delegation names were not asked.", zone, d.Detail)
	}
	return fmt.Sprintf("The delegation of %s could not be read from its parent zone %s (%s), so servers only it names were not asked.", zone, d.Parent, d.Detail)
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
