// Package platform wires the service to its infrastructure: the PostgreSQL pool, migrations,
// transactions and logging.
package platform

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultMaxConns is the pool size when the URL names none (pool_max_conns): at least 8, more on a
// machine with more cores. pgx's own default (4 on a 2-core machine) lets a handful of slow
// requests hold every connection.
var defaultMaxConns = int32(max(8, runtime.NumCPU()))

// DefaultConnectTimeout bounds one connection attempt when the URL names none (connect_timeout), so
// that an unreachable server answers 503 instead of holding requests until their deadline.
const DefaultConnectTimeout = 5 * time.Second

// PoolOptions are the limits the service puts on its own connections. They are PostgreSQL session
// defaults sent when a connection starts (startup parameters), never a SET in the request path.
// Zero leaves the setting to the server (or to the role: ALTER ROLE ... SET), which is what a
// PgBouncer in transaction mode needs, since it refuses unknown startup parameters. A
// statement_timeout or lock_timeout written in the URL wins over these.
type PoolOptions struct {
	// StatementTimeout ends any statement that runs longer (statement_timeout).
	StatementTimeout time.Duration
	// LockTimeout ends any wait for a lock that lasts longer (lock_timeout).
	LockTimeout time.Duration
	// Tracer observes every statement (the SQL spans of tracing); nil: none.
	Tracer pgx.QueryTracer
}

// PoolConfig parses url into the service's pool configuration: the pool size and query mode come
// from the URL (pool_max_conns, default_query_exec_mode, ...), with defaultMaxConns and
// DefaultConnectTimeout where it names none, and the timeouts of o as startup parameters.
func PoolConfig(url string, o PoolOptions) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	// pgxpool.ParseConfig removes pool_max_conns from what it returns; the connection-level parse
	// still shows whether the URL named it.
	raw, err := pgconn.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if _, named := raw.RuntimeParams["pool_max_conns"]; !named {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	for name, d := range map[string]time.Duration{"statement_timeout": o.StatementTimeout, "lock_timeout": o.LockTimeout} {
		if _, named := cfg.ConnConfig.RuntimeParams[name]; named || d <= 0 {
			continue
		}
		// Whole milliseconds, PostgreSQL's unit for both; anything shorter rounds up to 1 ms rather
		// than to 0, which would mean "no limit".
		ms := max(1, (d+time.Millisecond-1)/time.Millisecond)
		cfg.ConnConfig.RuntimeParams[name] = strconv.FormatInt(int64(ms), 10)
	}
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	return cfg, nil
}

// Connect opens a pool with PoolConfig's defaults and no statement or lock timeout of its own
// (the server's apply): for tools, tests and migrations. The service uses ConnectWith.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return ConnectWith(ctx, url, PoolOptions{})
}

// ConnectWith opens a pool configured by PoolConfig(url, o) and checks that the database answers.
func ConnectWith(ctx context.Context, url string, o PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(url, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return pool, nil
}

// EnsureDatabase creates the database named in url when it does not exist yet, connecting to the
// server's "postgres" maintenance database to do so. Several replicas may run it at once: the one
// that loses the race finds the database made by the winner and succeeds too.
func EnsureDatabase(ctx context.Context, url string) error {
	// The pool's parser, not pgx.ParseConfig: the URL may carry pool settings (pool_max_conns, ...)
	// that only the pool understands, and that the server would refuse as startup parameters.
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	cfg := poolCfg.ConnConfig
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	name := cfg.Database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("connect to database %q: %w", name, err)
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	adminConn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to maintenance database: %w", err)
	}
	defer func() { _ = adminConn.Close(ctx) }()
	_, err = adminConn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !createdByAnother(err) {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// createdByAnother reports whether CREATE DATABASE failed because a racing replica created the
// same database first. PostgreSQL says so in one of two ways, depending on when the two meet:
// 42P04 duplicate_database when the other's database was already visible, or a unique violation
// of the catalog's name index when both inserted into pg_database at once.
func createdByAnother(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == "42P04" ||
		pgErr.Code == "23505" && pgErr.ConstraintName == "pg_database_datname_index"
}
