package store

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
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
		return model.Operator
	}
	return v.Admin.Key()
}

// Reach is the set of directories a viewer may see and act on, read
// once for a listing.
type Reach struct {
	all     bool
	dirs    map[string]bool
	domains map[string]bool // of the directories in reach
}

// Has reports whether the directory with this id is within reach.
func (r Reach) Has(id string) bool { return r.all || r.dirs[id] }

// Covers reports whether an audit entry's target (a directory id or a
// domain) is within reach.
func (r Reach) Covers(target string) bool { return r.all || r.dirs[target] || r.domains[target] }

// NotWithin is the refusal for a directory outside an admin's reach, or
// one that does not exist: the same words for both, so an admin does not
// learn which domains have a directory.
func NotWithin(ref string) error {
	return fmt.Errorf("%w: no directory %q that you administer or can take over", model.ErrForbidden, ref)
}

// Reach reads what v may see, for a listing: the rule of reaches applied
// to every directory.
func (s *Store) Reach(v Viewer) (Reach, error) {
	if v.IsOperator() {
		return Reach{all: true}, nil
	}
	r := Reach{dirs: map[string]bool{}, domains: map[string]bool{}}
	err := s.view(func(txn engine.Txn) error {
		return each(txn, pDirectory, func(_ []byte, d model.Directory) error {
			ok, err := reaches(txn, v.Admin, d)
			if ok {
				r.dirs[d.ID] = true
				for _, domain := range d.Domains {
					r.domains[domain] = true
				}
			}
			return err
		})
	})
	return r, err
}

// Reaches reports whether v may see and act on d, by point reads.
func (s *Store) Reaches(v Viewer, d model.Directory) (bool, error) {
	if v.IsOperator() {
		return true, nil
	}
	var ok bool
	err := s.view(func(txn engine.Txn) (err error) {
		ok, err = reaches(txn, v.Admin, d)
		return err
	})
	return ok, err
}

// reaches is the rule. An admin reaches:
//   - the managed directories they are a global admin of, and the
//     directories merged into those;
//   - unmanaged directories they could take over by their own domain:
//     the domain of their address (an internal takeover, seed: "admin
//     takeover") or a subdomain of a domain of a directory they
//     administer (proven by the parent, PRODUCT.md §3).
//
// Anything else stays invisible. A challenge does not widen it: anyone
// who administers a directory may ask for one, so until the DNS check
// passes and the takeover is done, the directory's users are not theirs
// to read (the wizard's impact preview shows what the takeover does).
func reaches(txn engine.Txn, admin model.Address, d model.Directory) (bool, error) {
	administers := func(id string) (bool, error) {
		m, err := directory(txn, id)
		if errors.Is(err, model.ErrNotFound) {
			return false, nil
		}
		return err == nil && m.State == model.Managed && m.IsAdmin(admin.Key()), err
	}
	switch d.State {
	case model.Managed:
		return d.IsAdmin(admin.Key()), nil
	case model.Retired:
		return administers(d.MergedInto)
	}
	for _, domain := range d.Domains {
		if domain == admin.Domain {
			return true, nil
		}
		for _, parent := range model.ParentDomains(domain) {
			rec, err := domainRecord(txn, parent)
			if err != nil {
				return false, err
			}
			if rec == nil {
				continue
			}
			if ok, err := administers(rec.Directory); ok || err != nil {
				return ok, err
			}
		}
	}
	return false, nil
}
