package model

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// IsPublicSuffix reports whether domain is itself a public suffix (com,
// co.uk, github.io …): nobody can prove they own all of it, so it can never
// have a directory or be claimed.
func IsPublicSuffix(domain string) bool {
	ps, _ := publicsuffix.PublicSuffix(domain)
	return ps == domain
}

// ParentDomains lists the proper parents of domain that are not public
// suffixes, nearest first: a.b.example.com → b.example.com, example.com.
func ParentDomains(domain string) []string {
	var out []string
	for d := domain; ; {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return out
		}
		d = d[i+1:]
		if IsPublicSuffix(d) {
			return out
		}
		out = append(out, d)
	}
}
