package store

import (
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
)

// Claim is who asks to prove which domain, and into which directory.
type Claim struct {
	Domain string
	Admin  model.Address
	Into   string // directory ref; empty for an internal takeover
	// By is who makes the claim for Admin when it is someone else: the
	// operator typing an admin's address. The audit log names both
	// (issue 11 point 6).
	By string
}

// auditClaim writes c's change to the audit log under both names.
func (s *Store) auditClaim(txn engine.Txn, c Claim, action, target string, before, after any) error {
	actor, as := model.Acting(c.By, c.Admin.Key())
	return s.auditAs(txn, actor, as, action, target, before, after)
}

// claimScope is what a claim touches, checked inside the transaction that
// acts on it.
type claimScope struct {
	Kind   model.TakeoverKind
	Source *model.Directory // the directory holding the domain now, if any
	Target *model.Directory // external only
	// Parent is a domain verified in Target that the claimed domain sits
	// under; it proves ownership without a new challenge.
	Parent string
}

// authorize applies the takeover rules of PRODUCT.md §3 to c. It runs at
// challenge, at verify and again inside the takeover's transaction, so a
// domain the operator lists as consumer mail in between is refused too.
func authorize(txn engine.Txn, c Claim) (claimScope, error) {
	var sc claimScope
	if err := claimableName(txn, c.Domain); err != nil {
		return sc, err
	}
	rec, err := domainRecord(txn, c.Domain)
	if err != nil {
		return sc, err
	}
	if rec != nil {
		d, err := directory(txn, rec.Directory)
		if err != nil {
			return sc, err
		}
		sc.Source = &d
	}
	if c.Into == "" {
		sc.Kind = model.Internal
		if err := model.CheckClaimable(c.Domain, rec, sc.Source, ""); err != nil {
			return sc, err
		}
		if sc.Source == nil {
			return sc, fmt.Errorf("%w: no directory holds %s, so there is nothing to take over", model.ErrNothingToTakeOver, c.Domain)
		}
		var u model.User
		member, err := get(txn, userKey(sc.Source.ID, c.Admin.Key()), &u)
		if err != nil {
			return sc, err
		}
		return sc, model.CheckInternal(*sc.Source, c.Domain, c.Admin, member && u.Kind == model.Member)
	}
	sc.Kind = model.External
	m, err := resolve(txn, c.Into)
	if err != nil {
		return sc, err
	}
	sc.Target = &m
	if err := model.CheckExternal(m, c.Admin); err != nil {
		return sc, err
	}
	if err := model.CheckClaimable(c.Domain, rec, sc.Source, m.ID); err != nil {
		return sc, err
	}
	for _, p := range model.ParentDomains(c.Domain) {
		prec, err := domainRecord(txn, p)
		if err != nil {
			return sc, err
		}
		if prec != nil && prec.Verified && prec.Directory == m.ID {
			sc.Parent = p
			break
		}
	}
	return sc, nil
}

// claimableName refuses, whoever asks and whatever was issued before, a
// domain that can never be claimed: a consumer mail domain (shipped or the
// operator's) or a public suffix.
func claimableName(txn engine.Txn, domain string) error {
	consumer, err := consumerDomains(txn)
	if err != nil {
		return err
	}
	if err := consumer.Refuse(domain); err != nil {
		return err
	}
	return model.CheckClaimable(domain, nil, nil, "")
}

// ChallengeResult is the answer to `domain challenge`.
type ChallengeResult struct {
	Challenge *model.Challenge `json:"challenge,omitempty"`
	// ParentProof is set instead when a verified parent domain in the
	// target directory already proves ownership.
	ParentProof string `json:"parentProof,omitempty"`
	Reused      bool   `json:"reused"`
	// Replaced is the admin's earlier, still valid challenge for this
	// domain that no longer counts (a new mode or takeover kind).
	Replaced *model.Challenge `json:"replaced,omitempty"`
}

// IssueChallenge returns the admin's valid challenge for the same request,
// or issues a new one.
func (s *Store) IssueChallenge(c Claim, mode model.ChallengeMode) (ChallengeResult, error) {
	var res ChallengeResult
	err := s.update(func(txn engine.Txn) error {
		res = ChallengeResult{}
		sc, err := authorize(txn, c)
		if err != nil {
			return err
		}
		if sc.Parent != "" {
			res.ParentProof = sc.Parent
			return nil
		}
		into := ""
		if sc.Target != nil {
			into = sc.Target.ID
		}
		now := s.Now()
		var old model.Challenge
		found, err := get(txn, challengeKey(c.Domain, c.Admin.Key()), &old)
		if err != nil {
			return err
		}
		if found && old.Valid(now) {
			if old.Answers(c.Domain, c.Admin.Key(), mode, sc.Kind, into) {
				res.Challenge, res.Reused = &old, true
				return nil
			}
			res.Replaced = &old
		}
		ch, err := model.NewChallenge(s.rand, c.Domain, c.Admin.Key(), mode, sc.Kind, into, now.UTC(), s.opts.ChallengeTTL)
		if err != nil {
			return err
		}
		res.Challenge = &ch
		if err := put(txn, challengeKey(c.Domain, c.Admin.Key()), ch); err != nil {
			return err
		}
		return s.auditClaim(txn, c, model.ActionChallengeIssue, c.Domain, nil, ch)
	})
	return res, err
}

