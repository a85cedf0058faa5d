package platform

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/minicrm/crm/schema"
)

// Migrator applies the embedded migrations. golang-migrate serialises concurrent runs with a
// PostgreSQL advisory lock, so several replicas may start at once.
type Migrator struct {
	m *migrate.Migrate
}

// NewMigrator prepares migrations against the pool's database, on connections of its own (at most
// two, closed by Close) that have the pool's settings but no statement_timeout or lock_timeout:
// waiting for another replica's migration lock, or a long index build, is not a request, and the
// service's limits (or the URL's) would make a replica that starts beside another one fail. The
// connections are not the pool's, so that a failed migration never leaves one of them acquired
// (which would make pool.Close wait forever).
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	cfg := pool.Config().ConnConfig
	for _, name := range []string{"statement_timeout", "lock_timeout"} {
		if _, set := cfg.RuntimeParams[name]; set {
			cfg.RuntimeParams[name] = "0" // off; nothing is sent when nothing was
		}
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(2) // one holds the lock, one spare
	mg, err := NewSQLMigrator(sqlDB)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return mg, nil
}

// NewSQLMigrator prepares migrations on a database/sql handle (pgx stdlib driver).
func NewSQLMigrator(sqlDB *sql.DB) (*Migrator, error) {
	src, err := iofs.New(schema.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	drv, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{})
	if err != nil {
		return nil, fmt.Errorf("migration driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m.LockTimeout = 2 * time.Minute
	return &Migrator{m: m}, nil
}

// Up applies every pending migration.
func (mg *Migrator) Up() error {
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// Down reverts the last applied migration.
func (mg *Migrator) Down() error {
	if err := mg.m.Steps(-1); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Version returns the applied version and whether a failed migration left it dirty.
func (mg *Migrator) Version() (uint, bool, error) {
	v, dirty, err := mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

// Close releases the migration connections.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// MigrateUp is NewMigrator + Up + Close.
func MigrateUp(pool *pgxpool.Pool) error {
	mg, err := NewMigrator(pool)
	if err != nil {
		return err
	}
	return errors.Join(mg.Up(), mg.Close())
}
