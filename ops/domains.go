package ops

import (
	"slices"

	"selfserve/model"
)

// Domains reads every domain record the viewer may see, in name order:
// for an admin, those of the directories within their reach.
func (s *Session) Domains() ([]model.DomainRecord, error) {
	recs, err := s.c.Store.Domains()
	if err != nil || s.v.IsOperator() {
		return recs, err
	}
	r, err := s.c.Store.Reach(s.v)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(recs, func(d model.DomainRecord) bool { return !r.Has(d.Directory) }), nil
}
