package store

import (
	"time"

	"selfserve/model"
	"selfserve/store/engine"
)

// The budgets of wrong codes (model/budget.go): one per domain, one for
// the whole service. Only a failed verification writes them; a code
// asked for or confirmed reads them, so sign-ups do not contend on them.

func domainBudgetKey(domain string) []byte { return key(pBudget, "d/", domain) }

var overallBudgetKey = key(pBudget, "all")

// budgets reads the domain's budget and the service-wide one (nil: never
// spent).
func budgets(txn engine.Txn, domain string) (dom, all *model.Budget, err error) {
	var d, a model.Budget
	found, err := get(txn, domainBudgetKey(domain), &d)
	if err != nil {
		return nil, nil, err
	}
	if found {
		dom = &d
	}
	if found, err = get(txn, overallBudgetKey, &a); err != nil {
		return nil, nil, err
	}
	if found {
		all = &a
	}
	return dom, all, nil
}

// codeLength is how long a code sent now for domain is. It is read in a
// transaction of its own, so that asking for a code never conflicts with
// the failures that spend the budgets; a code made short just as a budget
// runs out is paused at verify like any other.
func (s *Store) codeLength(domain string, now time.Time) (int, error) {
	n := model.CodeDigits
	err := s.view(func(txn engine.Txn) error {
		dom, all, err := budgets(txn, domain)
		n = model.CodeLength(dom, all, now)
		return err
	})
	return n, err
}

// shortCodesPaused refuses a 6-digit code at domain while a budget is
// spent; nil when it may be checked. It reads both budgets in txn, so
// a check cannot slip past a failure committed meanwhile.
func shortCodesPaused(txn engine.Txn, domain string, now time.Time) error {
	dom, all, err := budgets(txn, domain)
	switch {
	case err != nil:
		return err
	case !model.DomainGuesses.Open(dom, now):
		return &model.PausedError{Domain: domain, Until: model.DomainGuesses.Reopens(dom, now)}
	case !model.OverallGuesses.Open(all, now):
		return &model.PausedError{Until: model.OverallGuesses.Reopens(all, now)}
	}
	return nil
}

// spendBudgets counts one failed verification at domain. Any domain can
// be named, so while the service-wide budget is spent (when every
// 6-digit code is paused anyway) no budget is made for a domain that has
// none: guesses at made-up domains cannot fill the disk with them.
func spendBudgets(txn engine.Txn, domain string, now time.Time) error {
	dom, all, err := budgets(txn, domain)
	if err != nil {
		return err
	}
	if dom != nil || model.OverallGuesses.Open(all, now) {
		if err := put(txn, domainBudgetKey(domain), model.DomainGuesses.Spend(dom, now)); err != nil {
			return err
		}
	}
	return put(txn, overallBudgetKey, model.OverallGuesses.Spend(all, now))
}
