// Command crm runs the mini-CRM API.
//
//	crm [serve]                 create the database if needed, migrate, serve HTTP and work the
//	                            webhook deliveries
//	crm worker                  migrate, then work the webhook deliveries only (no HTTP)
//	crm migrate up|down|version apply all migrations (River's, then ours), revert the last one of
//	                            ours, or print our version
//	crm seed --demo             create a demo organization and print how to log in
//	crm healthcheck             exit 0 when the local instance's /readyz answers 200
//	crm version                 version, commit, Go version, schema version
//
// `crm help` says more.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	_ "time/tzdata" // organization time zones must resolve in a minimal container image too

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/config"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/minicrm/crm/internal/webhooks"
	"github.com/riverqueue/river"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	// These need no settings: they work on a machine with none.
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return nil
	case "version", "--version":
		return printVersion(os.Stdout)
	}
	if err := config.LoadDotEnv(".env"); err != nil {
		return err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log)
	case "migrate":
		if len(args) != 2 {
			return errors.New("usage: crm migrate up|down|version")
		}
		return migrate(ctx, cfg, args[1])
	case "seed":
		return seed(ctx, cfg, args[1:], os.Stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg.HTTPAddr)
	default:
		return fmt.Errorf("unknown command %q (serve, worker, migrate, seed, healthcheck, version; crm help says more)", cmd)
	}
}

func migrate(ctx context.Context, cfg config.Config, action string) error {
	if err := platform.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	pool, err := platform.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := platform.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer func() { _ = m.Close() }()
	switch action {
	case "up":
		err = platform.MigrateAll(ctx, pool)
	case "down":
		err = m.Down()
	case "version":
	default:
		return fmt.Errorf("unknown migrate action %q (up, down, version)", action)
	}
	if err != nil {
		return err
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	fmt.Printf("version %d dirty %t\n", v, dirty)
	return nil
}

// defaultGCPercent is the garbage collector's target when GOGC is not set: the heap may grow to
// three times what is live between collections instead of Go's twice. The service's live heap is
// small (15-20 MB under load) and its requests allocate much (a page of contacts about 60 KB), so
// at Go's 100 collection took a tenth of its CPU. Measured with make bench on 2 cores
// (docs/performance.md, fifth session): list-contacts 2,450 -> 2,616 req/s, mixed-run RSS 51 -> 59
// MiB. The soft memory limit above still makes the collector work harder near a container's limit.
const defaultGCPercent = 200

// setGCPercent applies defaultGCPercent unless GOGC is set, which wins as usual.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// A soft memory limit for the Go runtime: 90% of the container's (cgroup) memory limit, so the
	// garbage collector works harder before the kernel kills the process. GOMEMLIMIT set in the
	// environment wins; AUTOMEMLIMIT=off disables it, AUTOMEMLIMIT=0.8 changes the ratio. Failures
	// are logged by memlimit and are not fatal.
	_, _ = memlimit.Set(memlimit.WithLogger(log))
	setGCPercent()
	if err := cfg.RequireJWT(); err != nil {
		return err
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Algorithm: cfg.JWTAlgorithm, Secret: cfg.JWTSecret, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
	})
	if err != nil {
		return err
	}
	tel, pool, closeAll, err := openInstrumented(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeAll()
	store := platform.NewDB(pool)
	// The webhook deliveries are worked in this process too (WEBHOOK_WORKERS at once; 0: only
	// queued here); `crm worker` adds processes that only work them.
	guard := webhooks.Guard{AllowHTTP: cfg.WebhookAllowHTTP, AllowPrivate: cfg.WebhookAllowPrivate}
	jobs, stopJobs, err := startDeliveries(ctx, pool, guard, cfg.WebhookWorkers, log, tel)
	if err != nil {
		return err
	}
	defer stopJobs()
	limits, closeLimits, err := rateLimits(cfg, int(pool.Config().MaxConns), log)
	if err != nil {
		return err
	}
	defer closeLimits()
	authSvc := auth.NewService(store, tokens, auth.WithMaxFailuresPerAddress(cfg.LoginMaxFailuresPerAddress),
		auth.WithRefreshReuseLeeway(cfg.RefreshReuseLeeway), auth.WithPasswordHashQueue(cfg.PasswordHashQueue))
	// Expired sessions and spent throttle rows are deleted every few minutes, by one replica at a time.
	cleanUpCtx, stopCleanUp := context.WithCancel(ctx)
	cleanUpDone := make(chan struct{})
	go func() { defer close(cleanUpDone); authSvc.RunCleanUp(cleanUpCtx, auth.DefaultCleanUpInterval, log) }()
	defer func() { stopCleanUp(); <-cleanUpDone }()
	deps := httpapi.Services(store, authSvc, webhooks.NewService(store, guard, jobs))
	deps.Log, deps.Limits = log, limits
	deps.TrustedProxies, deps.RequestTimeout, deps.CORSAllowedOrigins = cfg.TrustedProxies, cfg.RequestTimeout, cfg.CORSAllowedOrigins
	// The cursors' key is derived from the signing secret: no second secret to configure.
	deps.Cursors = paging.NewCursors([]byte(cfg.JWTSecret))
	deps.Metrics, deps.TracerProvider = tel.metrics, tel.tracerProvider()
	e, err := httpapi.New(deps)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      config.WriteTimeout, // above cfg.RequestTimeout: a timed-out request still gets its 503
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	schemaAt, err := databaseVersion(pool)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		// The actual address, so that HTTP_ADDR=127.0.0.1:0 (any free port) can be found by scripts
		// (they read the line up to addr: keep it first).
		ver, rev := buildVersion()
		log.Info("listening", "addr", ln.Addr().String(), "database", describeDatabase(pool),
			"schema_version", schemaAt, "metrics_addr", tel.metricsAddr(), "tracing", tel.tp != nil,
			"version", ver, "commit", rev)
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// startDeliveries starts the River client that works the webhook deliveries, workers at once; the
// function it returns stops it, letting the deliveries under way finish (up to their timeout). The
// workers (River's fetches, its listener and the deliveries' bookkeeping) run on a pool of their
// own, workers+3 connections with the settings of pool, so that a burst of deliveries never takes
// the requests' connections; jobs are inserted on the transactions of the changes themselves.
func startDeliveries(ctx context.Context, pool *pgxpool.Pool, guard webhooks.Guard, workers int, log *slog.Logger, tel *instruments) (*river.Client[pgx.Tx], func(), error) {
	if workers == 0 { // insert-only: `crm worker` processes work the deliveries
		jobs, err := webhooks.NewClient(pool, platform.NewDB(pool), webhooks.ClientConfig{Guard: guard, Logger: log})
		return jobs, func() {}, err
	}
	cfg := pool.Config().Copy()
	cfg.MinConns, cfg.MaxConns = 0, int32(min(workers+3, 1000)) //nolint:gosec // bounded
	// River polls all the time, outside any request: a span per poll would drown the traces.
	cfg.ConnConfig.Tracer = nil
	own, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook workers' pool: %w", err)
	}
	if err := tel.watchPool("webhooks", own); err != nil {
		own.Close()
		return nil, nil, err
	}
	jobs, err := webhooks.NewClient(own, platform.NewDB(own), webhooks.ClientConfig{Guard: guard, Workers: workers, Logger: log})
	if err != nil {
		own.Close()
		return nil, nil, err
	}
	// Not ctx: a signal ends the service gracefully through stop, not by cancelling the workers.
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		own.Close()
		return nil, nil, fmt.Errorf("start webhook workers: %w", err)
	}
	stop := func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), webhooks.DeliveryTimeout+5*time.Second)
		defer cancel()
		if err := jobs.Stop(stopCtx); err != nil {
			log.Warn("webhook workers stopped before their deliveries finished", "error", err.Error())
		}
		own.Close()
	}
	return jobs, stop, nil
}

