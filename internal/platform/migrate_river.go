package platform

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationLockKey is the advisory lock every migration of the service runs under: River's
// migrator takes no lock of its own, and replicas that start together on a fresh database would
// otherwise apply its first version at once (and fail on duplicate types).
const migrationLockKey int64 = 0x63726d5f6d696772 // "crm_migr"

// MigrateAll applies River's migrations (its job tables, version table river_migration), then the
// service's (schema/, version table schema_migrations), under one advisory lock. River comes first:
// it depends on nothing of ours, and ours may refer to its tables. `crm migrate down` reverts ours
// only. The work runs on connections of its own, without the pool's statement_timeout and
// lock_timeout (see NewMigrator).
func MigrateAll(ctx context.Context, pool *pgxpool.Pool) error {
	cfg := pool.Config().Copy()
	for _, name := range []string{"statement_timeout", "lock_timeout"} {
		if _, set := cfg.ConnConfig.RuntimeParams[name]; set {
			cfg.ConnConfig.RuntimeParams[name] = "0"
		}
	}
	cfg.MinConns, cfg.MaxConns = 0, 3 // the lock, River's migration, a spare
	own, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migration connections: %w", err)
	}
	defer own.Close()
	conn, err := own.Acquire(ctx)
	if err != nil {
		return translateIn(ctx, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	if err := MigrateRiver(ctx, own); err != nil {
		return err
	}
	return MigrateUp(pool)
}

// MigrateRiver applies River's migrations on pool, each version in a transaction of its own (a
// version adds enum values that the next one uses: one transaction for all of them fails). Call
// it under the migration lock (MigrateAll), or where nothing else migrates (a test template).
func MigrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate up: %w", err)
	}
	return nil
}

// HashRiverMigrations writes River's migrations into h, so that a template database migrated
// with an older River is not reused.
func HashRiverMigrations(h hash.Hash) error {
	rm, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return errors.Join(errors.New("river migrations"), err)
	}
	for _, m := range rm.AllVersions() {
		_, _ = fmt.Fprintf(h, "river %d\n%s\n", m.Version, m.SQLUp)
	}
	return nil
}

// quietLogger drops River's migrator's lines (one per version applied); its errors are returned.
func quietLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}
