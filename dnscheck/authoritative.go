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
// without an address) in the nameservers' order. An address outside a lab
// that the Internet cannot reach is not asked; its result says why. Every query ends by its
// timeout or ctx, so the wait is bounded. Only a cancelled ctx is an error.
func (c Checker) askAll(ctx context.Context, nss []nameserver, name string, qtype uint16, want Expect) ([]ServerResult, error) {
	var results []ServerResult
	for _, ns := range nss {
		label := strings.TrimSuffix(ns.name, ".")
		if len(ns.addrs) == 0 {
			sr := ServerResult{Name: label, Detail: ns.err.Error()}
			sr.Outcome, sr.Reason = classify(ns.err)
			results = append(results, sr)
			continue
		}
		for _, a := range ns.addrs {
			sr := ServerResult{Name: label, Server: net.JoinHostPort(a.String(), c.port())}
			if why := c.refuses(a); why != "" {
				sr.Outcome, sr.Reason, sr.Detail = NotAsked, why, addressWords[why]
			}
			results = append(results, sr)
		}
	}
	errs := make([]error, len(results))
	var wg sync.WaitGroup
	for i, sr := range results {
		if sr.Server == "" || sr.Outcome == NotAsked {
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
