package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"selfserve/store/engine"
)

// Database exports, read at each scrape, the engine's counters: the
// transactions run again after a conflict, and for a database server
// its connection pool (issue 13 point 7).
func (m *Metrics) Database(stats func() engine.Stats) {
	if m == nil {
		return
	}
	m.reg.MustRegister(databaseCollector{stats})
}

type databaseCollector struct{ stats func() engine.Stats }

var (
	retriesDesc = prometheus.NewDesc("selfserve_db_retries_total",
		"Transactions run again because a concurrent one conflicted with them.", nil, nil)
	poolDesc = prometheus.NewDesc("selfserve_db_pool_connections",
		"Connections to the database server, by state (idle, in use) and the pool's maximum.", []string{"state"}, nil)
	poolWaitsDesc = prometheus.NewDesc("selfserve_db_pool_waits_total",
		"Times a transaction waited for a free connection.", nil, nil)
	poolWaitDesc = prometheus.NewDesc("selfserve_db_pool_wait_seconds_total",
		"Time transactions spent waiting for a free connection.", nil, nil)
)

func (c databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- retriesDesc
	ch <- poolDesc
	ch <- poolWaitsDesc
	ch <- poolWaitDesc
}

func (c databaseCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(retriesDesc, prometheus.CounterValue, float64(s.Retries))
	if p := s.Pool; p != nil {
		ch <- prometheus.MustNewConstMetric(poolDesc, prometheus.GaugeValue, float64(p.Idle), "idle")
		ch <- prometheus.MustNewConstMetric(poolDesc, prometheus.GaugeValue, float64(p.InUse), "in use")
		ch <- prometheus.MustNewConstMetric(poolDesc, prometheus.GaugeValue, float64(p.Max), "max")
		ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(p.Waits))
		ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, p.WaitSeconds)
	}
}
