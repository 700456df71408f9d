package model

import (
	"errors"
	"strings"
	"testing"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestParseAddressAccepts(t *testing.T) {
	cases := []struct{ in, key, domain string }{
		{"Dan@BellowsCollege.com", "dan@bellowscollege.com", "bellowscollege.com"},
		{"first.last+rms@contoso.co.uk", "first.last+rms@contoso.co.uk", "contoso.co.uk"},
		{"anna@Bücher.example", "anna@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"jo@ÖBB.at", "jo@xn--bb-eka.at", "xn--bb-eka.at"},
		{`"dan smith"@bellowscollege.com`, `"dan smith"@bellowscollege.com`, "bellowscollege.com"},
	}
	for _, c := range cases {
		a, err := ParseAddress(c.in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", c.in, err)
			continue
		}
		if a.Key() != c.key || a.Domain != c.domain {
			t.Errorf("ParseAddress(%q) = key %q domain %q, want %q %q", c.in, a.Key(), a.Domain, c.key, c.domain)
		}
	}
	a, _ := ParseAddress("Dan@BellowsCollege.com")
	if a.String() != "Dan@bellowscollege.com" {
		t.Errorf("display form keeps the local part's case: %q", a.String())
	}
}

func TestParseAddressRejects(t *testing.T) {
	cases := []struct{ in, why string }{
		{"", "empty"},
		{"dan", "missing @"},
		{"@bellowscollege.com", "nothing before"},
		{"dan@", "no domain"},
		{"Dan <dan@bellowscollege.com>", "display name"},
		{"dan@localhost", "no dot"},
		{"dan..x@bellowscollege.com", "two dots"},
		{".dan@bellowscollege.com", "start or end"},
		{"dän@bellowscollege.com", "ASCII"},
		{"dan smith@bellowscollege.com", "not allowed"},
		{"dan@[10.0.0.1]", "literal"},
		{"dan@10.0.0.1", "IP address"},
		{"dan@bellows_college.com", "holds"},
		{"dan@-bellows.com", "hyphen"},
		{"dan@bellows..com", "empty"},
		{strings.Repeat("a", 65) + "@x.com", "longer than 64"},
		{`"unterminated@x.com`, "unterminated"},
		{"dan@\u202ebellows.com", "U+202E, white space or an invisible character"},
		{"  dan@bellowscollege.com  ", "white space"},
		{"dan@bellowscollege.com.", "cannot end with a dot"},
		{"dan@bellows.123", "IP address"},
		{"me@bad.tld-2", "ends in a letter"},
		{"eve@xn--zz.example", "not a valid international name"},
	}
	for _, c := range cases {
		_, err := ParseAddress(c.in)
		if err == nil {
			t.Errorf("ParseAddress(%q) accepted", c.in)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseAddress(%q) = %v, want ErrInvalid mentioning %q", c.in, err, c.why)
		}
	}
}

func TestPublicSuffixAndParents(t *testing.T) {
	for _, d := range []string{"com", "co.uk", "github.io"} {
		if !IsPublicSuffix(d) {
			t.Errorf("%s is a public suffix", d)
		}
	}
	for _, d := range []string{"contoso.co.uk", "bellowscollege.com", "eu.contoso.com"} {
		if IsPublicSuffix(d) {
			t.Errorf("%s is not a public suffix", d)
		}
	}
	got := strings.Join(ParentDomains("a.b.contoso.co.uk"), ",")
	if got != "b.contoso.co.uk,contoso.co.uk" {
		t.Errorf("ParentDomains = %s", got)
	}
}

func TestConsumerDomains(t *testing.T) {
	c := ShippedConsumerDomains()
	for _, d := range []string{"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "mail.yahoo.com"} {
		if !c.Contains(d) {
			t.Errorf("%s should be a consumer domain", d)
		}
	}
	if c.Contains("bellowscollege.com") {
		t.Error("bellowscollege.com is not a consumer domain")
	}
}

// Issue 10 point 14: a quoted local part is the same mailbox as its value
// (RFC 5322 §3.2.4), so these spellings are one key.
func TestQuotedLocalPartIsOneMailbox(t *testing.T) {
	cases := []struct{ in, local string }{
		{"dan@bellowscollege.com", "dan"},
		{`"dan"@bellowscollege.com`, "dan"},
		{`"d\an"@bellowscollege.com`, "dan"},
		{`"\d\a\n"@bellowscollege.com`, "dan"},
		{`"Dan"@bellowscollege.com`, "Dan"},
		{`"first.last"@bellowscollege.com`, "first.last"},
		// Not dot-atoms: they keep their quotes, with only " and \ escaped.
		{`"dan smith"@bellowscollege.com`, `"dan smith"`},
		{`"dan\ smith"@bellowscollege.com`, `"dan smith"`},
		{`"a\"b"@bellowscollege.com`, `"a\"b"`},
		{`"a\\b"@bellowscollege.com`, `"a\\b"`},
		{`"dan..x"@bellowscollege.com`, `"dan..x"`},
		{`"a@b"@bellowscollege.com`, `"a@b"`},
		{`""@bellowscollege.com`, `""`},
	}
	for _, c := range cases {
		a, err := ParseAddress(c.in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", c.in, err)
			continue
		}
		if a.Local != c.local {
			t.Errorf("ParseAddress(%q).Local = %q, want %q", c.in, a.Local, c.local)
		}
		again, err := ParseAddress(a.String())
		if err != nil || again != a {
			t.Errorf("canonical %q of %q re-parses to %q, %v", a, c.in, again, err)
		}
	}
	keys := map[string]bool{}
	for _, in := range []string{"dan@x.com", `"dan"@x.com`, `"d\an"@x.com`, `"DAN"@x.com`, "Dan@X.com"} {
		a, err := ParseAddress(in)
		if err != nil {
			t.Fatal(err)
		}
		keys[a.Key()] = true
	}
	if len(keys) != 1 {
		t.Errorf("one mailbox gave %d keys: %v", len(keys), keys)
	}
}

// Issue 10 point 15: white space or an invisible character after the @ is
// refused exactly as before it.
func TestWhiteSpaceRefusedOnBothSides(t *testing.T) {
	for _, in := range []string{
		"dan @x.com", "dan@ x.com", "dan@x.com ", " dan@x.com", "dan@x .com", "dan@\tx.com",
		"dan@\u00a0x.com", "test@\u2028example.com", "test@\u2029example.com", "test@\u2005example.com",
		"test@exa\u200bmple.com", "test@\u00adexample.com", "test@exa\ufe0fmple.com", "test@example.com\n",
		"\r\n test@iana.org",
	} {
		_, err := ParseAddress(in)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseAddress(%q) = %v, want ErrInvalid", in, err)
		}
	}
	for _, in := range []string{" x.com", "x.com ", "\u00a0x.com", "x\u200b.com"} {
		if d, err := NormalizeDomain(in); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want a refusal", in, d)
		}
	}
}

