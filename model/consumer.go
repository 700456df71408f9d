package model

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
)

// ErrConsumerDomain marks a refusal because the domain is consumer mail
// (gmail.com …). Errors carrying it also wrap ErrRefused.
var ErrConsumerDomain = errors.New("consumer mail domain")

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

// Refuse says no to a directory for a consumer domain or a name under one:
// its mailboxes belong to strangers, and nobody's DNS record proves the
// right to all of them (PRODUCT.md §3 rule 2, issue 10 point 18).
func (c ConsumerDomains) Refuse(domain string) error {
	if c.Contains(domain) {
		return fmt.Errorf("%w: %s is a %w and never joins a directory", ErrRefused, domain, ErrConsumerDomain)
	}
	return nil
}
