package crmsdk_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	passwordPath = "/api/v1/auth/password"
	logoutAll    = "/api/v1/auth/logout-all"
)

// twoSessions returns ada's registration session in c1 and a second session of hers, logged in, in
// c2 (each with its own recorder and token log).
func twoSessions(t *testing.T, app *apptest.App) (ada apptest.User, c1, c2 *crmsdk.Client, rec1, rec2 *recorder, events1 *tokenLog) {
	t.Helper()
	ada = app.Register(t, "ada")
	events1 = &tokenLog{}
	c1, rec1 = newSDK(t, app, crmsdk.WithTokens(ada.Access, ada.Refresh), crmsdk.WithTokenCallback(events1.record))
	c2, rec2 = newSDK(t, app)
	_, err := c2.Login(t.Context(), ada.Email, ada.Password)
	require.NoError(t, err)
	return ada, c1, c2, rec1, rec2, events1
}

// TestAccount_UpdateMe: the rename answers the caller renamed, with the memberships; a blank name
// is validation_failed.
func TestAccount_UpdateMe(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	c, _ := newSDK(t, app, crmsdk.WithTokens(ada.Access, ada.Refresh))

	me, err := c.UpdateMe(ctx, "  Ada King  ")
	require.NoError(t, err)
	assert.Equal(t, "Ada King", me.User.Name, "trimmed")
	assert.Equal(t, ada.ID, me.User.Id)
	require.Len(t, me.Memberships, 1)
	assert.Equal(t, ada.OrgID, me.Memberships[0].OrganizationId)

	got, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Equal(t, "Ada King", got.JSON200.User.Name)

	_, err = c.UpdateMe(ctx, "   ")
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusBadRequest, pe.Status)
	assert.Equal(t, crmsdk.CodeValidationFailed, pe.Code())
}

// TestAccount_ChangePassword: a wrong current password is 403 invalid_credentials, with no refresh
// and the tokens untouched; the change ends the other session, keeps this one (same tokens) and
// the new password is the one that logs in.
func TestAccount_ChangePassword(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada, c1, c2, rec1, _, events1 := twoSessions(t, app)
	before := c1.Tokens()

	err := c1.ChangePassword(ctx, "not-the-password", "a-brand-new-password")
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusForbidden, pe.Status)
	assert.Equal(t, crmsdk.CodeInvalidCredentials, pe.Code())
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials))
	assert.Zero(t, rec1.count(refreshPath), "a 403 is no reason to refresh")
	assert.Equal(t, before, c1.Tokens(), "the session is kept")
	assert.Empty(t, events1.all())
	require.Len(t, rec1.exchanges(passwordPath), 1, "a 403 is not retried")

	require.NoError(t, c1.ChangePassword(ctx, ada.Password, "a-brand-new-password"))
	assert.Equal(t, before, c1.Tokens(), "the tokens stay")
	assert.Empty(t, events1.all())

	// This session goes on with the same tokens, without a refresh.
	_, err = crmsdk.Ok(c1.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Zero(t, rec1.count(refreshPath))
	assert.Equal(t, before, c1.Tokens())

	// The other one is over: its 401, its refresh refused, its tokens cleared.
	_, err = crmsdk.Ok(c2.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
	assert.True(t, c2.Tokens().IsZero())

	// Only the new password logs in.
	c3, _ := newSDK(t, app)
	_, err = c3.Login(ctx, ada.Email, ada.Password)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials), "old password: %v", err)
	_, err = c3.Login(ctx, ada.Email, "a-brand-new-password")
	require.NoError(t, err)
}

// TestAccount_ChangePasswordRetried: the answer to the change is lost; the retry carries the same
// Idempotency-Key and gets the stored 204, and the session stays.
func TestAccount_ChangePasswordRetried(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: passwordPath, drop: 1}
	c := lossyOwner(t, app, l)
	before := c.Tokens()

	require.NoError(t, c.ChangePassword(t.Context(), password, "a-brand-new-password"))
	posts := l.requests(http.MethodPost, passwordPath)
	require.Len(t, posts, 2)
	assert.NotEmpty(t, posts[0].Key)
	assert.Equal(t, posts[0].Key, posts[1].Key)
	assert.Equal(t, before, c.Tokens())
	_, err := crmsdk.Ok(c.GetMeWithResponse(t.Context()))
	require.NoError(t, err)
}

