package auth_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/platform"
)

func cleanUpCount(t *testing.T, app *apptest.App, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}

// The clean-up deletes expired sessions (revoked or not) and throttle rows whose window and lock
// are over, in batches; everything else stays (issue 8, item 11).
func TestCleanUp_DeletesExpiredSessionsAndSpentThrottleRowsOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada") // one live session
	now := time.Now().UTC()
	exec := func(sql string, args ...any) {
		t.Helper()
		_, err := app.Pool.Exec(ctx, sql, args...)
		require.NoError(t, err)
	}

	// Five expired sessions, two of them revoked; one revoked but not yet expired.
	for i := range 5 {
		exec(`INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at, revoked_at)
		      VALUES ($1, $2, '\x00', $3, CASE WHEN $4 THEN now() END)`,
			uuid.New(), ada.ID, now.Add(-time.Duration(i+1)*time.Hour), i < 2)
	}
	revokedLive := uuid.New()
	exec(`INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at, revoked_at) VALUES ($1, $2, '\x00', $3, now())`,
		revokedLive, ada.ID, now.Add(time.Hour))

	// Throttle rows: three spent pairs and addresses, two live pairs (one locked), one live address.
	for i := range 3 {
		exec(`INSERT INTO login_throttle (email, address, failures, window_start, expires_at) VALUES ($1, '203.0.113.1', 3, $2, $3)`,
			apptest.UniqueEmail("spent"), now.Add(-time.Hour), now.Add(-time.Duration(i+1)*time.Minute))
		exec(`INSERT INTO login_address_throttle (address, failures, window_start, expires_at) VALUES ($1, 3, $2, $3)`,
			uuid.NewString(), now.Add(-time.Hour), now.Add(-time.Duration(i+1)*time.Minute))
	}
	exec(`INSERT INTO login_throttle (email, address, failures, window_start, expires_at) VALUES ('live@x.test', '203.0.113.1', 3, $1, $2)`,
		now.Add(-time.Minute), now.Add(14*time.Minute))
	exec(`INSERT INTO login_throttle (email, address, failures, window_start, locked_until, expires_at)
	      VALUES ('locked@x.test', '203.0.113.1', 14, $1, $2, $2)`, now.Add(-20*time.Minute), now.Add(5*time.Minute))
	exec(`INSERT INTO login_address_throttle (address, failures, window_start, expires_at) VALUES ('198.51.100.1', 50, $1, $2)`,
		now.Add(-time.Minute), now.Add(14*time.Minute))

	svc := auth.NewService(platform.NewDB(app.Pool), app.Tokens, auth.WithCleanUpBatch(2))
	res, err := svc.CleanUp(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, auth.CleanUpResult{Sessions: 5, LoginThrottles: 3, AddressThrottles: 3}, res)

	assert.Equal(t, 0, cleanUpCount(t, app, "SELECT count(*) FROM sessions WHERE expires_at < $1", now))
	assert.Equal(t, 2, cleanUpCount(t, app, "SELECT count(*) FROM sessions"), "the live and the revoked-but-live session stay")
	assert.Equal(t, 1, cleanUpCount(t, app, "SELECT count(*) FROM sessions WHERE id = $1", revokedLive))
	assert.Equal(t, 2, cleanUpCount(t, app, "SELECT count(*) FROM login_throttle"))
	assert.Equal(t, 1, cleanUpCount(t, app, "SELECT count(*) FROM login_throttle WHERE email = 'locked@x.test'"), "a running lock stays")
	assert.Equal(t, 1, cleanUpCount(t, app, "SELECT count(*) FROM login_address_throttle"))

	// Ada's session still works; a second run finds nothing.
	res, err = svc.CleanUp(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, auth.CleanUpResult{}, res)
	me, err := app.Client.GetMeWithResponse(ctx, ada.Auth())
	require.NoError(t, err)
	assert.Equal(t, 200, me.StatusCode())
}

// While another replica holds the clean-up lock, a run skips its turn and deletes nothing.
func TestCleanUp_OneReplicaAtATime(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	now := time.Now().UTC()
	_, err := app.Pool.Exec(ctx, `INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at) VALUES ($1, $2, '\x00', $3)`,
		uuid.New(), ada.ID, now.Add(-time.Hour))
	require.NoError(t, err)
	svc := auth.NewService(platform.NewDB(app.Pool), app.Tokens)

	other, err := app.Pool.Begin(ctx) // the other replica, mid-run
	require.NoError(t, err)
	_, err = other.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", auth.CleanUpLockKey)
	require.NoError(t, err)
	res, err := svc.CleanUp(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, auth.CleanUpResult{Skipped: true}, res)
	assert.Equal(t, 2, cleanUpCount(t, app, "SELECT count(*) FROM sessions"))

	require.NoError(t, other.Rollback(ctx))
	res, err = svc.CleanUp(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, auth.CleanUpResult{Sessions: 1}, res)
}

// The periodic loop runs at once, then stops when its context ends.
func TestCleanUp_LoopRunsAtOnceAndStops(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	_, err := app.Pool.Exec(t.Context(), `INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at) VALUES ($1, $2, '\x00', now() - interval '1 hour')`,
		uuid.New(), ada.ID)
	require.NoError(t, err)
	svc := auth.NewService(platform.NewDB(app.Pool), app.Tokens)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunCleanUp(ctx, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	require.Eventually(t, func() bool {
		var n int
		err := app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM sessions").Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 20*time.Millisecond, "the first run happens at start")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not stop with its context")
	}
}
