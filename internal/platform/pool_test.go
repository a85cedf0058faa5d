package platform

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4/database"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var serviceTimeouts = PoolOptions{StatementTimeout: 5 * time.Second, LockTimeout: 2 * time.Second}

func TestPoolConfig_DefaultsAndWhatTheURLDecides(t *testing.T) {
	t.Parallel()
	base := "postgres://postgres@127.0.0.1:5432/crm?sslmode=disable"
	for _, tc := range []struct {
		name            string
		url             string
		opts            PoolOptions
		maxConns        int32
		connectTimeout  time.Duration
		stmt, lock      string // "" = not sent
		runtimeNotEmpty bool
	}{
		{"defaults", base, serviceTimeouts, defaultMaxConns, DefaultConnectTimeout, "5000", "2000", true},
		{"pool size in the url wins", base + "&pool_max_conns=3", serviceTimeouts, 3, DefaultConnectTimeout, "5000", "2000", true},
		{"pool size in a keyword string", "host=127.0.0.1 dbname=crm pool_max_conns=12", serviceTimeouts, 12, DefaultConnectTimeout, "5000", "2000", true},
		{"connect timeout in the url wins", base + "&connect_timeout=2", serviceTimeouts, defaultMaxConns, 2 * time.Second, "5000", "2000", true},
		{"timeouts in the url win", base + "&statement_timeout=100&lock_timeout=50", serviceTimeouts, defaultMaxConns, DefaultConnectTimeout, "100", "50", true},
		{"zero sends nothing (PgBouncer)", base, PoolOptions{}, defaultMaxConns, DefaultConnectTimeout, "", "", false},
		{"sub-millisecond rounds up, never to 0", base, PoolOptions{StatementTimeout: time.Microsecond, LockTimeout: 1500 * time.Microsecond}, defaultMaxConns, DefaultConnectTimeout, "1", "2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := PoolConfig(tc.url, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, tc.maxConns, cfg.MaxConns)
			assert.Equal(t, tc.connectTimeout, cfg.ConnConfig.ConnectTimeout)
			for name, want := range map[string]string{"statement_timeout": tc.stmt, "lock_timeout": tc.lock} {
				got, sent := cfg.ConnConfig.RuntimeParams[name]
				assert.Equal(t, want != "", sent, name)
				assert.Equal(t, want, got, name)
			}
			assert.NotContains(t, cfg.ConnConfig.RuntimeParams, "pool_max_conns")
		})
	}
	assert.GreaterOrEqual(t, defaultMaxConns, int32(8))
	_, err := PoolConfig("postgres://x/y?pool_max_conns=zero", PoolOptions{})
	assert.Error(t, err)
}

// Every connection of the service's pool starts with the timeouts, without a SET per request.
func TestConnectWith_EveryConnectionHasTheTimeouts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := ConnectWith(ctx, testServerURL(), serviceTimeouts)
	require.NoError(t, err)
	defer pool.Close()
	conns := make([]*pgxpool.Conn, 4)
	for i := range conns {
		conns[i], err = pool.Acquire(ctx)
		require.NoError(t, err)
	}
	for _, c := range conns {
		var stmt, lock string
		require.NoError(t, c.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&stmt, &lock))
		assert.Equal(t, "5s", stmt)
		assert.Equal(t, "2s", lock)
		c.Release()
	}
}

// scratchTable creates a database with one table of one row and returns its URL.
func scratchTable(t *testing.T, ctx context.Context) string {
	t.Helper()
	url := withDatabase(t, testServerURL(), scratchDatabase(t, "crm_platform_lock_"), "")
	require.NoError(t, EnsureDatabase(ctx, url))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, "CREATE TABLE item (id int PRIMARY KEY, v int NOT NULL); INSERT INTO item VALUES (1, 0)")
	require.NoError(t, err)
	return url
}

// A row held by another transaction past lock_timeout: the waiting request ends with 503 and
// Retry-After 1 (the database did nothing; retrying is safe), instead of holding a pool
// connection for as long as the other transaction lasts.
func TestDB_LockWaitPastLockTimeoutIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := scratchTable(t, ctx)
	holder, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = holder.Close(ctx) }()
	tx, err := holder.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "UPDATE item SET v = v + 1 WHERE id = 1")
	require.NoError(t, err)

	pool, err := ConnectWith(ctx, url, PoolOptions{StatementTimeout: 10 * time.Second, LockTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer pool.Close()
	start := time.Now()
	_, err = translating{pool}.Exec(ctx, "UPDATE item SET v = v + 1 WHERE id = 1")
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, apperr.KindUnavailable, ae.Kind)
	assert.Equal(t, "service_unavailable", ae.Code)
	assert.Equal(t, 1, ae.RetryAfter)
	assert.Less(t, time.Since(start), 3*time.Second)
}

// A statement over statement_timeout ends with 503 and Retry-After; the same cancellation caused by
// the caller's own deadline is left to the caller.
func TestDB_StatementTimeoutIs503AndTheCallersDeadlineIsNot(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := ConnectWith(ctx, testServerURL(), PoolOptions{StatementTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer pool.Close()
	_, err = translating{pool}.Exec(ctx, "SELECT pg_sleep(2)")
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "service_unavailable", ae.Code)
	assert.Equal(t, 5, ae.RetryAfter)

	patient, err := Connect(ctx, testServerURL())
	require.NoError(t, err)
	defer patient.Close()
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	_, err = translating{patient}.Exec(short, "SELECT pg_sleep(2)")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, isApp := apperr.As(err)
	assert.False(t, isApp, "the caller answers its own timeout: %v", err)
}

// Replicas that start together wait for each other's migrations (golang-migrate's advisory lock)
// however long that takes: the service's lock_timeout is for requests, not for migrations.
func TestMigrateUp_WaitsForAnotherReplicaPastTheLockTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := scratchDatabase(t, "crm_platform_migrate_")
	url := withDatabase(t, testServerURL(), name, "")
	require.NoError(t, EnsureDatabase(ctx, url))
	lockID, err := database.GenerateAdvisoryLockId(name, "public", "schema_migrations")
	require.NoError(t, err)
	id, err := strconv.ParseInt(lockID, 10, 64)
	require.NoError(t, err)

	other, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = other.Close(ctx) }()
	_, err = other.Exec(ctx, "SELECT pg_advisory_lock($1)", id)
	require.NoError(t, err)

	pool, err := ConnectWith(ctx, url, PoolOptions{StatementTimeout: 300 * time.Millisecond, LockTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer pool.Close()
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(time.Second) // the other replica's migration
		_, err := other.Exec(ctx, "SELECT pg_advisory_unlock($1)", id)
		assert.NoError(t, err)
	})
	err = MigrateUp(pool)
	wg.Wait()
	require.NoError(t, err)
	var version int
	require.NoError(t, pool.QueryRow(ctx, "SELECT version FROM schema_migrations").Scan(&version))
	assert.Positive(t, version, fmt.Sprint("migrated to ", version))
}
