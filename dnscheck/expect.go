package dnscheck

import (
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Kind is the type of record a challenge asks for.
type Kind string

const (
	TXT Kind = "txt"
	MX  Kind = "mx"
)

// Expect is the record the challenge asks for. TXT: Value is the token
// (e.g. "MS=32DD..."). MX: Value is the exchange host (e.g.
// "ms12345678.msv1.invalid."), compared as a canonical name
// (case-insensitive, trailing dot optional).
type Expect struct {
	Kind  Kind   `json:"kind"`
	Value string `json:"value"`
}

// qtype checks that the expectation can be asked for at all and says which
// query type asks for it.
func (e Expect) qtype() (uint16, error) {
	if e.Value == "" {
		return 0, fmt.Errorf("%w: %s with an empty value", ErrBadExpect, e.Kind)
	}
	switch e.Kind {
	case TXT:
		return dns.TypeTXT, nil
	case MX:
		if _, ok := dns.IsDomainName(e.Value); !ok {
			return 0, fmt.Errorf("%w: MX host %q", ErrBadExpect, e.Value)
		}
		return dns.TypeMX, nil
	}
	return 0, fmt.Errorf("%w: kind %q", ErrBadExpect, e.Kind)
}

// match returns what the answer holds for the expectation and whether one
// of those values is the one wanted. owner is the queried name, canonical.
func (e Expect) match(owner string, answer []dns.RR) (values []string, found bool) {
	switch e.Kind {
	case TXT:
		return matchTXT(owner, e.Value, answer)
	case MX:
		return matchMX(e.Value, answer)
	}
	return nil, false
}

// matchTXT joins the strings of each record on its own: a record may be
// split into 255-byte strings (RFC 7208 §3.3 does the same for SPF), but two
// records holding halves of the token do not publish it. Records for other
// owners, such as those reached through a CNAME, are not the domain's own
// and are ignored. Values are in miekg's presentation form, which equals the
// raw bytes for printable ASCII without quotes or backslashes — the only
// alphabet tokens use.
func matchTXT(owner, token string, answer []dns.RR) (values []string, found bool) {
	for _, rr := range answer {
		txt, ok := rr.(*dns.TXT)
		if !ok || dns.CanonicalName(txt.Hdr.Name) != owner {
			continue
		}
		v := strings.Join(txt.Txt, "")
		values = append(values, v)
		// Constant time, so that response timing does not tell a prober
		// how much of a guessed token was right.
		if subtle.ConstantTimeCompare([]byte(v), []byte(token)) == 1 {
			found = true
		}
	}
	return values, found
}

// matchMX accepts MX records whatever their owner: mail follows a CNAME
// to its target's MX (RFC 5321 §5.1), so so does the check.
func matchMX(host string, answer []dns.RR) (values []string, found bool) {
	want := dns.CanonicalName(host)
	for _, rr := range answer {
		mx, ok := rr.(*dns.MX)
		if !ok {
			continue
		}
		values = append(values, mx.Mx)
		if dns.CanonicalName(mx.Mx) == want {
			found = true
		}
	}
	return values, found
}
