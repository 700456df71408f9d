package ops

import (
	"context"
	"time"

	"github.com/charmbracelet/log"
)

// Schedule is the work a server does on its own: re-checking verified
// domains whose last check is older than the configured interval, and
// sweeping what has outlived its use (store.Sweep), every Every.
type Schedule struct {
	Console *Console
	// Every is how often the work runs (0: 10 minutes); a domain is
	// re-checked once its check is older than the configured
	// --recheck-interval, so Every only bounds how late that is.
	Every time.Duration
	// PerCheck bounds one DNS check (0: 30 s).
	PerCheck time.Duration
	Log      *log.Logger
}

// Run does the work now and then every Every until ctx ends.
func (s *Schedule) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once runs the scheduled work one time; what fails is logged and tried
// again at the next turn.
func (s *Schedule) Once(ctx context.Context) {
	c, logger := s.Console, s.Log
	if logger == nil {
		logger = log.Default()
	}
	if sw, err := c.Store.Sweep(); err != nil {
		logger.Error("sweep", "err", err)
	} else if sw.Directories+sw.Codes+sw.Challenges > 0 {
		logger.Info("swept", "directories", sw.Directories, "codes", sw.Codes, "challenges", sw.Challenges)
	}
	cfg, err := c.Store.DNSConfig()
	if err != nil {
		logger.Error("re-check", "err", err)
		return
	}
	perCheck := s.PerCheck
	if perCheck <= 0 {
		perCheck = 30 * time.Second
	}
	done, err := c.Recheck(ctx, cfg.RecheckInterval, false, perCheck)
	for _, r := range done {
		c.Metrics.DNSCheck("recheck", string(r.Check.Outcome))
		if r.Domain.Flagged {
			logger.Warn("re-check: proof record gone", "domain", r.Domain.Domain, "reason", r.Domain.FlagReason)
		}
	}
	if err != nil && ctx.Err() == nil {
		logger.Error("re-check", "err", err)
	}
}
