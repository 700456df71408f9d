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
		{"  dan@bellowscollege.com  ", "dan@bellowscollege.com", "bellowscollege.com"},
		{"dan@bellowscollege.com.", "dan@bellowscollege.com", "bellowscollege.com"},
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
		{"dan@\u202ebellows.com", "not a valid international name"},
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
