package store

import (
	"errors"

	"selfserve/store/engine"
	"selfserve/store/engine/postgres"
)

// openServer opens a database server's engine, without the store's
// start-up work.
func openServer(db string, opts Options) (engine.Engine, error) {
	return postgres.Open(db, postgres.Options{Create: opts.Create, MaxConns: opts.MaxConns})
}

// openEngine opens the engine db names, without the store's start-up
// work: fill uses it on an empty database.
func openEngine(db string, opts Options) (engine.Engine, error) { return openServer(db, opts) }

// openPostgres opens a store on a database server. Several servers and
// commands share it at once, so there is no lock; a takeover another
// server is running is that server's to finish, so a reader does not
// wait for it, and a writer resumes only jobs whose lease ran out.
func openPostgres(db string, opts Options) (*Store, error) {
	e, err := openServer(db, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{eng: e, db: db, opts: opts}
	if err := s.refuseUnfinishedFill(db); err != nil {
		e.Close()
		return nil, err
	}
	return start(e, db, opts)
}

// refuseUnfinishedFill is ErrDamaged while a restore or migration that
// did not finish left its marker (fill.go).
func (s *Store) refuseUnfinishedFill(db string) error {
	return s.view(func(txn engine.Txn) error {
		_, err := txn.Get([]byte(kFilling))
		if errors.Is(err, engine.ErrNotFound) {
			return nil
		}
		if err == nil {
			return errUnfinishedFill(db)
		}
		return err
	})
}
