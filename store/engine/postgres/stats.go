package postgres

import "selfserve/store/engine"

var _ engine.Statser = (*Engine)(nil)

// Stats counts the transactions run again (after a conflict or a lost
// connection) and describes the pool.
func (e *Engine) Stats() engine.Stats {
	s := e.pool.Stat()
	return engine.Stats{
		Retries: e.retries.Load(),
		Pool: &engine.PoolStats{
			Total:       s.TotalConns(),
			Idle:        s.IdleConns(),
			InUse:       s.AcquiredConns(),
			Max:         s.MaxConns(),
			Waits:       s.EmptyAcquireCount(),
			WaitSeconds: s.EmptyAcquireWaitTime().Seconds(),
		},
	}
}
