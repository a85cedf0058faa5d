package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/internal/config"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// instruments are a process's metrics (served on METRICS_ADDR when set) and traces (exported when
// OTEL_EXPORTER_OTLP_ENDPOINT is set); either may be off.
type instruments struct {
	metrics     *telemetry.Metrics
	server      *telemetry.MetricsServer
	tp          *sdktrace.TracerProvider
	stopTracing func(context.Context) error
	log         *slog.Logger
}

func startTelemetry(ctx context.Context, cfg config.Config, log *slog.Logger) (*instruments, error) {
	ver, _ := buildVersion()
	tp, stopTracing, err := telemetry.StartTracing(ctx, ver, log)
	if err != nil {
		return nil, err
	}
	in := &instruments{tp: tp, stopTracing: stopTracing, log: log}
	if cfg.MetricsAddr != "" {
		in.metrics = telemetry.NewMetrics()
		if in.server, err = telemetry.ListenMetrics(cfg.MetricsAddr, in.metrics, log); err != nil {
			_ = stopTracing(ctx)
			return nil, fmt.Errorf("METRICS_ADDR: %w", err)
		}
	}
	return in, nil
}

// tracerProvider is nil when tracing is off (an untyped nil: the HTTP layer then adds no middleware).
func (in *instruments) tracerProvider() trace.TracerProvider {
	if in.tp == nil {
		return nil
	}
	return in.tp
}

func (in *instruments) pgxTracer() pgx.QueryTracer {
	if in.tp == nil {
		return nil
	}
	return telemetry.PgxTracer(in.tp)
}

// watchPool exports pool's statistics as the db_pool_* series labelled pool=name.
func (in *instruments) watchPool(name string, pool *pgxpool.Pool) error {
	if in.metrics == nil {
		return nil
	}
	return in.metrics.RegisterPool(name, pool)
}

func (in *instruments) metricsAddr() string {
	if in.server == nil {
		return ""
	}
	return in.server.Addr()
}

// stop ends the metrics server after the API (deferred first, so it runs last: the final scrape
// still sees the drain) and flushes the spans still buffered.
func (in *instruments) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if in.server != nil {
		if err := in.server.Shutdown(ctx); err != nil {
			in.log.Warn("metrics server shutdown", "error", err.Error())
		}
	}
	if err := in.stopTracing(ctx); err != nil {
		in.log.Warn("trace export at shutdown", "error", err.Error())
	}
}

// describeDatabase names the database the pool is on, never its password.
func describeDatabase(pool *pgxpool.Pool) string {
	c := pool.Config().ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// databaseVersion is the schema version the database is at (ours, not River's).
func databaseVersion(pool *pgxpool.Pool) (uint, error) {
	m, err := platform.NewMigrator(pool)
	if err != nil {
		return 0, err
	}
	defer func() { _ = m.Close() }()
	v, _, err := m.Version()
	return v, err
}