// openMigrated creates the database when it is missing, opens the pool of `crm serve` and `crm
// worker` (statement_timeout and lock_timeout on every connection, tracer when tracing is on;
// migrations run without them, on connections of their own) and brings River's schema and ours up
// to date.
func openMigrated(ctx context.Context, cfg config.Config, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	if err := platform.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	pool, err := platform.ConnectWith(ctx, cfg.DatabaseURL, platform.PoolOptions{
		StatementTimeout: cfg.DBStatementTimeout, LockTimeout: cfg.DBLockTimeout, Tracer: tracer,
	})
	if err != nil {
		return nil, err
	}
	if err := platform.MigrateAll(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// openInstrumented starts the telemetry of `crm serve` and `crm worker`, then opens their migrated
// pool, traced and watched by it; closeAll closes the pool, then stops the telemetry.
func openInstrumented(ctx context.Context, cfg config.Config, log *slog.Logger) (tel *instruments, pool *pgxpool.Pool, closeAll func(), err error) {
	if tel, err = startTelemetry(ctx, cfg, log); err != nil {
		return nil, nil, nil, err
	}
	if pool, err = openMigrated(ctx, cfg, tel.pgxTracer()); err != nil {
		tel.stop()
		return nil, nil, nil, err
	}
	closeAll = func() { pool.Close(); tel.stop() }
	if err = tel.watchPool("api", pool); err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return tel, pool, closeAll, nil
}

// worker works the webhook deliveries until SIGINT or SIGTERM (`crm worker`).
func worker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	_, _ = memlimit.Set(memlimit.WithLogger(log))
	if cfg.WebhookWorkers == 0 {
		return errors.New("crm worker: WEBHOOK_WORKERS must be at least 1")
	}
	tel, pool, closeAll, err := openInstrumented(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeAll()
	guard := webhooks.Guard{AllowHTTP: cfg.WebhookAllowHTTP, AllowPrivate: cfg.WebhookAllowPrivate}
	_, stop, err := startDeliveries(ctx, pool, guard, cfg.WebhookWorkers, log, tel)
	if err != nil {
		return err
	}
	log.Info("working webhook deliveries", "workers", cfg.WebhookWorkers, "database", describeDatabase(pool),
		"metrics_addr", tel.metricsAddr())
	<-ctx.Done()
	log.Info("shutting down: finishing the deliveries under way")
	stop()
	log.Info("stopped")
	return nil
}

// rateLimits are the budgets and concurrency bounds of cfg (the per-organization bound defaults
// to half of the database pool's poolSize connections), counted in Redis when REDIS_URL is set.
func rateLimits(cfg config.Config, poolSize int, log *slog.Logger) (httpapi.Limits, func(), error) {
	l := httpapi.Limits{
		AnonPerMinute: cfg.RateLimitAnonPerMinute, OrgPerMinute: cfg.RateLimitOrgPerMinute, PoolSize: poolSize,
		OrgMaxConcurrent: cfg.OrgMaxConcurrent, AnalyticsMaxConcurrent: cfg.OrgMaxConcurrentAnalytics,
		MaxInFlight: cfg.MaxInFlight, MaxQueued: cfg.MaxQueued,
	}
	if cfg.RedisURL == "" {
		return l, func() {}, nil
	}
	rdb, err := ratelimit.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return l, nil, err
	}
	l.Store = ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Log: log})
	log.Info("rate limits: counting in Redis", "addr", rdb.Options().Addr)
	return l, func() { _ = rdb.Close() }, nil
}
