package badger

import (
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4/table"
)

// CheckTables verifies every table of every level, each on its own, so
// that one damaged table does not hide the next; it returns how many
// there are and the damage found.
func (e *Engine) CheckTables() (int, []error) {
	tables := e.db.Tables()
	var problems []error
	for _, ti := range tables {
		if err := e.verdict(ti.ID); err != nil {
			problems = append(problems, err)
		}
	}
	return len(tables), problems
}

// CheckFiles checks every table the MANIFEST lists, footer then blocks,
// without Badger: for a database Open refused as damaged.
func CheckFiles(dir string) []error {
	m, _, err := readManifest(dir)
	if err != nil {
		return []error{err}
	}
	bo := BadgerOptions(dir, Options{})
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

// Unverified lists the table files no read has verified yet, which a
// damage test overwrites to show that a later read still notices.
func (e *Engine) Unverified() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ti := range e.db.Tables() {
		if _, verified := e.verdicts[ti.ID]; !verified {
			out = append(out, table.NewFilename(ti.ID, e.dir))
		}
	}
	return out
}
