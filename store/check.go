package store

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"
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
func Check(dir string, opts Options) (CheckReport, error) {
	rep := CheckReport{Dir: dir, Problems: []string{}, Unlisted: []string{}}
	opts.ReadOnly, opts.Create = true, false
	s, err := openRecovered(dir, opts)
	if errors.Is(err, ErrDamaged) {
		rep.add(err)
		// Open stops at the first damaged file; the rest are named too,
		// so one restore decision sees all of it.
		for _, err := range checkTableFiles(dir, badgerOptions(dir, opts)) {
			rep.add(err)
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
	aside, err := unlistedTables(dir)
	rep.add(err)
	rep.Unlisted = append(rep.Unlisted, aside...)
	return rep, nil
}

// openRecovered is Open with a Badger panic turned into ErrDamaged.
func openRecovered(dir string, opts Options) (s *Store, err error) {
	err = recovered("opening "+dir, func() error {
		s, err = Open(dir, opts)
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
func (s *Store) checkTables(rep *CheckReport) {
	tables := s.db.Tables()
	rep.Tables = len(tables)
	for _, ti := range tables {
		rep.add(s.db.verdict(ti.ID))
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

// checkTableFiles checks every table the MANIFEST lists, footer then
// blocks, without Badger: for a database Open refused.
func checkTableFiles(dir string, bo badger.Options) []error {
	m, _, err := readManifest(dir)
	if err != nil {
		return []error{err}
	}
	var problems []error
	for _, id := range slices.Sorted(maps.Keys(m.Tables)) {
		path := table.NewFilename(id, dir)
		err := checkFooter(path)
		if err == nil {
			err = verifyTable(path, bo)
		}
		if err != nil {
			problems = append(problems, err)
		}
	}
	return problems
}
