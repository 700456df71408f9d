package store

import (
	"errors"
	"fmt"
	"slices"

	"selfserve/store/engine/badger"
)

// CheckReport is what a full check of a database found (selfserve check,
// issue 10 point 3). Problems is empty for a sound database.
type CheckReport struct {
	Dir         string   `json:"db"`
	Tables      int      `json:"tables"`
	Directories int      `json:"directories"`
	Users       int64    `json:"users"`
	Problems    []string `json:"problems"`
	// Unlisted are the tables opening set aside because the MANIFEST did
	// not list them (setAsideUnlisted): a crash's leftovers, or, beside
	// problems, the records a damaged MANIFEST lost.
	Unlisted []string `json:"unlisted"`
}

// add records a problem once: a damaged table is met by the table check,
// the walk and the count alike.
func (r *CheckReport) add(err error) {
	if err != nil && !slices.Contains(r.Problems, err.Error()) {
		r.Problems = append(r.Problems, err.Error())
	}
}

// Damaged reports whether the check found anything wrong.
func (r CheckReport) Damaged() bool { return len(r.Problems) > 0 }

// Check opens the database at dir read-only and checks all of it: every
// block of every table against its checksum, then the invariant walk
// (CheckInvariants). Damage is reported, not returned: a damaged MANIFEST
// or table that Open refuses is one problem, each table that fails its
// checksums another, then what the walk found. The error is for a check
// that could not run at all (no database there, another process holding
// it). Badger panics on some damage; every panic is caught and reported
// as damage of the file it was reading.
func Check(db string, opts Options) (CheckReport, error) {
	rep := CheckReport{Dir: Describe(db), Problems: []string{}, Unlisted: []string{}}
	opts.ReadOnly, opts.Create = true, false
	s, err := openRecovered(db, opts)
	if errors.Is(err, ErrDamaged) {
		rep.add(err)
		// Open stops at the first damaged file; the rest are named too,
		// so one restore decision sees all of it.
		if !IsURL(db) {
			for _, err := range badger.CheckFiles(db) {
				rep.add(err)
			}
		}
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer s.Close()
	s.checkTables(&rep)
	rep.add(recovered("the invariant walk", s.CheckInvariants))
	s.count(&rep)
	if !IsURL(db) {
		aside, err := badger.Unlisted(db)
		rep.add(err)
		rep.Unlisted = append(rep.Unlisted, aside...)
	}
	return rep, nil
}

// openRecovered is Open with a Badger panic turned into ErrDamaged.
func openRecovered(db string, opts Options) (s *Store, err error) {
	err = recovered("opening "+Describe(db), func() error {
		s, err = Open(db, opts)
		return err
	})
	return s, err
}

// recovered runs fn; a panic in it is damage met while doing what.
func recovered(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s stopped on unreadable data (%v)", ErrDamaged, what, r)
		}
	}()
	return fn()
}

// checkTables verifies every table of every level, each on its own, so
// that one damaged table does not hide the next.
// (A database server checks its own pages; a Badger database's tables
// are ours to check.)
func (s *Store) checkTables(rep *CheckReport) {
	b, ok := s.eng.(*badger.Engine)
	if !ok {
		return
	}
	n, problems := b.CheckTables()
	rep.Tables = n
	for _, err := range problems {
		rep.add(err)
	}
}

// count fills in how many directories and users the report covers (the
// walk has checked the counters they come from).
func (s *Store) count(rep *CheckReport) {
	err := recovered("counting directories", func() (err error) {
		rep.Directories, rep.Users, err = s.Totals()
		return err
	})
	rep.add(err)
}

// Totals counts the directories and the users in them, from the
// directory summaries.
func (s *Store) Totals() (directories int, users int64, err error) {
	sums, err := s.Directories("")
	for _, d := range sums {
		users += d.Users
	}
	return len(sums), users, err
}
