package model

import (
	"errors"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// ErrPublicSuffix marks a refusal because the domain is a public suffix.
// Errors carrying it also wrap ErrRefused.
var ErrPublicSuffix = errors.New("public suffix")

// IsPublicSuffix reports whether domain is itself a public suffix (com,
// co.uk, github.io …): nobody can prove they own all of it, so it can never
// have a directory or be claimed.
func IsPublicSuffix(domain string) bool {
	ps, _ := publicsuffix.PublicSuffix(domain)
	return ps == domain
}

// RegistrableDomain is the public suffix plus one label (eTLD+1): the
// largest name under one owner. ok is false for a public suffix.
// x/net/publicsuffix applies the list's exception rules: under *.kobe.jp
// and !city.kobe.jp, city.kobe.jp is registrable on its own although
// kobe.jp is registrable too.
func RegistrableDomain(domain string) (string, bool) {
	reg, err := publicsuffix.EffectiveTLDPlusOne(domain)
	return reg, err == nil
}

// ParentDomains lists the proper parents of domain that share its owner,
// nearest first, up to its registrable domain: a.b.example.com →
// b.example.com, example.com. A parent above the registrable domain is a
// registry, not the owner (kobe.jp for city.kobe.jp, issue 10 point 17),
// so it proves nothing and is not listed.
func ParentDomains(domain string) []string {
	reg, ok := RegistrableDomain(domain)
	if !ok {
		return nil
	}
	var out []string
	for d := domain; d != reg && strings.Contains(d, "."); {
		d = d[strings.IndexByte(d, '.')+1:]
		out = append(out, d)
	}
	return out
}
