package store

import (
	"encoding/binary"
	"encoding/json"

	"selfserve/model"
	"selfserve/store/engine"
)

// Loader writes many records at once through the engine's bulk loader,
// for building demo and test data in seconds. It bypasses the sign-up
// rules and the audit log, so it is only for filling a new database.
type Loader struct {
	s      *Store
	l      engine.Loader
	users  map[string]int64
	grants map[dirService]int64
	err    error
}

type dirService struct{ dir, service string }

// NewLoader starts a bulk load.
func (s *Store) NewLoader() *Loader {
	return &Loader{s: s, l: s.eng.NewLoader(), users: map[string]int64{}, grants: map[dirService]int64{}}
}

func (l *Loader) set(k []byte, v any) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = l.l.Set(k, b)
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

// Flush writes the counters and makes everything durable; watchers are
// told to read again all they show.
func (l *Loader) Flush() error {
	for dir, n := range l.users {
		if l.err == nil {
			l.err = l.l.Set(userCountKey(dir), binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
	}
	for dg, n := range l.grants {
		if l.err == nil {
			l.err = l.l.Set(grantCountKey(dg.dir, dg.service), binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
	}
	if err := l.l.Flush(); l.err == nil {
		l.err = err
	}
	if l.err == nil {
		l.s.feed.lost()
	}
	return l.err
}
