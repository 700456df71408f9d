package dnscheck

import "errors"

// Set-up failures: Check returns these (wrapped, with the offending value)
// before any query is sent. Whatever a DNS server answers is an Outcome, not
// an error.
var (
	ErrBadDomain = errors.New("not a DNS domain name")
	ErrBadExpect = errors.New("not a record a challenge can ask for")
	ErrNoServer  = errors.New("no DNS server to ask")
)
