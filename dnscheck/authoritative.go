package dnscheck

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
)

// askAll puts the question to every address of every nameserver at once,
// with recursion off, and returns one result per address (or per NS name
// without an address) in the nameservers' order. Every query ends by its
// timeout or ctx, so the wait is bounded. Only a cancelled ctx is an error.
func (c Checker) askAll(ctx context.Context, nss []nameserver, name string, qtype uint16, want Expect) ([]ServerResult, error) {
	var results []ServerResult
	for _, ns := range nss {
		label := strings.TrimSuffix(ns.name, ".")
		if len(ns.addrs) == 0 {
			results = append(results, ServerResult{Name: label, Outcome: failure(ns.err), Detail: ns.err.Error()})
			continue
		}
		for _, a := range ns.addrs {
			results = append(results, ServerResult{Name: label, Server: net.JoinHostPort(a.String(), c.port())})
		}
	}
	errs := make([]error, len(results))
	var wg sync.WaitGroup
	for i, sr := range results {
		if sr.Server == "" {
			continue
		}
		wg.Go(func() {
			// A query of its own each: its own ID, and no message
			// shared between goroutines while being packed.
			got, err := c.ask(ctx, sr.Server, query(name, qtype, false), want, true)
			got.Name = sr.Name
			results[i], errs[i] = got, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	return results, nil
}

// failure is the outcome of a step that did not get an answer to judge:
// silence is a Timeout, anything else a DNSError.
func failure(err error) Outcome {
	if noAnswer(err) {
		return Timeout
	}
	return DNSError
}
