package platform

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Replicas that start together on a database that does not exist yet all get it: whichever way
// PostgreSQL reports the lost race (42P04, or 23505 on pg_database_datname_index), the loser
// finds the winner's database.
func TestEnsureDatabase_ReplicasRacingToCreateItAllSucceed(t *testing.T) {
	t.Parallel()
	const rounds, replicas = 4, 6
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for round := range rounds {
		url := withDatabase(t, testServerURL(), scratchDatabase(t, "crm_platform_race_"), "")
		start := make(chan struct{})
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				<-start
				errs[i] = EnsureDatabase(ctx, url)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, replica %d", round, i)
		}
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
	}
}

// The README puts pool settings in DATABASE_URL; they are the pool's, and never reach the server
// as startup parameters (which it would refuse: FATAL 42704), whether the database is created or
// already there.
func TestEnsureDatabase_AcceptsPoolSettingsInTheURL(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := withDatabase(t, testServerURL(), scratchDatabase(t, "crm_platform_pool_"),
		"pool_max_conns=20&pool_min_conns=1&pool_max_conn_lifetime=1h&pool_health_check_period=1m")
	require.NoError(t, EnsureDatabase(ctx, url), "missing database")
	require.NoError(t, EnsureDatabase(ctx, url), "existing database")
	pool, err := Connect(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	assert.EqualValues(t, 20, pool.Config().MaxConns)
}
