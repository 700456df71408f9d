package ops

import (
	"context"
	"fmt"

	"selfserve/dnscheck"
	"selfserve/model"
)

// VerifyOptions adjust one `domain verify`.
type VerifyOptions struct {
	DNSServer string // host:port; overrides the console's checker
	DryRun    bool   // check and preview, change nothing
	Force     bool   // go ahead although block-policy services lose access
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
// the takeover it was issued for (Confirm-MsolEmailVerifiedDomain).
func (c *Console) Verify(ctx context.Context, domain, admin string, opt VerifyOptions) (VerifyReport, error) {
	claim, err := parseClaim(domain, admin, "")
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
		res, err := c.check(ctx, *p.Challenge, opt.DNSServer)
		if err != nil {
			return rep, err
		}
		rep.Check = &res
		if err := c.Store.RecordCheck(claim.Admin.Key(), claim.Domain, res); err != nil {
			return rep, err
		}
		if !res.Verified() {
			return rep, fmt.Errorf("%w: %s", model.ErrNotVerified, res.Message())
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
		return rep, err
	}
	res, err := c.Store.TakeOverExternal(claim, p, opt.Force)
	rep.Directory = &res.Target
	if res.Job.ID != "" {
		rep.Job = &res.Job
	}
	return rep, err
}

func (c *Console) check(ctx context.Context, ch model.Challenge, server string) (dnscheck.Result, error) {
	checker := c.DNS
	if server != "" {
		checker.Server = server
	}
	want := dnscheck.Expect{Kind: dnscheck.TXT, Value: ch.Token}
	if ch.Mode == model.ModeMX {
		want.Kind = dnscheck.MX
	}
	return checker.Check(ctx, ch.Domain, want)
}
