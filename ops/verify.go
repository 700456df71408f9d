package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/store"
)

// VerifyOptions adjust one `domain verify`.
type VerifyOptions struct {
	DNSServer string // host:port; overrides the console's checker
	DryRun    bool   // check and preview, change nothing
	Force     bool   // go ahead although block-policy services lose access
	// Wait keeps checking, with back-off, until the record is found or
	// this much time has passed (0: one check).
	Wait time.Duration
	// Progress hears about every check that did not find the record
	// while there is time to try again.
	Progress func(Attempt)
	// OnBatch hears about every batch of users an external takeover
	// moves (for a progress bar).
	OnBatch func(model.Job)
}

// Attempt is one unsuccessful check during --wait.
type Attempt struct {
	N      int
	Result dnscheck.Result
	Next   time.Duration // until the next check
}

// VerifyReport is everything `domain verify` found and did.
type VerifyReport struct {
	Domain      string             `json:"domain"`
	Kind        model.TakeoverKind `json:"kind"`
	Check       *dnscheck.Result   `json:"check,omitempty"`
	ParentProof string             `json:"parentProof,omitempty"`
	Impact      *model.Impact      `json:"impact,omitempty"`
	DryRun      bool               `json:"dryRun"`
	Directory   *model.Directory   `json:"directory,omitempty"` // the managed directory afterwards
	Job         *model.Job         `json:"job,omitempty"`
}

// Verify checks the admin's challenge in DNS and, when it is found, runs
// the takeover it was issued for (Confirm-MsolEmailVerifiedDomain), as
// the operator (see Challenge).
func (c *Console) Verify(ctx context.Context, domain, admin string, opt VerifyOptions) (VerifyReport, error) {
	return c.verify(ctx, Viewer{}, domain, admin, opt)
}

// verify is Verify made by by.
func (c *Console) verify(ctx context.Context, by Viewer, domain, admin string, opt VerifyOptions) (VerifyReport, error) {
	claim, err := parseClaim(by, domain, admin, "")
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{Domain: claim.Domain, DryRun: opt.DryRun}
	p, err := c.Store.Pending(claim.Domain, claim.Admin)
	if err != nil {
		return rep, err
	}
	rep.Kind, rep.ParentProof = p.Kind, p.ParentProof
	if p.Target != nil {
		claim.Into = p.Target.ID
	}
	if p.Challenge != nil {
		res, err := c.checkUntil(ctx, claim, *p.Challenge, opt)
		if res.Domain != "" {
			rep.Check = &res
		}
		if err != nil {
			return rep, err
		}
	}
	if p.Kind == model.External && p.Source != nil {
		im, err := c.Store.Preview(claim.Domain)
		if err != nil {
			return rep, err
		}
		rep.Impact = &im
		if !opt.DryRun {
			if err := im.CheckForce(opt.Force); err != nil {
				return rep, err
			}
		}
	}
	if opt.DryRun {
		return rep, nil
	}
	if p.Kind == model.Internal {
		d, err := c.Store.TakeOverInternal(claim, p)
		rep.Directory = &d
		c.Metrics.Takeover(string(p.Kind), outcome(err))
		return rep, err
	}
	onBatch := func(j model.Job) {
		c.Metrics.TakeoverBatch()
		if opt.OnBatch != nil {
			opt.OnBatch(j)
		}
	}
	res, err := c.Store.TakeOverExternal(claim, p, opt.Force, onBatch)
	c.Metrics.Takeover(string(p.Kind), outcome(err))
	rep.Directory = &res.Target
	if res.Job.ID != "" {
		rep.Job = &res.Job
	}
	return rep, err
}

// checkUntil checks the challenge, and with opt.Wait keeps checking with
// doubling pauses until it is found, the time is up, or the rate limit
// says stop. Every check is counted and written to the audit log.
func (c *Console) checkUntil(ctx context.Context, claim store.Claim, ch model.Challenge, opt VerifyOptions) (dnscheck.Result, error) {
	deadline := time.Now().Add(opt.Wait)
	next := c.Polls()
	for n := 1; ; n++ {
		if err := c.Store.CountCheck(ch.Domain, claim.Admin.Key()); err != nil {
			return dnscheck.Result{}, err
		}
		res, err := c.check(ctx, ch.Record(), opt.DNSServer)
		if err != nil {
			return res, err
		}
		c.Metrics.DNSCheck("challenge", string(res.Outcome))
		if err := c.Store.RecordCheck(claim, res); err != nil {
			return res, err
		}
		left := time.Until(deadline)
		if res.Verified() || left <= 0 {
			if !res.Verified() {
				return res, fmt.Errorf("%w: %s", model.ErrNotVerified, res.Message())
			}
			return res, nil
		}
		pause := min(next(), left)
		if opt.Progress != nil {
			opt.Progress(Attempt{N: n, Result: res, Next: pause})
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("%w: stopped waiting: %s", model.ErrNotVerified, res.Message())
		case <-time.After(pause):
		}
	}
}

// Polling pauses under --wait: DNS changes show up within minutes, so the
// first looks are quick and later ones back off to spare the servers.
const (
	defaultPollStart = 5 * time.Second
	maxPoll          = time.Minute
)

// Polls is the back-off of --wait: each call is the pause before the
// next check, doubling from PollStart up to a minute.
func (c *Console) Polls() func() time.Duration {
	pause := defaultPollStart
	if c.PollStart > 0 {
		pause = c.PollStart
	}
	first := true
	return func() time.Duration {
		if !first {
			pause = min(2*pause, maxPoll)
		}
		first = false
		return pause
	}
}

// check looks for a challenge record in DNS with the console's checker.
func (c *Console) check(ctx context.Context, rec model.RecordSpec, server string) (dnscheck.Result, error) {
	checker := c.DNS
	if server != "" {
		checker.Server = server
	}
	want := dnscheck.Expect{Kind: dnscheck.TXT, Value: rec.Value}
	if rec.Type == "MX" {
		want.Kind, want.Preference = dnscheck.MX, uint16(rec.Preference)
	}
	return checker.Check(ctx, strings.TrimSuffix(rec.Name, "."), want)
}

// DNSChecker is the checker the operator's DNS setting describes.
func DNSChecker(cfg store.DNSConfig) dnscheck.Checker {
	return dnscheck.Checker{Server: cfg.Server, Resolver: cfg.Resolver, Port: cfg.Port, Lab: cfg.Lab}
}

// outcome names a result for the metrics: done, or refused or failed.
func outcome(err error) string {
	switch {
	case err == nil:
		return "done"
	case model.IsRefusal(err):
		return "refused"
	}
	return "failed"
}
