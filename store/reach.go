package store

import (
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// Viewer is who a console session acts for. The zero Viewer is the
// operator, who sees every directory; an admin (signed in over SSH with
// their key) sees only their own world.
type Viewer struct {
	Admin model.Address
}

// IsOperator reports whether v is the operator.
func (v Viewer) IsOperator() bool { return v.Admin.Domain == "" }

// Actor is v's name in the audit log: "operator" or the admin's address.
func (v Viewer) Actor() string {
	if v.IsOperator() {
		return "operator"
	}
	return v.Admin.Key()
}

// Reach is the set of directories a viewer may see and act on.
type Reach struct {
	all     bool
	dirs    map[string]bool
	domains map[string]bool // of the directories in reach
	// Own are the managed directories the admin administers: where an
	// external takeover may merge into.
	Own []string
}

// Has reports whether the directory with this id is within reach.
func (r Reach) Has(id string) bool { return r.all || r.dirs[id] }

// Covers reports whether an audit entry's target (a directory id or a
// domain) is within reach.
func (r Reach) Covers(target string) bool { return r.all || r.dirs[target] || r.domains[target] }

// Check returns ErrForbidden, naming the directory, when d is out of reach.
// Callers give an admin the same message for a directory that does not
// exist (NotWithin), so :dir does not tell them which domains have one.
func (r Reach) Check(d model.Directory, ref string) error {
	if r.Has(d.ID) {
		return nil
	}
	return NotWithin(ref)
}

// NotWithin is the refusal for a directory outside an admin's reach, or
// one that does not exist.
func NotWithin(ref string) error {
	return fmt.Errorf("%w: no directory %q that you administer or can take over", model.ErrForbidden, ref)
}

// Reach computes what v may see. An admin reaches:
//   - the managed directories they are a global admin of, and the
//     directories merged into those;
//   - unmanaged directories they could take over by their own domain:
//     the domain of their address (an internal takeover, seed: "admin
//     takeover") or a subdomain of a domain verified in their directories
//     (proven by the parent, PRODUCT.md §3).
//
// Anything else stays invisible. A challenge does not widen it: anyone
// who administers a directory may ask for one, so until the DNS check
// passes and the takeover is done, the directory's users are not theirs
// to read (the wizard's impact preview shows what the takeover does).
func (s *Store) Reach(v Viewer) (Reach, error) {
	if v.IsOperator() {
		return Reach{all: true}, nil
	}
	r := Reach{dirs: map[string]bool{}, domains: map[string]bool{}}
	admin := v.Admin.Key()
	err := s.view(func(txn *badger.Txn) error {
		var all []model.Directory
		var verified []string
		if err := each(txn, pDirectory, func(_ []byte, d model.Directory) error {
			all = append(all, d)
			if d.State == model.Managed && d.IsAdmin(admin) {
				r.Own = append(r.Own, d.ID)
				r.dirs[d.ID] = true
				verified = append(verified, d.Domains...)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, d := range all {
			switch {
			case d.State == model.Retired && r.dirs[d.MergedInto]:
				r.dirs[d.ID] = true
			case d.State == model.Unmanaged && claimableBy(d, v.Admin.Domain, verified):
				r.dirs[d.ID] = true
			}
			if r.dirs[d.ID] {
				for _, domain := range d.Domains {
					r.domains[domain] = true
				}
			}
		}
		return nil
	})
	return r, err
}

func claimableBy(d model.Directory, own string, verified []string) bool {
	for _, domain := range d.Domains {
		if domain == own {
			return true
		}
		for _, v := range verified {
			if strings.HasSuffix(domain, "."+v) {
				return true
			}
		}
	}
	return false
}
