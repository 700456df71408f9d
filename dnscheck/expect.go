package dnscheck

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"unicode/utf8"

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
// (case-insensitive, trailing dot optional), and Preference the preference
// the record must have (PRODUCT.md §3: 32767, so that it never gets mail).
type Expect struct {
	Kind       Kind   `json:"kind"`
	Value      string `json:"value"`
	Preference uint16 `json:"preference,omitempty"`
}

// want is the wanted record's data as people write it.
func (e Expect) want() string {
	if e.Kind == MX {
		return fmt.Sprintf("%d %s", e.Preference, e.Value)
	}
	return e.Value
}

// qtype checks that the expectation can be asked for at all and says which
// query type asks for it.
func (e Expect) qtype() (uint16, error) {
	if e.Value == "" {
		return 0, fmt.Errorf("%w: %s with an empty value", ErrBadExpect, e.Kind)
	}
	switch e.Kind {
	case TXT:
		// miekg gives TXT strings in presentation form, escaping quotes,
		// backslashes and unprintable bytes; for a token without them that
		// form is the wire bytes, so comparing it compares the bytes.
		// Tokens are "MS=" and hex digits anyway.
		if i := strings.IndexFunc(e.Value, notTokenChar); i >= 0 {
			r, _ := utf8.DecodeRuneInString(e.Value[i:])
			return 0, fmt.Errorf("%w: TXT token with %q, want printable ASCII without quotes or backslashes", ErrBadExpect, r)
		}
		return dns.TypeTXT, nil
	case MX:
		if _, ok := dns.IsDomainName(e.Value); !ok {
			return 0, fmt.Errorf("%w: MX host %q", ErrBadExpect, e.Value)
		}
		return dns.TypeMX, nil
	}
	return 0, fmt.Errorf("%w: kind %q", ErrBadExpect, e.Kind)
}

func notTokenChar(r rune) bool {
	return r < ' ' || r > '~' || r == '"' || r == '\\'
}

// match returns what the answer holds for the expectation and whether one
// of those values is the one wanted. owner is the queried name, canonical.
func (e Expect) match(owner string, answer []dns.RR) (values []string, found bool) {
	switch e.Kind {
	case TXT:
		return matchTXT(owner, e.Value, answer)
	case MX:
		return matchMX(owner, e, answer)
	}
	return nil, false
}

// matchTXT joins the strings of each record on its own: a record may be
// split into 255-byte strings (RFC 7208 §3.3 does the same for SPF), but two
// records holding halves of the token do not publish it. Only records owned
// by the domain itself count (judge has refused aliases already).
func matchTXT(owner, token string, answer []dns.RR) (values []string, found bool) {
	for _, rr := range answer {
		txt, ok := rr.(*dns.TXT)
		if !ok || txt.Hdr.Class != dns.ClassINET || dns.CanonicalName(txt.Hdr.Name) != owner {
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

// matchMX compares the exchange as a canonical name and the preference
// exactly (issue 10 point 22): an MX record of the right host with a
// usable preference is a different record, one that would receive mail.
// Values are "preference exchange", as a zone file writes them.
func matchMX(owner string, want Expect, answer []dns.RR) (values []string, found bool) {
	host := dns.CanonicalName(want.Value)
	for _, rr := range answer {
		mx, ok := rr.(*dns.MX)
		if !ok || mx.Hdr.Class != dns.ClassINET || dns.CanonicalName(mx.Hdr.Name) != owner {
			continue
		}
		values = append(values, fmt.Sprintf("%d %s", mx.Preference, mx.Mx))
		if dns.CanonicalName(mx.Mx) == host && mx.Preference == want.Preference {
			found = true
		}
	}
	return values, found
}