// Issue 10 point 16: UTS #46 V3 holds for international labels as for
// ASCII ones.
func TestHyphenAtLabelEdgeRefusedInUnicode(t *testing.T) {
	for _, in := range []string{"-a.com", "a-.com", "-ä.com", "ä-.com", "xn----0fa.com", "x.-ü.com", "x.ü-.com", "－ä.com"} {
		if d, err := NormalizeDomain(in); err == nil || !strings.Contains(err.Error(), "hyphen") {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want a hyphen refusal", in, d, err)
		}
	}
	// Hyphens inside a label, and the RFC 5891 "--" at places 3 and 4
	// that selfserve allows on purpose, stay.
	for _, in := range []string{"ä-b.com", "a-ä.com", "r3---sn-abc.example", "ab--ä.example"} {
		if _, err := NormalizeDomain(in); err != nil {
			t.Errorf("NormalizeDomain(%q): %v", in, err)
		}
	}
}

// Issue 10 point 19: special-use names never get a directory; .test and
// .example are kept for labs.
func TestSpecialUseDomains(t *testing.T) {
	for _, in := range []string{"x.invalid", "host.localhost", "printer.local", "abc.onion", "1.in-addr.arpa",
		"home.arpa", "x.alt", "X.LOCAL", "x.local."} {
		_, err := ParseDomain(in)
		if !errors.Is(err, ErrSpecialUse) || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDomain(%q) = %v, want ErrSpecialUse and ErrInvalid", in, err)
		}
		if _, err := ParseAddress("dan@" + strings.TrimSuffix(in, ".")); !errors.Is(err, ErrSpecialUse) {
			t.Errorf("ParseAddress(dan@%s) = %v, want ErrSpecialUse", in, err)
		}
	}
	for _, in := range []string{"bellows.test", "contoso.example", "local.example", "onion.com", "arpa.test"} {
		if _, err := ParseDomain(in); err != nil {
			t.Errorf("ParseDomain(%q): %v", in, err)
		}
	}
}