// TestAccount_Sessions: both sessions are listed, this client's marked current; ending the other
// one keeps this client's tokens and kills the other's; ending one that is gone is not_found.
func TestAccount_Sessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	_, c1, c2, _, _, events1 := twoSessions(t, app)

	list1, err := c1.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, list1, 2)
	list2, err := c2.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, list2, 2)
	own1, own2 := current(t, list1), current(t, list2)
	assert.NotEqual(t, own1, own2, "each client sees its own session as current")
	for _, s := range list1 {
		assert.True(t, s.ExpiresAt.After(s.CreatedAt))
		require.NotNil(t, s.UserAgent, "Go's HTTP client sends a User-Agent")
	}

	before := c1.Tokens()
	require.NoError(t, c1.EndSession(ctx, own2))
	assert.Equal(t, before, c1.Tokens(), "another session ended: this one's tokens stay")
	assert.Empty(t, events1.all())
	_, err = crmsdk.Ok(c2.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
	assert.True(t, c2.Tokens().IsZero())

	list1, err = c1.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, list1, 1)
	assert.Equal(t, own1, list1[0].Id)

	err = c1.EndSession(ctx, own2)
	require.ErrorIs(t, err, crmsdk.ErrNotFound, "an ended session")
	require.ErrorIs(t, c1.EndSession(ctx, uuid.New()), crmsdk.ErrNotFound, "an unknown one")

	// Another user's session is not found either, and stays alive.
	bob := app.Register(t, "bob")
	cb, _ := newSDK(t, app, crmsdk.WithTokens(bob.Access, bob.Refresh))
	bobs, err := cb.Sessions(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, c1.EndSession(ctx, current(t, bobs)), crmsdk.ErrNotFound)
	_, err = crmsdk.Ok(cb.GetMeWithResponse(ctx))
	require.NoError(t, err)
}

// TestAccount_EndOwnSession: ending its own session clears the client's tokens, as Logout does.
func TestAccount_EndOwnSession(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	_, c1, c2, _, _, events1 := twoSessions(t, app)
	old := c1.Tokens()

	list, err := c1.Sessions(ctx)
	require.NoError(t, err)
	require.NoError(t, c1.EndSession(ctx, current(t, list)))
	assert.True(t, c1.Tokens().IsZero())
	assert.Equal(t, []crmsdk.Tokens{{}}, events1.all())

	// The old tokens are dead; the other session lives.
	stale, _ := newSDK(t, app, crmsdk.WithTokens(old.AccessToken, old.RefreshToken))
	_, err = crmsdk.Ok(stale.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
	_, err = crmsdk.Ok(c2.GetMeWithResponse(ctx))
	require.NoError(t, err)
}

// TestAccount_LogoutAll: every session ends, this one's tokens are cleared.
func TestAccount_LogoutAll(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	_, c1, c2, rec1, _, events1 := twoSessions(t, app)
	old := c1.Tokens()

	require.NoError(t, c1.LogoutAll(ctx))
	assert.True(t, c1.Tokens().IsZero())
	assert.Equal(t, []crmsdk.Tokens{{}}, events1.all())
	require.Len(t, rec1.exchanges(logoutAll), 1)
	assert.Zero(t, rec1.count(refreshPath))

	_, err := crmsdk.Ok(c2.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
	assert.True(t, c2.Tokens().IsZero())
	stale, _ := newSDK(t, app, crmsdk.WithTokens(old.AccessToken, old.RefreshToken))
	_, err = crmsdk.Ok(stale.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
}

// TestAccount_LogoutAllRetried: the answer is lost; the retry (same key) finds the session ended:
// 401, the refresh is refused, and the tokens are cleared all the same.
func TestAccount_LogoutAllRetried(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: logoutAll, drop: 1}
	var events tokenLog
	c := lossyOwner(t, app, l, crmsdk.WithTokenCallback(events.record))

	err := c.LogoutAll(t.Context())
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeUnauthorized), "%v", err)
	posts := l.requests(http.MethodPost, logoutAll)
	require.Len(t, posts, 2)
	assert.Equal(t, posts[0].Key, posts[1].Key)
	assert.True(t, c.Tokens().IsZero())
	all := events.all()
	require.NotEmpty(t, all)
	assert.True(t, all[len(all)-1].IsZero())
}

// TestAccount_EndSessionAfterRefresh: a refresh of the session during EndSession (an expired access
// token) does not keep the client from clearing the tokens of its own ended session.
func TestAccount_EndSessionAfterRefresh(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	c, rec := newSDK(t, app, crmsdk.WithTokens(ada.Access, ada.Refresh))
	list, err := c.Sessions(ctx)
	require.NoError(t, err)
	own := current(t, list)

	c.SetTokens(crmsdk.Tokens{AccessToken: "expired", RefreshToken: c.Tokens().RefreshToken})
	require.NoError(t, c.EndSession(ctx, own))
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.True(t, c.Tokens().IsZero())
}

// current returns the id of the session marked current.
func current(t *testing.T, list []client.Session) uuid.UUID {
	t.Helper()
	for _, s := range list {
		if s.Current {
			return s.Id
		}
	}
	require.FailNow(t, "no current session", "%v", list)
	return uuid.Nil
}