// PendingProof is what `domain verify` must check before acting.
type PendingProof struct {
	Challenge   *model.Challenge
	ParentProof string
	Kind        model.TakeoverKind
	Target      *model.Directory
	Source      *model.Directory
}

// Pending finds the admin's challenge for domain (or a parent proof) and
// re-checks that the admin may still act on it.
func (s *Store) Pending(domain string, admin model.Address) (PendingProof, error) {
	var p PendingProof
	err := s.view(func(txn engine.Txn) error {
		if err := claimableName(txn, domain); err != nil {
			return err
		}
		var ch model.Challenge
		found, err := get(txn, challengeKey(domain, admin.Key()), &ch)
		if err != nil {
			return err
		}
		c := Claim{Domain: domain, Admin: admin}
		if found {
			c.Into = ch.Into
		}
		// Without a challenge, only a parent proof into a directory the
		// admin runs can stand in; look for one.
		if !found {
			if err := alreadyYours(txn, domain, admin); err != nil {
				return err
			}
			m, ok, err := adminDirectoryWithParent(txn, domain, admin)
			if err != nil {
				return err
			}
			if !ok {
				return &model.NoChallengeError{Domain: domain, Admin: admin.String()}
			}
			c.Into = m
		}
		sc, err := authorize(txn, c)
		if err != nil {
			return err
		}
		p = PendingProof{Kind: sc.Kind, Target: sc.Target, Source: sc.Source, ParentProof: sc.Parent}
		if sc.Parent != "" {
			return nil
		}
		if !found {
			return &model.NoChallengeError{Domain: domain, Admin: admin.String()}
		}
		if !ch.Valid(s.Now()) {
			return fmt.Errorf("%w: the challenge for %s expired at %s",
				model.ErrChallengeExpired, domain, ch.ExpiresAt.Format("2006-01-02 15:04 MST"))
		}
		p.Challenge = &ch
		return nil
	})
	return p, err
}

// alreadyYours answers a second verify of a domain the admin already holds
// verified, instead of sending them off to ask for a challenge.
func alreadyYours(txn engine.Txn, domain string, admin model.Address) error {
	rec, err := domainRecord(txn, domain)
	if err != nil || rec == nil || !rec.Verified {
		return err
	}
	d, err := directory(txn, rec.Directory)
	if err != nil {
		return err
	}
	if d.State == model.Managed && d.IsAdmin(admin.Key()) {
		return fmt.Errorf("%w: %s is already verified in your directory %s; nothing to do", model.ErrConflict, domain, d.Name)
	}
	return nil
}

// adminDirectoryWithParent finds a managed directory where admin is a global
// admin and a parent of domain is verified.
func adminDirectoryWithParent(txn engine.Txn, domain string, admin model.Address) (string, bool, error) {
	for _, p := range model.ParentDomains(domain) {
		rec, err := domainRecord(txn, p)
		if err != nil {
			return "", false, err
		}
		if rec == nil || !rec.Verified {
			continue
		}
		d, err := directory(txn, rec.Directory)
		if err != nil {
			return "", false, err
		}
		if d.State == model.Managed && d.IsAdmin(admin.Key()) {
			return d.ID, true, nil
		}
	}
	return "", false, nil
}

// checkProof re-reads, inside the takeover's transaction, what proved the
// claim: the challenge must still be the admin's current one and valid (it
// may have expired or been replaced since the DNS check), or the parent
// domain must still be verified in the target.
func (s *Store) checkProof(txn engine.Txn, c Claim, sc claimScope, p PendingProof) error {
	if p.ParentProof != "" {
		if sc.Parent != p.ParentProof {
			return fmt.Errorf("%w: %s no longer proves %s", model.ErrProofChanged, p.ParentProof, c.Domain)
		}
		return nil
	}
	if p.Challenge == nil {
		return fmt.Errorf("%w: nothing proves %s yet: no challenge was checked and no parent domain proves it", model.ErrNotVerified, c.Domain)
	}
	var now model.Challenge
	found, err := get(txn, challengeKey(c.Domain, c.Admin.Key()), &now)
	if err != nil {
		return err
	}
	if !found || now.Token != p.Challenge.Token || !now.Valid(s.Now()) {
		return fmt.Errorf("%w: the challenge that was checked for %s has expired or been replaced",
			model.ErrProofChanged, c.Domain)
	}
	return txn.Delete(challengeKey(c.Domain, c.Admin.Key()))
}

// RecordCheck writes the result of a DNS check for c to the audit log.
func (s *Store) RecordCheck(c Claim, result any) error {
	return s.update(func(txn engine.Txn) error {
		return s.auditClaim(txn, c, model.ActionCheck, c.Domain, nil, result)
	})
}
