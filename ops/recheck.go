package ops

import (
	"context"
	"time"

	"selfserve/dnscheck"
	"selfserve/model"
)

// Recheck is one re-checked domain.
type Recheck struct {
	Domain model.DomainRecord `json:"domain"`
	Check  dnscheck.Result    `json:"check"`
}

// Recheck looks again for the proof record of verified domains last
// checked longer than interval ago (all of them with all). A domain whose
// record is gone is flagged, never un-verified.
func (c *Console) Recheck(ctx context.Context, interval time.Duration, all bool) ([]Recheck, error) {
	var cutoff time.Time
	if !all {
		cutoff = c.Store.Now().Add(-interval)
	}
	due, err := c.Store.DueRechecks(cutoff)
	if err != nil {
		return nil, err
	}
	out := []Recheck{}
	for _, d := range due {
		res, err := c.check(ctx, *d.Record, "")
		if err != nil {
			return out, err
		}
		rec, err := c.Store.RecordRecheck(d.Domain, res.Verified(), res.Message(), res)
		if err != nil {
			return out, err
		}
		out = append(out, Recheck{Domain: rec, Check: res})
	}
	return out, nil
}
