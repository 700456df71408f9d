package model

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// Address is a normalised sign-in address. Local keeps the case the person
// typed (for display and mail); Domain is lower-case ASCII (IDNA).
type Address struct {
	Local  string
	Domain string
}

func (a Address) String() string { return a.Local + "@" + a.Domain }

// Key is the address as it is compared and stored: the local part is
// compared case-insensitively (PRODUCT.md §3 rule 1).
func (a Address) Key() string { return strings.ToLower(a.Local) + "@" + a.Domain }

const (
	maxLocalLen   = 64  // RFC 5321 §4.5.3.1.1
	maxAddressLen = 254 // RFC 5321 path limit less the angle brackets
)

// ParseAddress validates an RFC 5322 addr-spec (no display name, no angle
// brackets) and normalises it. Errors wrap ErrInvalid and say what is wrong.
func ParseAddress(s string) (Address, error) {
	in := strings.TrimSpace(s)
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("%w: email %q: %s", ErrInvalid, s, why)
	}
	if in == "" {
		return bad("empty address")
	}
	if strings.ContainsAny(in, "<>") {
		return bad("give the address only, without a display name or angle brackets")
	}
	at := strings.LastIndexByte(in, '@')
	if at < 0 {
		return bad("missing @")
	}
	local, rawDomain := in[:at], in[at+1:]
	if strings.TrimSpace(rawDomain) == "" {
		return bad("no domain after the @")
	}
	if why := checkLocal(local); why != "" {
		return bad(why)
	}
	domain, err := NormalizeDomain(rawDomain)
	if err != nil {
		return bad(err.Error())
	}
	a := Address{Local: local, Domain: domain}
	if len(a.String()) > maxAddressLen {
		return bad(fmt.Sprintf("longer than %d characters", maxAddressLen))
	}
	return a, nil
}

func checkLocal(local string) string {
	switch {
	case local == "":
		return "nothing before the @"
	case len(local) > maxLocalLen:
		return fmt.Sprintf("the part before the @ is longer than %d characters", maxLocalLen)
	case strings.HasPrefix(local, `"`):
		return checkQuotedLocal(local)
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "the part before the @ cannot start or end with a dot or hold two dots in a row"
	}
	for _, r := range local {
		if r > 0x7e {
			return fmt.Sprintf("the part before the @ must be ASCII; %q is not allowed", r)
		}
		if r != '.' && !isAtext(byte(r)) {
			return fmt.Sprintf("character %q is not allowed before the @ unless the part is quoted", r)
		}
	}
	return ""
}

// isAtext reports whether c may appear in an RFC 5322 dot-atom.
func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func checkQuotedLocal(local string) string {
	if len(local) < 2 || !strings.HasSuffix(local, `"`) {
		return "unterminated quoted part before the @"
	}
	body := local[1 : len(local)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\':
			i++
			if i == len(body) || body[i] < 0x20 || body[i] > 0x7e {
				return "bad escape in the quoted part before the @"
			}
		case c == '"':
			return "stray quote in the part before the @"
		case c < 0x20 || c > 0x7e:
			return "the quoted part before the @ must be printable ASCII"
		}
	}
	return ""
}

// idnaProfile is UTS #46 lookup without its hyphen rule: an ASCII label
// with "--" in places 3 and 4 (r3---sn-abc) is a valid host name (RFC
// 1123) and is accepted on the ASCII path, so it must be beside an
// international label too, or a subdomain's validity would depend on its
// parent's spelling.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true), idna.CheckHyphens(false))

// NormalizeDomain lower-cases a DNS name and converts it to its IDNA ASCII
// form. One trailing dot is accepted and removed.
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(s), ".")
	switch {
	case d == "":
		return "", fmt.Errorf("the domain is empty")
	case strings.HasPrefix(d, "["):
		return "", fmt.Errorf("address literals like %s are not accepted; use a domain name", d)
	}
	ascii := strings.ToLower(d)
	if !isASCII(d) {
		var err error
		if ascii, err = idnaProfile.ToASCII(d); err != nil {
			return "", fmt.Errorf("domain %q is not a valid international name: %v", d, err)
		}
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("domain %q has no dot; use the full domain, e.g. example.com", d)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("domain %q has an empty or over-long label", d)
		}
		if strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", fmt.Errorf("domain %q has a label starting or ending with a hyphen", d)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", fmt.Errorf("domain %q holds %q, which no host name may", d, c)
			}
		}
	}
	if strings.Contains(ascii, "xn--") {
		// An A-label must decode to a valid international name.
		if _, err := idnaProfile.ToUnicode(ascii); err != nil {
			return "", fmt.Errorf("domain %q is not a valid international name: %v", d, err)
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("domain %q looks like an IP address; use a domain name", d)
	}
	if len(ascii) > 253 {
		return "", fmt.Errorf("domain %q is longer than 253 characters", d)
	}
	return ascii, nil
}

// ParseDomain is NormalizeDomain with the error wrapped for callers that
// take a domain on its own (challenges, lookups).
func ParseDomain(s string) (string, error) {
	d, err := NormalizeDomain(s)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return d, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7e {
			return false
		}
	}
	return true
}
