package store

import (
	"github.com/dgraph-io/badger/v4"

	"selfserve/model"
)

// consumerDomains is the shipped list plus the operator's additions.
func consumerDomains(txn *badger.Txn) (model.ConsumerDomains, error) {
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
	return s.update(func(txn *badger.Txn) error {
		if err := txn.Set(key(pConsumer, d), nil); err != nil {
			return err
		}
		return s.audit(txn, actor, "consumer-domain.add", d, nil, d)
	})
}

// ConsumerDomains lists every consumer domain in force.
func (s *Store) ConsumerDomains() (model.ConsumerDomains, error) {
	var set model.ConsumerDomains
	err := s.view(func(txn *badger.Txn) error {
		var err error
		set, err = consumerDomains(txn)
		return err
	})
	return set, err
}
