package store

import (
	"slices"
	"strings"

	"selfserve/model"
	"selfserve/store/engine"
)

// checkAuditTrail reports every record that no audit entry accounts for: a
// directory, a user, a grant, a verified domain, a challenge (PRODUCT.md
// §3: every change is written to the audit log). Only a database built
// entirely through the Store's operations can pass: the Loader writes no
// audit entries, so demo data and the crash tests' fixtures fail it by
// design, which is why CheckInvariants does not include it, and why it
// lives with the tests that build such databases.
func (s *Store) checkAuditTrail() error {
	var p problems
	err := s.view(func(txn engine.Txn) error {
		tr, err := readCreationTrail(txn)
		if err != nil {
			return err
		}
		jobs, err := readJobs(txn)
		if err != nil {
			return err
		}
		if err := each(txn, pDirectory, func(_ []byte, d model.Directory) error {
			if !tr.dirCreated[d.ID] {
				p.bad("directory %s (%s) has no directory.create audit entry", d.ID, d.Name)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := each(txn, pUser, func(k []byte, u model.User) error {
			dir, addr, _ := strings.Cut(string(k[len(pUser):]), "/")
			// A merged user was created, and granted what it brought, in
			// the directory it came from.
			places := []string{dir + "/" + addr}
			if u.FormerID != "" {
				if j, ok := movedFrom(jobs, u); ok {
					places = append(places, j.Source+"/"+addr)
				}
			}
			if !slices.ContainsFunc(places, func(p string) bool { return tr.userCreated[p] }) {
				p.bad("user %s of %s has no user.create audit entry", addr, dir)
			}
			for _, g := range u.Grants {
				if !slices.ContainsFunc(places, func(p string) bool { return tr.granted[p+sep+g] }) {
					p.bad("user %s of %s holds %s, but no audit entry granted it", addr, dir, g)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := each(txn, pDomain, func(_ []byte, r model.DomainRecord) error {
			if r.Verified && !tr.verified[r.Directory+sep+r.Domain] {
				p.bad("domain %s is verified in %s, but no takeover or domain.add audit entry says so", r.Domain, r.Directory)
			}
			return nil
		}); err != nil {
			return err
		}
		return each(txn, pChallenge, func(_ []byte, ch model.Challenge) error {
			if !tr.challenges[ch.Domain+sep+ch.Token] {
				p.bad("challenge for %s issued to %s has no challenge.issue audit entry", ch.Domain, ch.Admin)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	return p.err("changes missing from the audit log")
}

// creationTrail is what the audit log says was created, granted and
// verified.
type creationTrail struct {
	dirCreated  map[string]bool // directory id
	userCreated map[string]bool // dir/address
	granted     map[string]bool // dir/address sep service
	verified    map[string]bool // dir sep domain
	challenges  map[string]bool // domain sep token
}

func readCreationTrail(txn engine.Txn) (creationTrail, error) {
	tr := creationTrail{dirCreated: map[string]bool{}, userCreated: map[string]bool{}, granted: map[string]bool{},
		verified: map[string]bool{}, challenges: map[string]bool{}}
	err := each(txn, pAudit, func(k []byte, e auditHead) error {
		switch e.Action {
		case model.ActionDirectoryCreate:
			tr.dirCreated[e.Target] = true
		case model.ActionUserCreate:
			tr.userCreated[e.Target] = true
			fallthrough
		case model.ActionUserGrant, model.ActionUserMember:
			var u struct {
				Grants []string `json:"grants"`
			}
			if err := decode(k, e.After, &u); err != nil {
				return err
			}
			for _, g := range u.Grants {
				tr.granted[e.Target+sep+g] = true
			}
		case model.ActionDomainAdd:
			var domain string
			if err := decode(k, e.After, &domain); err != nil {
				return err
			}
			tr.verified[e.Target+sep+domain] = true
		case model.ActionChallengeIssue:
			var ch struct {
				Token string `json:"token"`
			}
			if err := decode(k, e.After, &ch); err != nil {
				return err
			}
			tr.challenges[e.Target+sep+ch.Token] = true
		case model.ActionTakeoverInt:
			var d struct {
				Domains []string `json:"domains"`
			}
			if err := decode(k, e.After, &d); err != nil {
				return err
			}
			for _, dom := range d.Domains {
				tr.verified[e.Target+sep+dom] = true
			}
		case model.ActionTakeoverExt:
			var x struct {
				Target struct {
					ID string `json:"id"`
				} `json:"target"`
				Job struct {
					Domain string `json:"domain"`
				} `json:"job"`
			}
			if err := decode(k, e.After, &x); err != nil {
				return err
			}
			tr.verified[x.Target.ID+sep+x.Job.Domain] = true
		}
		return nil
	})
	return tr, err
}
