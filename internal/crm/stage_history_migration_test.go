package crm_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stageHistoryVersion is the migration that adds the stage history ledger.
const stageHistoryVersion = 10

// The ledger's migration gives every deal that existed before it one row: its creation, at its
// created_at, entering the stage and status it has now; its down migration removes all of it.
func TestStageHistoryMigration_BackfillsOneCreationRowPerDeal(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	ctx := t.Context()
	mg, err := platform.NewMigrator(pool)
	require.NoError(t, err)
	defer func() { require.NoError(t, mg.Close()) }()
	for {
		v, dirty, err := mg.Version()
		require.NoError(t, err)
		require.False(t, dirty)
		if v < stageHistoryVersion {
			break
		}
		require.NoError(t, mg.Down())
	}
	var exists bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT to_regclass('deal_stage_history') IS NOT NULL`).Scan(&exists))
	require.False(t, exists, "the down migration drops the ledger")

	org, user, contact := uuid.New(), uuid.New(), uuid.New()
	_, err = pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, name) VALUES ($1, 'old@example.com', 'x', 'Old')`, user)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'Old Ltd')`, org)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO contacts (organization_id, id, owner_id, name) VALUES ($1, $2, $3, 'Old contact')`, org, contact, user)
	require.NoError(t, err)
	type deal struct {
		id            uuid.UUID
		stage, status string
		created       time.Time
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	deals := []deal{
		{uuid.New(), "qualification", "new", created},
		{uuid.New(), "negotiation", "in_progress", created.Add(time.Hour)},
		{uuid.New(), "closed", "won", created.Add(48 * time.Hour)},
	}
	for _, d := range deals {
		_, err = pool.Exec(ctx, `
			INSERT INTO deals (organization_id, id, contact_id, owner_id, title, amount, currency, status, stage, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'Old deal', 10, 'USD', $5, $6, $7, $7)`, org, d.id, contact, user, d.status, d.stage, d.created)
		require.NoError(t, err)
	}

	require.NoError(t, mg.Up())
	for _, d := range deals {
		rows, err := pool.Query(ctx, `
			SELECT from_stage IS NULL AND from_status IS NULL, to_stage, to_status, changed_at, changed_by IS NULL, stay_started_at IS NULL
			FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2`, org, d.id)
		require.NoError(t, err)
		n := 0
		for rows.Next() {
			var creation, noAuthor, noStay bool
			var stage, status string
			var at time.Time
			require.NoError(t, rows.Scan(&creation, &stage, &status, &at, &noAuthor, &noStay))
			assert.True(t, creation && noAuthor && noStay)
			assert.Equal(t, d.stage, stage)
			assert.Equal(t, d.status, status)
			assert.True(t, at.Equal(d.created), "at created_at: %s", at)
			n++
		}
		require.NoError(t, rows.Err())
		assert.Equal(t, 1, n, "one row for deal %s", d.id)
	}
	var probs [4]int16
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT stage_probability_qualification, stage_probability_proposal, stage_probability_negotiation, stage_probability_closed
		FROM organizations WHERE id = $1`, org).Scan(&probs[0], &probs[1], &probs[2], &probs[3]))
	assert.Equal(t, [4]int16{10, 30, 60, 90}, probs, "the default stage probabilities")
}
