package telemetry

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector reads pgxpool.Stat() at each scrape; nothing is counted on the request path.
type poolCollector struct {
	pool  *pgxpool.Pool
	descs poolDescs
}

// poolDescs are the series of one pool: pool=name is a constant label, so that each pool's
// collector is distinct to the registry.
type poolDescs struct {
	acquired, idle, constructing, total, max                     *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires, emptyWait, canceled *prometheus.Desc
	newConns, lifetimeClosed, idleClosed                         *prometheus.Desc
}

// RegisterPool adds the statistics of pool, labelled pool=name, to m's registry.
func (m *Metrics) RegisterPool(name string, pool *pgxpool.Pool) error {
	d := func(metric, help string) *prometheus.Desc {
		return prometheus.NewDesc("db_pool_"+metric, help, nil, prometheus.Labels{"pool": name})
	}
	return m.reg.Register(poolCollector{pool: pool, descs: poolDescs{
		acquired:       d("acquired_conns", "Connections checked out of the pool now."),
		idle:           d("idle_conns", "Idle connections in the pool now."),
		constructing:   d("constructing_conns", "Connections being opened now."),
		total:          d("total_conns", "Connections in the pool now (acquired, idle and constructing)."),
		max:            d("max_conns", "The pool's size limit."),
		acquires:       d("acquire_count_total", "Successful acquires of a connection."),
		acquireSeconds: d("acquire_duration_seconds_total", "Time spent in successful acquires."),
		emptyAcquires:  d("empty_acquire_count_total", "Successful acquires that had to wait for a connection."),
		emptyWait:      d("empty_acquire_wait_seconds_total", "Time spent waiting in acquires that found the pool empty."),
		canceled:       d("canceled_acquire_count_total", "Acquires given up by their context."),
		newConns:       d("new_conns_total", "Connections opened."),
		lifetimeClosed: d("max_lifetime_destroy_count_total", "Connections closed for reaching their maximum lifetime."),
		idleClosed:     d("max_idle_destroy_count_total", "Connections closed for idling too long."),
	}})
}

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	d := p.descs
	for _, x := range []*prometheus.Desc{d.acquired, d.idle, d.constructing, d.total, d.max, d.acquires,
		d.acquireSeconds, d.emptyAcquires, d.emptyWait, d.canceled, d.newConns, d.lifetimeClosed, d.idleClosed} {
		ch <- x
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s, d := p.pool.Stat(), p.descs
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(d.acquired, float64(s.AcquiredConns()))
	gauge(d.idle, float64(s.IdleConns()))
	gauge(d.constructing, float64(s.ConstructingConns()))
	gauge(d.total, float64(s.TotalConns()))
	gauge(d.max, float64(s.MaxConns()))
	counter(d.acquires, float64(s.AcquireCount()))
	counter(d.acquireSeconds, s.AcquireDuration().Seconds())
	counter(d.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(d.emptyWait, s.EmptyAcquireWaitTime().Seconds())
	counter(d.canceled, float64(s.CanceledAcquireCount()))
	counter(d.newConns, float64(s.NewConnsCount()))
	counter(d.lifetimeClosed, float64(s.MaxLifetimeDestroyCount()))
	counter(d.idleClosed, float64(s.MaxIdleDestroyCount()))
}
