package store

import (
	"encoding/binary"
	"encoding/json"

	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// Loader writes many records at once through a Badger WriteBatch, for
// building demo and test data in seconds. It bypasses the sign-up rules
// and the audit log, so it is only for filling a new database.
type Loader struct {
	s      *Store
	wb     *badger.WriteBatch
	users  map[string]int64
	grants map[dirService]int64
	err    error
	// unchecked counts the bytes set since the last look at the free
	// space: a WriteBatch meets a full disk in Badger's mmapped files as
	// SIGBUS, like a transaction does (checkSpace).
	unchecked int
}

// loaderCheckEvery is how many bytes a Loader sets between looks at the
// free space: an eighth of the smallest memtable (smallOptions), so the
// reserve, which holds several memtables, is never overrun between looks.
const loaderCheckEvery = 256 << 10

type dirService struct{ dir, service string }

// NewLoader starts a bulk load.
func (s *Store) NewLoader() *Loader {
	return &Loader{s: s, wb: s.db.NewWriteBatch(), users: map[string]int64{}, grants: map[dirService]int64{}}
}

func (l *Loader) set(k []byte, v any) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if l.unchecked += len(k) + len(b); err == nil && l.unchecked >= loaderCheckEvery {
		l.unchecked, err = 0, l.s.checkSpace()
	}
	if err == nil {
		err = l.wb.Set(k, b)
	}
	l.err = err
}

// Directory adds a directory and its domain records (verified when the
// directory is managed).
func (l *Loader) Directory(d model.Directory) {
	l.set(dirKey(d.ID), d)
	for _, dom := range d.Domains {
		rec := model.DomainRecord{Domain: dom, Directory: d.ID}
		if d.State == model.Managed {
			rec.Verified, rec.VerifiedAt, rec.Proof = true, d.CreatedAt, "dns-txt"
		}
		l.set(domainKey(dom), rec)
	}
}

// User adds a user to its directory.
func (l *Loader) User(u model.User) {
	addr, err := model.ParseAddress(u.Email)
	if err != nil {
		l.err = err
		return
	}
	u.Email = addr.String()
	l.set(userKey(u.Directory, addr.Key()), u)
	l.users[u.Directory]++
	for _, g := range u.Grants {
		l.grants[dirService{u.Directory, g}]++
	}
}

// Flush writes the counters and commits everything.
func (l *Loader) Flush() error {
	for dir, n := range l.users {
		if l.err == nil {
			l.err = l.wb.Set(userCountKey(dir), binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
	}
	for dg, n := range l.grants {
		if l.err == nil {
			l.err = l.wb.Set(grantCountKey(dg.dir, dg.service), binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
	}
	if l.err != nil {
		l.wb.Cancel()
		return l.err
	}
	return l.wb.Flush()
}
