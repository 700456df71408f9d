package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"selfserve/model"
	"selfserve/store/engine"
)

func directory(txn engine.Txn, id string) (model.Directory, error) {
	var d model.Directory
	found, err := get(txn, dirKey(id), &d)
	if err == nil && !found {
		err = fmt.Errorf("%w: no directory %s", model.ErrNoDirectory, id)
	}
	return d, err
}

func domainRecord(txn engine.Txn, domain string) (*model.DomainRecord, error) {
	var r model.DomainRecord
	found, err := get(txn, domainKey(domain), &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}

// resolve finds a directory by id or by any of its domains.
func resolve(txn engine.Txn, ref string) (model.Directory, error) {
	ref = strings.TrimSpace(ref)
	if d, err := directory(txn, ref); err == nil || !errors.Is(err, model.ErrNotFound) {
		return d, err
	}
	if domain, err := model.NormalizeDomain(ref); err == nil {
		rec, err := domainRecord(txn, domain)
		if err != nil {
			return model.Directory{}, err
		}
		if rec != nil {
			return directory(txn, rec.Directory)
		}
	}
	return model.Directory{}, fmt.Errorf("%w: no directory with id or domain %q", model.ErrNoDirectory, ref)
}

// Directory finds a directory by id or domain.
func (s *Store) Directory(ref string) (model.Directory, error) {
	var d model.Directory
	err := s.view(func(txn engine.Txn) (err error) { d, err = resolve(txn, ref); return })
	return d, err
}

// DirectorySummary is a directory with the counts a listing shows.
type DirectorySummary struct {
	model.Directory
	Users  int64            `json:"users"`
	Grants map[string]int64 `json:"grants"` // users per service in use
	// DomainRecords says how each domain the directory holds was proven
	// and whether its last re-check flagged it.
	DomainRecords []model.DomainRecord `json:"domainRecords"`
}

func summary(txn engine.Txn, d model.Directory) (DirectorySummary, error) {
	sum := DirectorySummary{Directory: d, Grants: map[string]int64{}, DomainRecords: []model.DomainRecord{}}
	for _, dom := range d.Domains {
		rec, err := domainRecord(txn, dom)
		if err != nil {
			return sum, err
		}
		if rec != nil && rec.Directory == d.ID {
			sum.DomainRecords = append(sum.DomainRecords, *rec)
		}
	}
	var err error
	if sum.Users, err = sumCount(txn, userCountKey(d.ID)); err != nil {
		return sum, err
	}
	grants, err := sumCounters(txn, grantCountPrefix(d.ID))
	for svc, n := range grants {
		if n != 0 {
			sum.Grants[svc] = n
		}
	}
	return sum, err
}

// Summary returns one directory with its counts.
func (s *Store) Summary(ref string) (DirectorySummary, error) {
	var sum DirectorySummary
	err := s.view(func(txn engine.Txn) error {
		d, err := resolve(txn, ref)
		if err != nil {
			return err
		}
		sum, err = summary(txn, d)
		return err
	})
	return sum, err
}

// Directories lists directories in id order, only those in state when it
// is not empty.
func (s *Store) Directories(state model.State) ([]DirectorySummary, error) {
	out := []DirectorySummary{}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pDirectory), nil, func(k, v []byte) (bool, error) {
			var d model.Directory
			if err := decode(k, v, &d); err != nil {
				return false, err
			}
			if state != "" && d.State != state {
				return true, nil
			}
			sum, err := summary(txn, d)
			out = append(out, sum)
			return true, err
		})
	})
	return out, err
}

// Domains lists every domain record in name order.
func (s *Store) Domains() ([]model.DomainRecord, error) {
	out := []model.DomainRecord{}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, []byte(pDomain), nil, func(k, v []byte) (bool, error) {
			var r model.DomainRecord
			err := decode(k, v, &r)
			out = append(out, r)
			return true, err
		})
	})
	return out, err
}

// Users returns up to limit users of a directory whose address key sorts
// after `afterKey`, read by seeking, never by loading the directory.
func (s *Store) Users(ref, afterKey string, limit int) ([]model.User, error) {
	out := []model.User{}
	err := s.view(func(txn engine.Txn) error {
		d, err := resolve(txn, ref)
		if err != nil {
			return err
		}
		var from []byte
		if afterKey != "" {
			from = after(userKey(d.ID, afterKey))
		}
		return scan(txn, userPrefix(d.ID), from, func(k, v []byte) (bool, error) {
			var u model.User
			if err := decode(k, v, &u); err != nil {
				return false, err
			}
			out = append(out, u)
			return limit <= 0 || len(out) < limit, nil
		})
	})
	return out, err
}

// SetSwitches changes a directory's switches. actor is "operator" or an
// admin address key; an admin must be a global admin of a managed
// directory (an unmanaged one has nobody to decide for it but the
// operator).
func (s *Store) SetSwitches(ref, actor string, isOperator bool, change func(model.Switches) model.Switches) (model.Directory, error) {
	var d model.Directory
	err := s.update(func(txn engine.Txn) error {
		var err error
		if d, err = resolve(txn, ref); err != nil {
			return err
		}
		if d.State == model.Retired {
			return fmt.Errorf("%w: directory %s was merged into %s and is read-only", model.ErrRefused, d.Name, d.MergedInto)
		}
		if !isOperator && (d.State != model.Managed || !d.IsAdmin(actor)) {
			return fmt.Errorf("%w: %s is not a global admin of %s; only its global admins or the operator may change its settings",
				model.ErrForbidden, actor, d.Name)
		}
		before := d.Switches
		d.Switches = change(before)
		if d.Switches == before {
			return nil
		}
		if err := put(txn, dirKey(d.ID), d); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionSettingsChange, d.ID, before, d.Switches)
	})
	return d, err
}

// Mappings lists the users-to-resources mappings of one user of a
// directory, made when the user was merged into it.
func (s *Store) Mappings(dir, addrKey string) ([]model.Mapping, error) {
	out := []model.Mapping{}
	err := s.view(func(txn engine.Txn) error {
		return scan(txn, mappingPrefix(dir, addrKey), nil, func(k, v []byte) (bool, error) {
			var m model.Mapping
			err := decode(k, v, &m)
			out = append(out, m)
			return true, err
		})
	})
	return out, err
}

// User returns one user of a directory and the mappings made when it was
// merged in.
func (s *Store) User(ref string, addr model.Address) (model.User, []model.Mapping, error) {
	var u model.User
	var d model.Directory
	err := s.view(func(txn engine.Txn) error {
		var err error
		if d, err = resolve(txn, ref); err != nil {
			return err
		}
		found, err := get(txn, userKey(d.ID, addr.Key()), &u)
		if err == nil && !found {
			err = fmt.Errorf("%w: %s is not a user of %s", model.ErrNotFound, addr, d.Name)
		}
		return err
	})
	if err != nil {
		return u, nil, err
	}
	maps, err := s.Mappings(d.ID, addr.Key())
	return u, maps, err
}

// InUse names the services at least one of the directory's users holds,
// in order.
func (s DirectorySummary) InUse() []string {
	var names []string
	for n, c := range s.Grants {
		if c > 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
