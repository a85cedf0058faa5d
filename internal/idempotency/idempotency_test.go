package idempotency_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

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
		pool: pool, d: d, s: idempotency.NewStore(d, time.Minute),
		scope: idempotency.Scope{OrganizationID: uuid.New(), UserID: uuid.New(), Key: "k"},
		req:   idempotency.Request{Method: "POST", Path: "/api/v1/things", BodySHA256: sha256.Sum256([]byte(`{}`))},
	}
}

func (f fixture) begin(t *testing.T) (*idempotency.Attempt, *idempotency.Answer, error) {
	t.Helper()
	return f.s.Begin(t.Context(), f.scope, f.req)
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

func TestAttempt_AnAbandonedClaimIsTakenOverAndItsOwnerFenced(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first, _, err := f.begin(t)
	require.NoError(t, err)
	id := uuid.New()
	_, err = f.d.Queries().CreateOrganization(first.Context(), db.CreateOrganizationParams{ID: id, Name: "Late"})
	require.NoError(t, err)

	// The first attempt looks abandoned (it began longer ago than any request may run).
	_, err = f.pool.Exec(t.Context(), "UPDATE idempotency_keys SET locked_at = now() - interval '2 minutes'")
	require.NoError(t, err)
	second, ans, err := f.begin(t)
	require.NoError(t, err, "taken over")
	require.Nil(t, ans)

	require.ErrorIs(t, first.Finish(idempotency.Answer{Status: 201}), idempotency.ErrInUse, "the first attempt lost its claim")
	assert.False(t, f.orgExists(t, id))
	require.NoError(t, second.Finish(idempotency.Answer{Status: 201, Body: []byte(`{}`)}))
	_, ans, err = f.begin(t)
	require.NoError(t, err)
	require.NotNil(t, ans)
}
