package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// CheckInvariants walks the whole database and reports every broken rule:
// a member in two directories, users of a missing or retired directory, a
// domain held by a directory that does not list it, counters that disagree
// with the records, or a takeover job left running. Tests and the torture
// run use it after every crash.
func (s *Store) CheckInvariants() error {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	err := s.view(func(txn *badger.Txn) error {
		dirs := map[string]model.Directory{}
		if err := scan(txn, []byte(pDirectory), nil, func(k, v []byte) (bool, error) {
			var d model.Directory
			err := decode(k, v, &d)
			dirs[d.ID] = d
			return true, err
		}); err != nil {
			return err
		}
		memberOf := map[string]string{}
		users := map[string]int64{}
		grants := map[string]int64{}
		if err := scan(txn, []byte(pUser), nil, func(k, v []byte) (bool, error) {
			var u model.User
			if err := decode(k, v, &u); err != nil {
				return false, err
			}
			rest := string(k[len(pUser):])
			dir, addr, _ := strings.Cut(rest, "/")
			d, ok := dirs[dir]
			switch {
			case !ok:
				bad("user %s is in missing directory %s", addr, dir)
			case d.State == model.Retired:
				bad("user %s is still in retired directory %s", addr, dir)
			}
			if u.Directory != dir {
				bad("user %s is stored under %s but says %s", addr, dir, u.Directory)
			}
			if u.Kind == model.Member {
				if other, dup := memberOf[addr]; dup {
					bad("member %s is in two directories: %s and %s", addr, other, dir)
				}
				memberOf[addr] = dir
			}
			users[dir]++
			for _, g := range u.Grants {
				grants[dir+"/"+g]++
			}
			return true, nil
		}); err != nil {
			return err
		}
		if err := scan(txn, []byte(pDomain), nil, func(k, v []byte) (bool, error) {
			var r model.DomainRecord
			if err := decode(k, v, &r); err != nil {
				return false, err
			}
			d, ok := dirs[r.Directory]
			if !ok || !slices.Contains(d.Domains, r.Domain) {
				bad("domain %s points at directory %s, which does not list it", r.Domain, r.Directory)
			}
			return true, nil
		}); err != nil {
			return err
		}
		for id := range dirs {
			n, err := readCount(txn, userCountKey(id))
			if err != nil {
				return err
			}
			if n != users[id] {
				bad("directory %s counts %d users but holds %d", id, n, users[id])
			}
		}
		if err := scan(txn, []byte(pGrantCnt), nil, func(k, v []byte) (bool, error) {
			n, err := countValue(k, v)
			dg := string(k[len(pGrantCnt):])
			if err == nil && n != grants[dg] {
				bad("grant counter %s is %d but users hold %d", dg, n, grants[dg])
			}
			delete(grants, dg)
			return true, err
		}); err != nil {
			return err
		}
		for dg, n := range grants {
			bad("grant %s is held by %d users but has no counter", dg, n)
		}
		return scan(txn, []byte(pJob), nil, func(k, v []byte) (bool, error) {
			var j model.Job
			err := decode(k, v, &j)
			if j.State != model.JobDone {
				bad("takeover job %s is still %s", j.ID, j.State)
			}
			return true, err
		})
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d broken invariants:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}
