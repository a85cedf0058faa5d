package idempotency_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/idempotency"
	"github.com/minicrm/crm/internal/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"a": true, "5f0c8a52-6d36-4f7b-9a3c-2b1de0c1a6f4": true, "with space ~!": true, string(make([]byte, 255)): false,
		"": false, "tab\there": false, "ключ": false, "del\x7f": false,
	} {
		assert.Equal(t, want, idempotency.ValidKey(k), "%q", k)
	}
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'k'
	}
	assert.True(t, idempotency.ValidKey(string(long[:255])))
	assert.False(t, idempotency.ValidKey(string(long)))
}

type fixture struct {
	pool  *pgxpool.Pool
	d     *platform.DB
	s     *idempotency.Store
	scope idempotency.Scope
	req   idempotency.Request
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool := apptest.NewPool(t)
	d := platform.NewDB(pool)
	return fixture{
		pool: pool, d: d, s: idempotency.NewStore(d),
		scope: idempotency.Scope{OrganizationID: uuid.New(), UserID: uuid.New(), Key: "k"},
		req:   idempotency.Request{Method: "POST", Path: "/api/v1/things", BodySHA256: sha256.Sum256([]byte(`{}`))},
	}
}

func (f fixture) begin(t *testing.T) (*idempotency.Attempt, *idempotency.Answer, error) {
	t.Helper()
	return f.s.Begin(t.Context(), f.scope, f.req)
}

func (f fixture) keys(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(t.Context(), "SELECT count(*) FROM idempotency_keys").Scan(&n))
	return n
}

func (f fixture) orgExists(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	_, err := f.d.Queries().GetOrganization(t.Context(), id)
	return err == nil
}

func TestAttempt_TheEffectAndTheAnswerCommitTogether(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, ans, err := f.begin(t)
	require.NoError(t, err)
	require.Nil(t, ans)
	ctx := a.Context()
	id := uuid.New()
	// Both paths of the services join the attempt's transaction: a savepoint for InTx ...
	require.NoError(t, f.d.InTx(ctx, func(q *db.Queries) error {
		_, err := q.CreateOrganization(ctx, db.CreateOrganizationParams{ID: id, Name: "Joined"})
		return err
	}))
	// ... whose failure undoes only its own work ...
	boom := errors.New("boom")
	require.ErrorIs(t, f.d.InTx(ctx, func(q *db.Queries) error {
		_, err := q.CreateOrganization(ctx, db.CreateOrganizationParams{ID: uuid.New(), Name: "Undone"})
		require.NoError(t, err)
		return boom
	}), boom)
	// ... and the plain queries, which see the uncommitted work.
	_, err = f.d.Queries().GetOrganization(ctx, id)
	require.NoError(t, err)
	assert.False(t, f.orgExists(t, id), "nothing is visible outside before the commit")

	again, _, err := f.begin(t)
	assert.Nil(t, again)
	require.ErrorIs(t, err, idempotency.ErrInUse, "the key is held while the request runs")
	assert.Zero(t, f.keys(t), "a running attempt has stored nothing")

	require.NoError(t, a.Finish(idempotency.Answer{Status: 201, Header: map[string]string{"Location": "/x"}, Body: []byte(`{"id":1}`)}))
	assert.True(t, f.orgExists(t, id))

	again, ans, err = f.begin(t)
	require.NoError(t, err)
	require.Nil(t, again)
	assert.Equal(t, &idempotency.Answer{Status: 201, Header: map[string]string{"Location": "/x"}, Body: []byte(`{"id":1}`)}, ans)

	other := f.req
	other.BodySHA256[0]++
	_, _, err = f.s.Begin(t.Context(), f.scope, other)
	require.ErrorIs(t, err, idempotency.ErrMismatch)
}

func TestAttempt_AnAbandonedAttemptLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _, err := f.begin(t)
	require.NoError(t, err)
	id := uuid.New()
	_, err = f.d.Queries().CreateOrganization(a.Context(), db.CreateOrganizationParams{ID: id, Name: "Rolled back"})
	require.NoError(t, err)
	a.Abandon()
	assert.False(t, f.orgExists(t, id))

	a, ans, err := f.begin(t)
	require.NoError(t, err, "the key is free again")
	require.Nil(t, ans)
	a.Abandon()
}

