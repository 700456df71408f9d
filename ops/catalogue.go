package ops

import "selfserve/model"

// The service catalogue and the consumer mail domains are the operator's
// to change; anyone may read them (a sign-up page offers the services).

// PutService adds a service or changes an existing one; created says which.
func (s *Session) PutService(svc model.Service) (created bool, err error) {
	if !s.v.IsOperator() {
		return false, ErrOperatorOnly
	}
	return s.c.Store.PutService(s.v.Actor(), svc)
}

// ConsumerDomains reads the consumer mail domains: the shipped list and
// the operator's additions.
func (s *Session) ConsumerDomains() (model.ConsumerDomains, error) {
	return s.c.Store.ConsumerDomains()
}

// AddConsumerDomain refuses sign-ups from domain from now on.
func (s *Session) AddConsumerDomain(domain string) error {
	if !s.v.IsOperator() {
		return ErrOperatorOnly
	}
	return s.c.Store.AddConsumerDomain(s.v.Actor(), domain)
}

// RemoveConsumerDomain takes back an operator's addition.
func (s *Session) RemoveConsumerDomain(domain string) error {
	if !s.v.IsOperator() {
		return ErrOperatorOnly
	}
	return s.c.Store.RemoveConsumerDomain(s.v.Actor(), domain)
}
