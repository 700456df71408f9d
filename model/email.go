package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

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
// brackets, no comments or folding white space) and normalises it. Errors
// wrap ErrInvalid and say what is wrong.
func ParseAddress(s string) (Address, error) {
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("%w: email %q: %s", ErrInvalid, s, why)
	}
	if s == "" {
		return bad("empty address")
	}
	if strings.ContainsAny(s, "<>") {
		return bad("give the address only, without a display name or angle brackets")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return bad("missing @")
	}
	local, rawDomain := s[:at], s[at+1:]
	if rawDomain == "" {
		return bad("no domain after the @")
	}
	// A trailing dot is DNS's root, not part of an RFC 5321 Domain: the
	// address is refused rather than quietly made another string.
	if _, dot := trimRootDot(rawDomain); dot {
		return bad("the domain cannot end with a dot")
	}
	if len(local) > maxLocalLen {
		return bad(fmt.Sprintf("the part before the @ is longer than %d characters", maxLocalLen))
	}
	canon, why := canonicalLocal(local)
	if why != "" {
		return bad(why)
	}
	domain, err := NormalizeDomain(rawDomain)
	if err != nil {
		return Address{}, fmt.Errorf("%w: email %q: %w", ErrInvalid, s, err)
	}
	// Measured as given: the canonical form is never longer.
	if len(local)+1+len(domain) > maxAddressLen {
		return bad(fmt.Sprintf("longer than %d characters", maxAddressLen))
	}
	return Address{Local: canon, Domain: domain}, nil
}

