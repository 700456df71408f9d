package ops

import (
	"context"
	"time"

	"github.com/charmbracelet/log"

	"selfserve/store"
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

// Run does the work now and then every Every until ctx ends; and every
// store.JobLease/3 it resumes the takeovers a dead server left (on a
// database server; see store.ResumeOrphanedJobs).
func (s *Schedule) Run(ctx context.Context) {
	t := time.NewTicker(s.every())
	defer t.Stop()
	jobs := time.NewTicker(store.JobLease / 3)
	defer jobs.Stop()
	s.Once(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Once(ctx)
		case <-jobs.C:
			if err := s.Console.Store.ResumeOrphanedJobs(); err != nil {
				s.logger().Error("resuming a takeover", "err", err)
			}
		}
	}
}

func (s *Schedule) every() time.Duration {
	if s.Every <= 0 {
		return 10 * time.Minute
	}
	return s.Every
}

func (s *Schedule) logger() *log.Logger {
	if s.Log == nil {
		return log.Default()
	}
	return s.Log
}

// Once runs the scheduled work one time, on one server of several on a
// database: the one holding the schedule's lease, which lasts one and a
// half turns, so a server that stopped is replaced at the next turn of
// another. What fails is logged and tried again at the next turn.
func (s *Schedule) Once(ctx context.Context) {
	c, logger := s.Console, s.logger()
	held, err := c.Store.TakeLease("schedule", s.every()*3/2)
	if err != nil {
		logger.Error("scheduled work", "err", err)
		return
	}
	if !held {
		return
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
