// Package apptest starts the real service for integration tests: a fresh PostgreSQL database per
// test (cloned from a migrated template), the real echo server on httptest, and the generated
// client whose every exchange is validated against openapi.yaml.
package apptest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for pgtestdb
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/schema"
	"github.com/peterldowns/pgtestdb"
)

// DefaultDatabaseURL is used when TEST_DATABASE_URL is not set.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// migrator migrates pgtestdb's template database once per distinct set of migration files.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	if err := platform.HashRiverMigrations(h); err != nil {
		return "", err
	}
	err := fs.WalkDir(schema.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// Migrate applies River's migrations, then ours, as platform.MigrateAll does (without its lock:
// pgtestdb migrates a template once, under a lock of its own).
func (migrator) Migrate(ctx context.Context, db *sql.DB, conf pgtestdb.Config) error {
	pool, err := pgxpool.New(ctx, conf.URL())
	if err != nil {
		return err
	}
	err = platform.MigrateRiver(ctx, pool)
	pool.Close()
	if err != nil {
		return err
	}
	m, err := platform.NewSQLMigrator(db)
	if err != nil {
		return err
	}
	return errors.Join(m.Up(), m.Close())
}

func serverConfig(t testing.TB) pgtestdb.Config {
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = DefaultDatabaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	pass, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       port,
		User:       u.User.Username(),
		Password:   pass,
		Database:   u.Path[1:],
		Options:    u.RawQuery,
		// The service's pool may still hold idle connections when the test ends.
		ForceTerminateConnections: true,
	}
}

// NewDatabaseURL returns the URL of a fresh, migrated database that is dropped when the test passes.
func NewDatabaseURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), migrator{}).URL()
}

// NewPool returns a pool on a fresh, migrated database that is dropped when the test passes.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabaseURL(t))
	if err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
