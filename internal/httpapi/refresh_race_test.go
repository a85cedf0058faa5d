package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
)

func raceRevokeReason(t *testing.T, app *apptest.App, sid uuid.UUID) *string {
	t.Helper()
	var reason *string
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT revoke_reason FROM sessions WHERE id = $1", sid).Scan(&reason))
	return reason
}

// Five concurrent refreshes of one token (two browser tabs, a retried request) all succeed with a
// pair of the same session, and the session stays alive: within REFRESH_REUSE_LEEWAY_SECONDS
// (default 10) the just-rotated token is not taken for a theft (issue 8, item 12).
func TestRefreshRace_FiveConcurrentRefreshesAllSucceed(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	sid := authSessionID(t, app, ada.Access)

	const n = 5
	var (
		wg    sync.WaitGroup
		pairs = make([]*client.RefreshTokensResponse, n)
		errs  = make([]error, n)
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			pairs[i], errs[i] = app.Client.RefreshTokensWithResponse(context.WithoutCancel(t.Context()),
				client.RefreshTokensJSONRequestBody{RefreshToken: ada.Refresh})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusOK, pairs[i].StatusCode(), "refresh %d: %s", i, pairs[i].Body)
		pair := pairs[i].JSON200
		assert.Equal(t, sid, authSessionID(t, app, pair.AccessToken), "refresh %d: the same session", i)
		assert.Equal(t, http.StatusOK, authMe(t, app, pair.AccessToken).StatusCode(), "refresh %d: its access token works", i)
	}
	assert.Nil(t, raceRevokeReason(t, app, sid), "the session is not revoked")

	// Every tab carries on with the token it got: each refreshes again without ending the session.
	for i := range n {
		next := authRefreshOK(t, app, pairs[i].JSON200.RefreshToken)
		assert.Equal(t, sid, authSessionID(t, app, next.AccessToken))
	}
	assert.Nil(t, raceRevokeReason(t, app, sid))
	assert.Equal(t, http.StatusOK, authMe(t, app, ada.Access).StatusCode())
}

// Past the leeway, presenting the exchanged token again is still a reuse: the session is revoked.
func TestRefreshRace_ReuseAfterTheLeewayRevokesTheSession(t *testing.T) {
	t.Parallel()
	clock := &authClock{}
	app := apptest.NewWithOptions(t, apptest.Options{Now: clock.Now})
	ada := app.Register(t, "ada")
	sid := authSessionID(t, app, ada.Access)

	p2 := authRefreshOK(t, app, ada.Refresh)
	clock.Advance(5 * time.Second)
	again := authRefreshOK(t, app, ada.Refresh) // inside the leeway: a pair of the same session
	assert.Equal(t, sid, authSessionID(t, app, again.AccessToken))

	clock.Advance(6 * time.Second) // 11 s after the rotation: past the default 10 s
	authRefreshUnauthorized(t, app, ada.Refresh)
	reason := raceRevokeReason(t, app, sid)
	require.NotNil(t, reason)
	assert.Equal(t, "refresh_token_reuse", *reason)
	authRefreshUnauthorized(t, app, p2.RefreshToken)
	authRefreshUnauthorized(t, app, again.RefreshToken)
	assert.Equal(t, http.StatusUnauthorized, authMe(t, app, p2.AccessToken).StatusCode())
}

// Only the token rotated last gets the leeway: one exchanged two rotations ago is a reuse at once.
func TestRefreshRace_OlderTokenIsAReuseEvenInsideTheLeeway(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	sid := authSessionID(t, app, ada.Access)

	p2 := authRefreshOK(t, app, ada.Refresh)
	p3 := authRefreshOK(t, app, p2.RefreshToken)
	authRefreshUnauthorized(t, app, ada.Refresh)
	require.NotNil(t, raceRevokeReason(t, app, sid))
	authRefreshUnauthorized(t, app, p3.RefreshToken)
}
