package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// udpSize is the EDNS0 buffer size of DNS Flag Day 2020: large enough for
// most answers, small enough not to be fragmented on the way.
const udpSize = 1232

// query builds a question with EDNS0 (RFC 6891). recurse is on for
// resolvers and in single-server mode, where the one server may be a
// resolver; authoritative servers are asked with it off, so that a server
// that does not hold the zone says so (a referral or an answer without AA)
// instead of quietly fetching the record from elsewhere.
func query(name string, qtype uint16, recurse bool) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = recurse
	q.SetEdns0(udpSize, false)
	return q
}

// exchange asks over UDP and then at most once over TCP (RFC 7766 §5):
// when the UDP answer is truncated (it may lack the very record we look
// for, so it is never judged), mismatched (an off-path spoofer can hit UDP,
// hardly TCP), or missing (some paths drop UDP). note says which transport
// answered, for the audit.
func exchange(ctx context.Context, server string, q *dns.Msg, timeout time.Duration) (r *dns.Msg, note string, err error) {
	r, udp := attempt(ctx, "udp", server, q, timeout)
	if udp == nil {
		return r, "", nil
	}
	if expired(ctx) {
		return nil, "", udp
	}
	r, tcp := attempt(ctx, "tcp", server, q, timeout)
	switch {
	case tcp == nil:
		return r, fmt.Sprintf("over TCP (%v)", udp), nil
	case errors.Is(tcp, context.Canceled):
		return nil, "", tcp
	case noAnswer(udp) && noAnswer(tcp):
		// Silent both ways: a timeout, which does not block a check.
		return nil, "", fmt.Errorf("%w; %w", udp, tcp)
	}
	// It answered, but wrongly, at least once: a DNS error, classified
	// by the wrong answer alone.
	if noAnswer(udp) {
		return nil, "", fmt.Errorf("%v; %w", udp, tcp)
	}
	if noAnswer(tcp) {
		return nil, "", fmt.Errorf("%w; %v", udp, tcp)
	}
	return nil, "", fmt.Errorf("%w; %w", udp, tcp)
}

// attempt is one query over one transport, bounded by timeout and by ctx.
// It returns only answers that match q and are complete.
func attempt(ctx context.Context, network, server string, q *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: timeout}
	r, err := func() (*dns.Msg, error) {
		conn, err := c.DialContext(ctx, server)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		// miekg's exchange obeys ctx's deadline but not its cancellation;
		// closing the connection ends a read that would otherwise wait
		// out the timeout for a caller that has gone.
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		r, _, err := c.ExchangeWithConnContext(ctx, q, conn)
		return r, err
	}()
	if err == nil {
		err = validate(q, r)
	}
	if err == nil && r.Truncated {
		err = errTruncated
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.ToUpper(network), describe(ctx, err, timeout))
	}
	return r, nil
}

// validate checks that r answers q (RFC 5452 §9.1: ID and question must
// match). miekg's client matches the ID, but an answer to some other
// question with the right ID (a confused or spoofing server), or a message
// that is not a response at all, must not be judged either.
func validate(q, r *dns.Msg) error {
	asked := q.Question[0]
	if r.Response && r.Id == q.Id && len(r.Question) == 1 {
		got := r.Question[0]
		// Names compare case-insensitively: servers may echo the name in
		// another case (RFC 4343, and DNS 0x20 randomisation).
		if strings.EqualFold(got.Name, asked.Name) && got.Qtype == asked.Qtype && got.Qclass == asked.Qclass {
			return nil
		}
	}
	got := "no question"
	switch {
	case !r.Response:
		got = "a message that is not a response"
	case r.Id != q.Id:
		got = fmt.Sprintf("ID %d instead of %d", r.Id, q.Id)
	case len(r.Question) > 0:
		got = questionString(r.Question[0])
	}
	return fmt.Errorf("%w: asked %s, got %s (%s)", errMismatch, questionString(asked), got, rcodeName(r.Rcode))
}

func questionString(q dns.Question) string {
	return q.Name + " " + dns.TypeToString[q.Qtype]
}

// describe turns a transport error into words for Detail: the socket
// addresses in net's errors say nothing the server name does not.
func describe(ctx context.Context, err error, timeout time.Duration) error {
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return ctx.Err()
	case expired(ctx):
		return fmt.Errorf("%w before the deadline", errNoAnswer)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w within %v", errNoAnswer, timeout)
	// Nothing listening: a connected UDP socket reads the ICMP port
	// unreachable as ECONNREFUSED, TCP gets a reset. Like silence it says
	// nothing about the record, but it is no reason to wait and retry.
	case errors.Is(err, syscall.ECONNREFUSED):
		return errConnRefused
	// No route (an IPv6 server from an IPv4-only host).
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		var errno syscall.Errno
		errors.As(err, &errno)
		return fmt.Errorf("%w (%v)", errUnreachable, errno)
	case errors.As(err, &op):
		return op.Err
	}
	return err
}

// expired also looks at the clock: a read deadline taken from ctx can fire
// a moment before ctx's own timer marks it done.
func expired(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ctx.Err() != nil || ok && !time.Now().Before(deadline)
}
