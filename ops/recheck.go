package ops

import (
	"context"
	"time"

	"selfserve/dnscheck"
	"selfserve/model"
	"selfserve/store"
)

// Recheck is one re-checked domain.
type Recheck struct {
	Domain model.DomainRecord `json:"domain"`
	Check  dnscheck.Result    `json:"check"`
}

// Recheck looks again for the proof record of verified domains last
// checked longer than interval ago (all of them with all), giving each
// check its own deadline perCheck. A domain whose record is gone is
// flagged, never un-verified; one that could not be checked stays due.
func (c *Console) Recheck(ctx context.Context, interval time.Duration, all bool, perCheck time.Duration) ([]Recheck, error) {
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
		cctx, cancel := context.WithTimeout(ctx, perCheck)
		res, err := c.check(cctx, *d.Record, "")
		cancel()
		if err != nil {
			return out, err
		}
		rec, err := c.Store.RecordRecheck(d.Domain, verdict(res), res.Message(), res)
		if err != nil {
			return out, err
		}
		out = append(out, Recheck{Domain: rec, Check: res})
	}
	return out, nil
}

func verdict(res dnscheck.Result) store.Verdict {
	switch res.Outcome {
	case dnscheck.Found:
		return store.Present
	case dnscheck.Missing, dnscheck.WrongValue:
		return store.Gone
	}
	return store.Unknown
}
