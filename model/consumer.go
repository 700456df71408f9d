package model

import (
	_ "embed"
	"strings"
)

//go:embed consumer_domains.txt
var shippedConsumerDomains string

// ConsumerDomains is the set of mail domains that never get a directory.
type ConsumerDomains map[string]bool

// ShippedConsumerDomains returns the list that comes with selfserve; the
// operator's additions are merged in by the store.
func ShippedConsumerDomains() ConsumerDomains {
	set := ConsumerDomains{}
	for _, line := range strings.Split(shippedConsumerDomains, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
}

// Contains matches the domain itself or any parent (mail.yahoo.com is
// Yahoo's as much as yahoo.com is).
func (c ConsumerDomains) Contains(domain string) bool {
	if c[domain] {
		return true
	}
	for _, p := range ParentDomains(domain) {
		if c[p] {
			return true
		}
	}
	return false
}
