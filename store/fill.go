package store

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"

	"selfserve/model"
	"selfserve/store/engine"
	"selfserve/store/engine/badger"
)

// fill makes a new database at db, which must be new or empty, with what
// load writes into a bulk loader: a restore or a migration. In a
// directory the records appear all at once (badger.Fill). On a server a
// marker record goes first and is removed last, so a fill cut short is
// refused by Open rather than read as a short database.
func fill(db string, opts Options, size int64, load func(engine.Loader) error) error {
	if !IsURL(db) {
		return badger.Fill(db, badger.Options{LockWait: opts.LockWait}, size, func(e *badger.Engine) error {
			l := e.NewLoader()
			if err := load(l); err != nil {
				l.Flush()
				return err
			}
			return l.Flush()
		})
	}
	opts.Create = true
	e, err := openEngine(db, opts)
	if err != nil {
		return err
	}
	defer e.Close()
	empty, err := isEmpty(e)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: %s already holds a database; fill only a new or empty one", model.ErrConflict, Describe(db))
	}
	l := e.NewLoader()
	err = l.Set([]byte(kFilling), []byte("1"))
	if err == nil {
		err = load(l)
	}
	if ferr := l.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	return e.Update(func(txn engine.Txn) error { return txn.Delete([]byte(kFilling)) })
}

func isEmpty(e engine.Engine) (bool, error) {
	empty := true
	err := e.View(func(txn engine.Txn) error {
		return txn.Scan(engine.Range{Limit: 1}, func(_, _ []byte) (bool, error) {
			empty = false
			return false, nil
		})
	})
	return empty, err
}

// errUnfinishedFill is what Open says of a database a fill left short.
func errUnfinishedFill(db string) error {
	return fmt.Errorf("%w: %s holds a restore or migration that did not finish", ErrDamaged, Describe(db))
}

// reopen opens db once as usual and closes it: the start-up work, which
// finishes a takeover a backup caught running.
func reopen(db string, opts Options) error {
	opts.Create, opts.ReadOnly = false, false
	s, err := Open(db, opts)
	if err != nil {
		return err
	}
	return s.Close()
}

// Migrate copies every record of the database at from into a new one at
// to (issue 13 point 5), in one snapshot of from, with the sign-up code
// key, so codes already sent still work. to must be new or empty.
func Migrate(from, to string, opts Options) (records int64, err error) {
	ro := opts
	ro.ReadOnly, ro.Create = true, false
	src, err := Open(from, ro)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	key, err := src.existingCodeKey(from)
	if err != nil {
		return 0, err
	}
	err = fill(to, opts, 0, func(l engine.Loader) error {
		if key != nil && IsURL(to) {
			if err := l.Set([]byte(kCodeKey), []byte(hex.EncodeToString(key))); err != nil {
				return err
			}
		}
		return src.view(func(txn engine.Txn) error {
			return eachRecord(txn, func(k, v []byte) error {
				records++
				return l.Set(k, v)
			})
		})
	})
	if err == nil && key != nil && !IsURL(to) {
		_, err = writeCodeKey(filepath.Join(to, codeKeyFile), key)
	}
	if err != nil {
		return records, fmt.Errorf("migrate %s to %s: %w", Describe(from), Describe(to), err)
	}
	return records, reopen(to, opts)
}

// existingCodeKey is the code key of the database at db, nil when it has
// none yet; reading it makes none.
func (s *Store) existingCodeKey(db string) ([]byte, error) {
	if !IsURL(db) {
		key, err := readCodeKey(filepath.Join(db, codeKeyFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return key, err
	}
	var key []byte
	err := s.view(func(txn engine.Txn) error {
		b, err := txn.Get([]byte(kCodeKey))
		if errors.Is(err, engine.ErrNotFound) {
			return nil
		}
		if err == nil {
			key, err = hex.DecodeString(string(b))
		}
		return err
	})
	return key, err
}

// Describe names db for people and logs: a directory as it is, a URL
// without its password.
func Describe(db string) string {
	if !IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "a PostgreSQL URL that does not parse"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