// canonicalLocal checks a local part and returns the one spelling of its
// mailbox (issue 10 point 14). RFC 5322 §3.2.4 makes the quotes and the
// backslash of a quoted-pair no part of the value, so "dan", "d\an" and
// dan are one mailbox and must be one key: the value is unescaped, and
// written unquoted when it is a dot-atom (RFC 5321 §4.1.2 asks senders for
// that form), else quoted with only " and \ escaped.
func canonicalLocal(local string) (string, string) {
	if local == "" {
		return "", "nothing before the @"
	}
	if !strings.HasPrefix(local, `"`) {
		return local, checkDotAtom(local)
	}
	value, why := unquote(local)
	if why != "" {
		return "", why
	}
	if value != "" && checkDotAtom(value) == "" {
		return value, ""
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		if value[i] == '"' || value[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
	return b.String(), ""
}

func checkDotAtom(local string) string {
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "the part before the @ cannot start or end with a dot or hold two dots in a row"
	}
	for _, r := range local {
		switch {
		case unicode.IsSpace(r):
			return "white space is not allowed in an address"
		case r > 0x7e:
			return fmt.Sprintf("the part before the @ must be ASCII; %q is not allowed", r)
		case r != '.' && !isAtext(byte(r)):
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

// unquote returns the value of an RFC 5322 quoted-string local part,
// narrowed to printable ASCII: no tab, control or non-ASCII character, even
// escaped.
func unquote(local string) (string, string) {
	if len(local) < 2 || !strings.HasSuffix(local, `"`) {
		return "", "unterminated quoted part before the @"
	}
	body := local[1 : len(local)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\':
			i++
			if i == len(body) || body[i] < 0x20 || body[i] > 0x7e {
				return "", "bad escape in the quoted part before the @"
			}
			c = body[i]
		case c == '"':
			return "", "stray quote in the part before the @"
		case c < 0x20 || c > 0x7e:
			return "", "the quoted part before the @ must be printable ASCII"
		}
		b.WriteByte(c)
	}
	return b.String(), ""
}

// idnaProfile is UTS #46 lookup without its hyphen rule: an ASCII label
// with "--" in places 3 and 4 (r3---sn-abc) is a valid host name (RFC
// 1123) and is accepted on the ASCII path, so it must be beside an
// international label too, or a subdomain's validity would depend on its
// parent's spelling.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true), idna.CheckHyphens(false))

// NormalizeDomain lower-cases a DNS name and converts it to its IDNA ASCII
// form. One trailing dot (the DNS root) is accepted and removed.
func NormalizeDomain(s string) (string, error) {
	d, _ := trimRootDot(s)
	switch {
	case d == "":
		return "", fmt.Errorf("the domain is empty")
	case strings.HasPrefix(d, "["):
		return "", fmt.Errorf("address literals like %s are not accepted; use a domain name", d)
	}
	if why := invisible(d); why != "" {
		return "", fmt.Errorf("domain %q %s", d, why)
	}
	ascii := strings.ToLower(d)
	if !isASCII(d) {
		if why := checkStable(d); why != "" {
			return "", fmt.Errorf("domain %q %s", d, why)
		}
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
	unicodeForm := ascii
	if strings.Contains(ascii, "xn--") {
		// An A-label must decode to a valid international name.
		var err error
		if unicodeForm, err = idnaProfile.ToUnicode(ascii); err != nil {
			return "", fmt.Errorf("domain %q is not a valid international name: %v", d, err)
		}
	}
	for _, l := range strings.Split(unicodeForm, ".") {
		// RFC 1123 and UTS #46 V3 alike: the hyphen rule holds for the
		// label a person reads too, so -ä.com (xn----0fa.com) is refused
		// as -a.com is.
		if strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return "", fmt.Errorf("domain %q has a label starting or ending with a hyphen", d)
		}
		// UTS #46 V4 since Unicode 15.1: an A-label that decodes to
		// "xn--…" again is refused, today already, so that no key is
		// made that Go 1.27's tables would refuse to read back.
		if strings.HasPrefix(l, "xn--") {
			return "", fmt.Errorf("domain %q has an A-label that decodes to another xn-- label", d)
		}
	}
	if why := checkTopLabel(labels[len(labels)-1]); why != "" {
		return "", fmt.Errorf("domain %q %s", d, why)
	}
	if len(ascii) > 253 {
		return "", fmt.Errorf("domain %q is longer than 253 characters", d)
	}
	if err := checkSpecialUse(ascii); err != nil {
		return "", err
	}
	return ascii, nil
}

// trimRootDot removes one trailing dot: the full stop or one of the three
// that UTS #46 maps to it (U+3002, U+FF0E, U+FF61), so a.com。 is a.com.
// as its mapping says.
func trimRootDot(s string) (string, bool) {
	for _, dot := range []string{".", "\u3002", "\uff0e", "\uff61"} {
		if t, ok := strings.CutSuffix(s, dot); ok {
			return t, true
		}
	}
	return s, false
}

// invisible refuses white space, controls and the characters UTS #46
// silently drops (soft hyphen, zero-width space, variation selectors):
// "dan@ x.com" and "dan@\u200bx.com" would otherwise become dan@x.com
// while "dan @x.com" is refused (issue 10 point 15). ZWNJ and ZWJ stay:
// IDNA2008 allows them in context (RFC 5892 CONTEXTJ) and checks that.
func invisible(d string) string {
	if !utf8.ValidString(d) {
		return "is not valid UTF-8"
	}
	for _, r := range d {
		if r == '\u200c' || r == '\u200d' {
			continue
		}
		if unicode.IsSpace(r) || unicode.In(r, unicode.Z, unicode.Cc, unicode.Cf, unicode.Variation_Selector) || r == '\u034f' {
			return fmt.Sprintf("holds %U, white space or an invisible character: no part of any domain name, international or not", r)
		}
	}
	return ""
}

// checkTopLabel: a top-level label is never numeric (RFC 3696 §2) and
// IANA delegates letters or A-labels only, so one that does not end in a
// letter (iana.123, bad.tld-2) is a typo or an address, never a mail
// domain. Hyphens are left to the host name rule: iana.co-uk is well
// formed and merely not delegated, which DNS tells, not syntax.
func checkTopLabel(tld string) string {
	if strings.Trim(tld, "0123456789") == "" {
		return "looks like an IP address; use a domain name"
	}
	if last := tld[len(tld)-1]; !strings.HasPrefix(tld, "xn--") && !(last >= 'a' && last <= 'z') {
		return fmt.Sprintf("ends in %q; a top-level domain ends in a letter", tld)
	}
	return ""
}

// ParseDomain is NormalizeDomain with the error wrapped for callers that
// take a domain on its own (challenges, lookups).
func ParseDomain(s string) (string, error) {
	d, err := NormalizeDomain(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
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
