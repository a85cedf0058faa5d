package platform_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An unfiltered keyset list runs with its generic plan, forced for it alone; the same statement
// with a filter is planned for its values; the connection's own setting is left as it was.
// PostgreSQL counts each prepared statement's plans (pg_prepared_statements), on the pool's one
// connection.
func TestDB_UnfilteredListsRunTheirGenericPlan(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := onePool(t)
	q := platform.NewDB(pool).Queries()
	var err error

	org, owner := uuid.New(), uuid.New()
	after := "2026-01-01T00:00:00Z"
	for i := range 8 {
		args := db.ListContactsByCreatedAtDescParams{OrganizationID: org, PageLimit: 21}
		if i%2 == 1 { // a cursor is no filter
			args.AfterKey, args.AfterID = &after, &owner
		}
		_, err := q.ListContactsByCreatedAtDesc(ctx, args)
		require.NoError(t, err)
	}
	_, err = q.ListContactsByCreatedAtDesc(ctx, db.ListContactsByCreatedAtDescParams{OrganizationID: org, OwnerID: &owner, PageLimit: 21})
	require.NoError(t, err)
	_, err = q.ListDealsByCreatedAtDesc(ctx, db.ListDealsByCreatedAtDescParams{OrganizationID: org, Statuses: []string{"won"}, PageLimit: 21})
	require.NoError(t, err)

	var generic, custom int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE '-- name: ListContactsByCreatedAtDesc %'`).Scan(&generic, &custom))
	assert.Equal(t, int64(8), generic, "every unfiltered call ran the generic plan")
	assert.Equal(t, int64(0), custom)
	var filtered int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements
		WHERE statement LIKE '-- name: ListDealsByCreatedAtDesc %'`).Scan(&filtered))
	assert.Zero(t, filtered, "a filtered call is planned for its values (an unnamed statement), never prepared")
	var mode string
	require.NoError(t, pool.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode))
	assert.Equal(t, "auto", mode, "the connection goes back to the pool with its setting")
}

// Rows read to their end give their connection back to the pool without Close, as pgx's own do:
// on a pool of one connection, the next statement runs.
func TestQuery_GenericRowsReadToTheEndReleaseTheConnection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	pool := onePool(t)
	var rec captured
	_, _ = db.New(&rec).ListContactsByCreatedAtDesc(ctx, db.ListContactsByCreatedAtDescParams{OrganizationID: uuid.New(), PageLimit: 21})
	require.Equal(t, "generic", platform.PlanFor(rec.sql, rec.args))
	for range 3 {
		rows, err := platform.Query(ctx, pool, rec.sql, rec.args...)
		require.NoError(t, err)
		for rows.Next() {
		}
		require.NoError(t, rows.Err())
	}
	var mode string
	require.NoError(t, pool.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode))
	assert.Equal(t, "auto", mode)
}

// captured is a db.DBTX that keeps the statement and arguments of the call it receives.
type captured struct {
	sql  string
	args []any
}

func (c *captured) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, nil
}

func (c *captured) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.sql, c.args = sql, args
	return nil, errors.New("captured")
}

func (c *captured) QueryRow(context.Context, string, ...any) pgx.Row { return nil }

func TestPlanFor_OnlyOptionalFiltersMakeAListCustom(t *testing.T) {
	t.Parallel()
	const list = "SELECT " + platform.GenericUnlessFilteredMarker + ` * FROM deals WHERE organization_id = $1
  AND (cardinality($2::text[]) = 0 OR status = ANY($2::text[]))
  AND ($3::text IS NULL OR stage = $3)
  AND (created_at, id) > (coalesce($4::text::timestamptz, '-infinity'), coalesce($5::uuid, '00000000-0000-0000-0000-000000000000'))`
	stage, key, id := "proposal", "2026-01-01T00:00:00Z", uuid.New()
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{uuid.New(), []string(nil), (*string)(nil), (*string)(nil), (*uuid.UUID)(nil)}, "generic"},
		{[]any{uuid.New(), []string{}, (*string)(nil), &key, &id}, "generic"},
		{[]any{uuid.New(), []string{"won"}, (*string)(nil), (*string)(nil), (*uuid.UUID)(nil)}, "custom"},
		{[]any{uuid.New(), []string(nil), &stage, (*string)(nil), (*uuid.UUID)(nil)}, "custom"},
	} {
		assert.Equal(t, c.want, platform.PlanFor(list, c.args), "%v", c.args)
	}
	const search = "SELECT " + platform.GenericSortingUnlessFilteredMarker + ` * FROM contacts WHERE organization_id = $1
  AND ($2::uuid IS NULL OR owner_id = $2) AND name ILIKE $3`
	assert.Equal(t, "generic", platform.PlanFor(search, []any{uuid.New(), (*uuid.UUID)(nil), "%a%"}))
	assert.Equal(t, "custom", platform.PlanFor(search, []any{uuid.New(), &id, "%a%"}))
	assert.Equal(t, platform.ForceGenericPlanSorting, platform.GenericPlanSetup(search), "a search may sort")
	assert.Equal(t, platform.ForceGenericPlan, platform.GenericPlanSetup(list), "a keyset list is read in index order")
	assert.Equal(t, "custom", platform.PlanFor("SELECT "+platform.CustomPlanMarker+" 1", nil))
	assert.Equal(t, "prepared", platform.PlanFor("SELECT 1", nil))
}

// onePool is a pool of one connection on a fresh database: what one statement leaves on the
// connection, the next sees.
func onePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(apptest.NewDatabaseURL(t))
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}