func TestAttempt_AnAbortedTransactionStoresItsClientErrorAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _, err := f.begin(t)
	require.NoError(t, err)
	ctx := a.Context()
	id := uuid.New()
	_, err = f.d.Queries().CreateOrganization(ctx, db.CreateOrganizationParams{ID: id, Name: "Lost"})
	require.NoError(t, err)
	// A refused statement outside any savepoint aborts the whole transaction.
	_, err = f.d.Queries().CreateOrganization(ctx, db.CreateOrganizationParams{ID: id, Name: "Duplicate"})
	require.Error(t, err)

	require.NoError(t, a.Finish(idempotency.Answer{Status: 409, Body: []byte(`{"code":"x"}`)}))
	assert.False(t, f.orgExists(t, id), "nothing of the aborted transaction commits")
	_, ans, err := f.begin(t)
	require.NoError(t, err)
	require.NotNil(t, ans)
	assert.Equal(t, 409, ans.Status)

	// A success answer on an aborted transaction is never stored: the key is released.
	f.scope.Key = "k2"
	a, _, err = f.begin(t)
	require.NoError(t, err)
	_, err = f.d.Queries().CreateOrganization(a.Context(), db.CreateOrganizationParams{ID: id, Name: "Duplicate"})
	require.NoError(t, err)
	_, err = f.d.Queries().CreateOrganization(a.Context(), db.CreateOrganizationParams{ID: id, Name: "Duplicate"})
	require.Error(t, err)
	require.Error(t, a.Finish(idempotency.Answer{Status: 201}))
	a, ans, err = f.begin(t)
	require.NoError(t, err)
	require.Nil(t, ans)
	a.Abandon()
}

func TestAttempt_AKeyWhoseAttemptsConnectionDiedIsFreeAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first, _, err := f.begin(t)
	require.NoError(t, err)
	id := uuid.New()
	_, err = f.d.Queries().CreateOrganization(first.Context(), db.CreateOrganizationParams{ID: id, Name: "Lost"})
	require.NoError(t, err)
	_, _, err = f.begin(t)
	require.ErrorIs(t, err, idempotency.ErrInUse)

	// The first attempt's connection dies (its process was killed, or PostgreSQL lost it): the
	// backend that holds the key's lock, the only advisory lock in this test's database, ends.
	var pid int32
	require.NoError(t, f.pool.QueryRow(t.Context(), `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&pid))
	var ended bool
	require.NoError(t, f.pool.QueryRow(t.Context(), "SELECT pg_terminate_backend($1, 5000)", pid).Scan(&ended))
	require.True(t, ended)

	second, ans, err := f.begin(t)
	require.NoError(t, err, "free at once: the key's lock ended with its transaction")
	require.Nil(t, ans)
	assert.Zero(t, f.keys(t), "the dead attempt left nothing behind")

	require.Error(t, first.Finish(idempotency.Answer{Status: 201}), "the dead attempt cannot commit")
	assert.False(t, f.orgExists(t, id))
	require.NoError(t, second.Finish(idempotency.Answer{Status: 201, Body: []byte(`{}`)}))
	_, ans, err = f.begin(t)
	require.NoError(t, err)
	require.NotNil(t, ans)
	assert.Equal(t, 201, ans.Status)
}

func TestAttempt_AnExpiredAnswerIsRunAnew(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, _, err := f.begin(t)
	require.NoError(t, err)
	require.NoError(t, a.Finish(idempotency.Answer{Status: 201, Body: []byte(`{"n":1}`)}))
	_, err = f.pool.Exec(t.Context(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
	require.NoError(t, err)

	other := f.req
	other.BodySHA256[0]++ // an expired key is a new key: no mismatch either
	a, ans, err := f.s.Begin(t.Context(), f.scope, other)
	require.NoError(t, err)
	require.Nil(t, ans)
	require.NoError(t, a.Finish(idempotency.Answer{Status: 201, Body: []byte(`{"n":2}`)}))
	_, ans, err = f.s.Begin(t.Context(), f.scope, other)
	require.NoError(t, err)
	require.NotNil(t, ans)
	assert.JSONEq(t, `{"n":2}`, string(ans.Body))
	assert.Equal(t, 1, f.keys(t))
}
