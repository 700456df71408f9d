// Package dnscheck asks a domain's authoritative DNS servers, each one
// directly, whether they publish the TXT or MX record a domain challenge
// asks for, and says per server what it found.
package dnscheck
