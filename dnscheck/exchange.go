package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// udpSize is the EDNS0 buffer size of DNS Flag Day 2020: large enough for
// most answers, small enough not to be fragmented on the way.
const udpSize = 1232

var (
	errNoAnswer  = errors.New("no answer")
	errMismatch  = errors.New("answer did not match the question")
	errTruncated = errors.New("answer truncated")
)

// query builds the question: recursion desired, because in single-server
// mode the server may be a resolver as well as an authoritative server.
func query(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = true
	q.SetEdns0(udpSize, false)
	return q
}

// exchange asks over UDP and then at most once over TCP: when the UDP answer
// is truncated (it may lack the very record we look for, so it is never
// judged) or when UDP got no answer in time (some paths drop UDP, and a
// second try is cheap). note says which transport answered, for the audit.
func exchange(ctx context.Context, server string, q *dns.Msg, timeout time.Duration) (r *dns.Msg, note string, err error) {
	r, err = attempt(ctx, "udp", server, q, timeout)
	var udp error
	switch {
	case err == nil && !r.Truncated:
		return r, "", nil
	case err == nil:
		udp = errors.New("UDP: answer truncated")
	case isTimeout(err) && !expired(ctx):
		udp = err
	default:
		return nil, "", err
	}
	r, err = attempt(ctx, "tcp", server, q, timeout)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("%v; %w", udp, err)
	case r.Truncated:
		return nil, "", fmt.Errorf("%v; TCP: %w", udp, errTruncated)
	}
	return r, fmt.Sprintf("over TCP (%v)", udp), nil
}

// attempt is one query over one transport, bounded by timeout and by ctx.
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
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.ToUpper(network), describe(ctx, err, timeout))
	}
	// miekg's client matches the ID; an answer to some other question with
	// the right ID (a confused or spoofing server) must not be judged either.
	if err := sameQuestion(q, r); err != nil {
		return nil, fmt.Errorf("%s: %w", strings.ToUpper(network), err)
	}
	return r, nil
}

func sameQuestion(q, r *dns.Msg) error {
	asked := q.Question[0]
	if r.Response && len(r.Question) == 1 {
		got := r.Question[0]
		// Names compare case-insensitively: servers may echo the name in
		// another case (RFC 4343, and DNS 0x20 randomisation).
		if strings.EqualFold(got.Name, asked.Name) && got.Qtype == asked.Qtype && got.Qclass == asked.Qclass {
			return nil
		}
	}
	got := "no question"
	if len(r.Question) > 0 {
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

func isTimeout(err error) bool {
	return errors.Is(err, errNoAnswer)
}
