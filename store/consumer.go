package store

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
)

// consumerDomains is the shipped list plus the operator's additions.
func consumerDomains(txn engine.Txn) (model.ConsumerDomains, error) {
	set := model.ShippedConsumerDomains()
	err := scan(txn, []byte(pConsumer), nil, func(k, _ []byte) (bool, error) {
		set[string(k[len(pConsumer):])] = true
		return true, nil
	})
	return set, err
}

// AddConsumerDomain extends the consumer-domain list.
func (s *Store) AddConsumerDomain(actor, domain string) error {
	d, err := model.ParseDomain(domain)
	if err != nil {
		return err
	}
	if model.IsPublicSuffix(d) {
		return fmt.Errorf("%w: %s is a public suffix, which never gets a directory anyway", model.ErrConflict, d)
	}
	return s.update(func(txn engine.Txn) error {
		rec, err := domainRecord(txn, d)
		if err != nil {
			return err
		}
		if rec != nil {
			return fmt.Errorf("%w: %s already has directory %s; a domain that people sign up with for work is not a consumer domain", model.ErrConflict, d, rec.Directory)
		}
		if err := txn.Set(key(pConsumer, d), nil); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionConsumerAdd, d, nil, d)
	})
}

// RemoveConsumerDomain takes back an operator's addition. The shipped list
// cannot be shortened: its domains are consumer mail everywhere.
func (s *Store) RemoveConsumerDomain(actor, domain string) error {
	d, err := model.ParseDomain(domain)
	if err != nil {
		return err
	}
	return s.update(func(txn engine.Txn) error {
		if _, err := txn.Get(key(pConsumer, d)); errors.Is(err, engine.ErrNotFound) {
			if model.ShippedConsumerDomains()[d] {
				return fmt.Errorf("%w: %s is on the shipped consumer list, which cannot be changed", model.ErrRefused, d)
			}
			return fmt.Errorf("%w: %s is not on the consumer list", model.ErrNotFound, d)
		} else if err != nil {
			return err
		}
		if err := txn.Delete(key(pConsumer, d)); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionConsumerRemove, d, d, nil)
	})
}

// ConsumerDomains lists every consumer domain in force.
func (s *Store) ConsumerDomains() (model.ConsumerDomains, error) {
	var set model.ConsumerDomains
	err := s.view(func(txn engine.Txn) error {
		var err error
		set, err = consumerDomains(txn)
		return err
	})
	return set, err
}
