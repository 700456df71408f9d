package store

import (
	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

const kDefaultSwitches = "cfg/default-switches"

// defaultSwitches are given to every new unmanaged directory: both on
// unless the operator configured otherwise (PRODUCT.md §3 rule 4).
func defaultSwitches(txn *badger.Txn) (model.Switches, error) {
	sw := model.Switches{AllowEmailVerifiedUsers: true, AllowAdHocSubscriptions: true}
	_, err := get(txn, []byte(kDefaultSwitches), &sw)
	return sw, err
}

// DefaultSwitches returns the switches new directories get.
func (s *Store) DefaultSwitches() (model.Switches, error) {
	var sw model.Switches
	err := s.view(func(txn *badger.Txn) (err error) { sw, err = defaultSwitches(txn); return })
	return sw, err
}

// SetDefaultSwitches changes the switches new directories get.
func (s *Store) SetDefaultSwitches(actor string, change func(model.Switches) model.Switches) (model.Switches, error) {
	var sw model.Switches
	err := s.update(func(txn *badger.Txn) error {
		before, err := defaultSwitches(txn)
		if err != nil {
			return err
		}
		sw = change(before)
		if err := put(txn, []byte(kDefaultSwitches), sw); err != nil {
			return err
		}
		return s.audit(txn, actor, "settings.defaults", "defaults", before, sw)
	})
	return sw, err
}
