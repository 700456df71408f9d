// Package dnscheck asks DNS whether a domain publishes the TXT or MX record
// a domain challenge asks for, and says per server what it found.
package dnscheck
