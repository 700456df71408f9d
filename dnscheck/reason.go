package dnscheck

import (
	"errors"

	"github.com/miekg/dns"
)

// Reason says why a server (or the parent's delegation) got its outcome,
// for code that acts on it: messages, the console, the audit log. Detail
// holds the words for people; nothing is decided by reading Detail.
type Reason string

const (
	// Missing.
	ReasonNXDomain Reason = "nxdomain"
	ReasonNoData   Reason = "nodata"
	ReasonAlias    Reason = "alias" // the name is a CNAME, or under a DNAME: what it shows is another name's

	// Timeout and ConnectionRefused: nothing came back.
	ReasonNoAnswer    Reason = "no-answer"
	ReasonNoRoute     Reason = "no-route" // ENETUNREACH, EHOSTUNREACH: e.g. IPv6 from an IPv4-only host
	ReasonConnRefused Reason = "connection-refused"

	// DNSError.
	ReasonRcode        Reason = "rcode" // SERVFAIL, REFUSED, …
	ReasonLame         Reason = "lame"
	ReasonMismatch     Reason = "mismatch" // ID or question not ours, or not a response
	ReasonTruncated    Reason = "truncated"
	ReasonBadAnswer    Reason = "bad-answer" // anything else wrong with what came back
	ReasonNoAddress    Reason = "no-address"
	ReasonNotDelegated Reason = "not-delegated" // the parent zone does not delegate the zone
	ReasonNoParent     Reason = "no-parent"     // the parent zone could not be found
	ReasonNoZone       Reason = "no-zone"       // no name from the domain up owns an NS set

	// NotAsked: addresses the Internet cannot reach (see notPublic).
	ReasonPrivate     Reason = "private-address"
	ReasonLoopback    Reason = "loopback-address"
	ReasonLinkLocal   Reason = "link-local-address"
	ReasonUnspecified Reason = "unspecified-address"
	ReasonMulticast   Reason = "multicast-address"
	ReasonReserved    Reason = "reserved-address"
)

var (
	errNoAnswer     = errors.New("no answer")
	errUnreachable  = errors.New("unreachable")
	errConnRefused  = errors.New("connection refused")
	errMismatch     = errors.New("answer did not match the question")
	errTruncated    = errors.New("answer truncated")
	errNoAddress    = errors.New("no address")
	errNotDelegated = errors.New("not delegated")
	errNoApex       = errors.New("no NS records")
)

// rcodeError is an answer whose rcode says the server could not or would
// not answer.
type rcodeError struct{ detail string }

func (e rcodeError) Error() string { return e.detail }

// classify is the outcome and reason of a step that got no answer to judge.
// Silence wins over a refusal: a server silent over one transport and
// refusing over the other may just be slow.
func classify(err error) (Outcome, Reason) {
	var rc rcodeError
	switch {
	case errors.Is(err, errNoAnswer):
		return Timeout, ReasonNoAnswer
	case errors.Is(err, errUnreachable):
		return Timeout, ReasonNoRoute
	case errors.Is(err, errConnRefused):
		return ConnectionRefused, ReasonConnRefused
	case errors.Is(err, errMismatch), errors.Is(err, dns.ErrId):
		return DNSError, ReasonMismatch
	case errors.Is(err, errTruncated):
		return DNSError, ReasonTruncated
	case errors.Is(err, errNoAddress):
		return DNSError, ReasonNoAddress
	case errors.Is(err, errNotDelegated):
		return DNSError, ReasonNotDelegated
	case errors.Is(err, errNoApex):
		return DNSError, ReasonNoZone
	case errors.As(err, &rc):
		return DNSError, ReasonRcode
	}
	return DNSError, ReasonBadAnswer
}

// noAnswer is true when nothing came back: the server is silent, cannot be
// reached or refuses the connection. Such a server does not veto the
// others.
func noAnswer(err error) bool {
	return errors.Is(err, errNoAnswer) || errors.Is(err, errUnreachable) || errors.Is(err, errConnRefused)
}
