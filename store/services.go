package store

import (
	"errors"
	"fmt"

	"selfserve/model"
	"selfserve/store/engine"
)

// seedServices writes the shipped catalogue once, on a new database, so an
// operator's later changes are never overwritten.
func (s *Store) seedServices() error {
	return s.update(func(txn engine.Txn) error {
		if _, err := txn.Get([]byte(kSeeded)); err == nil {
			return nil
		} else if !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		for _, svc := range model.DefaultServices() {
			if err := put(txn, serviceKey(svc.Name), svc); err != nil {
				return err
			}
		}
		return txn.Set([]byte(kSeeded), []byte("1"))
	})
}

// Services returns the catalogue in name order.
func (s *Store) Services() ([]model.Service, error) {
	out := []model.Service{}
	err := s.view(func(txn engine.Txn) error {
		var err error
		out, err = services(txn)
		return err
	})
	return out, err
}

func services(txn engine.Txn) ([]model.Service, error) {
	out := []model.Service{}
	err := scan(txn, []byte(pService), nil, func(k, v []byte) (bool, error) {
		var svc model.Service
		if err := decode(k, v, &svc); err != nil {
			return false, err
		}
		out = append(out, svc)
		return true, nil
	})
	return out, err
}

func catalogue(txn engine.Txn) (map[string]model.Service, error) {
	list, err := services(txn)
	if err != nil {
		return nil, err
	}
	m := make(map[string]model.Service, len(list))
	for _, svc := range list {
		m[svc.Name] = svc
	}
	return m, nil
}

func service(txn engine.Txn, name string) (model.Service, error) {
	var svc model.Service
	found, err := get(txn, serviceKey(name), &svc)
	if err == nil && !found {
		err = fmt.Errorf("%w: unknown service %q", model.ErrUnknownService, name)
	}
	return svc, err
}

// PutService adds a service or changes an existing one; created says which.
func (s *Store) PutService(actor string, svc model.Service) (created bool, err error) {
	if err := model.ValidServiceName(svc.Name); err != nil {
		return false, err
	}
	err = s.update(func(txn engine.Txn) error {
		var old model.Service
		found, err := get(txn, serviceKey(svc.Name), &old)
		if err != nil {
			return err
		}
		created = !found
		var before any
		if found {
			before = old
		}
		if err := put(txn, serviceKey(svc.Name), svc); err != nil {
			return err
		}
		return s.audit(txn, actor, model.ActionServicePut, svc.Name, before, svc)
	})
	return created, err
}
