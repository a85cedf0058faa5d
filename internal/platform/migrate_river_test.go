package platform

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// River's migrator takes no lock: replicas starting together on a fresh database all migrate, under
// the service's advisory lock, and the result is River's schema and ours, each applied once.
func TestMigrateAll_ReplicasStartingTogetherAllSucceed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := withDatabase(t, testServerURL(), scratchDatabase(t, "crm_migrateall_"), "pool_max_conns=2")
	require.NoError(t, EnsureDatabase(ctx, url))
	const replicas = 4
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = MigrateAll(ctx, pool)
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "replica %d", i)
	}
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	var riverVersions, ours int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_migration`).Scan(&riverVersions))
	assert.Positive(t, riverVersions)
	require.NoError(t, pool.QueryRow(ctx, `SELECT version FROM schema_migrations`).Scan(&ours))
	assert.GreaterOrEqual(t, ours, 7)
	require.NoError(t, MigrateAll(ctx, pool), "again: nothing to do")
}
