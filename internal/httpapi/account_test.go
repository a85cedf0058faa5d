package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
)

// Account security (issue 11 part 2): PATCH /auth/me, POST /auth/password, GET /auth/sessions,
// DELETE /auth/sessions/{session_id}, POST /auth/logout-all. Helpers are prefixed "acct".

// acctSession is a session of a user: its tokens and id.
type acctSession struct {
	access, refresh string
	id              uuid.UUID
}

// acctLogin starts another session of u, sent with the User-Agent ua ("" sends none).
func acctLogin(t *testing.T, app *apptest.App, u apptest.User, password, ua string) acctSession {
	t.Helper()
	res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login",
		Body:   apptest.JSON(t, client.LoginRequest{Email: u.Email, Password: password}),
		Header: http.Header{"User-Agent": {ua}}})
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	var out client.LoginResult
	require.NoError(t, json.Unmarshal(body, &out))
	return acctSession{access: out.AccessToken, refresh: out.RefreshToken, id: authSessionID(t, app, out.AccessToken)}
}

// acctFirst is the session u's registration started.
func acctFirst(t *testing.T, app *apptest.App, u apptest.User) acctSession {
	t.Helper()
	return acctSession{access: u.Access, refresh: u.Refresh, id: authSessionID(t, app, u.Access)}
}

// acctWorks asserts that both tokens of s still work: the access token on GET /auth/me, the
// refresh token by a refresh (whose new pair it returns).
func acctWorks(t *testing.T, app *apptest.App, s acctSession) acctSession {
	t.Helper()
	authMeOK(t, app, s.access)
	pair := authRefreshOK(t, app, s.refresh)
	return acctSession{access: pair.AccessToken, refresh: pair.RefreshToken, id: s.id}
}

// acctEnded asserts that neither token of s works any more.
func acctEnded(t *testing.T, app *apptest.App, s acctSession) {
	t.Helper()
	authMeUnauthorized(t, app, s.access)
	authRefreshUnauthorized(t, app, s.refresh)
}

func acctSessions(t *testing.T, app *apptest.App, access string) []client.Session {
	t.Helper()
	res, err := app.Client.ListSessionsWithResponse(t.Context(), apptest.Bearer(access))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	authNoStore(t, res.HTTPResponse.Header)
	assert.True(t, strings.HasPrefix(res.HTTPResponse.Header.Get("RateLimit-Policy"), `"user";`),
		"the caller's own data counts against the user budget")
	return res.JSON200.Items
}

func acctSessionIDs(items []client.Session) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, s := range items {
		out[i] = s.Id
	}
	return out
}

func acctChangePassword(t *testing.T, app *apptest.App, access, current, next string, editors ...client.RequestEditorFn) *client.ChangePasswordResponse {
	t.Helper()
	res, err := app.Client.ChangePasswordWithResponse(t.Context(),
		client.PasswordChange{CurrentPassword: current, NewPassword: next}, append([]client.RequestEditorFn{apptest.Bearer(access)}, editors...)...)
	require.NoError(t, err)
	return res
}

func acctDeleteSession(t *testing.T, app *apptest.App, access string, id uuid.UUID) *client.DeleteSessionResponse {
	t.Helper()
	res, err := app.Client.DeleteSessionWithResponse(t.Context(), id, apptest.Bearer(access))
	require.NoError(t, err)
	return res
}

func acctLogoutAll(t *testing.T, app *apptest.App, access string, editors ...client.RequestEditorFn) *client.LogoutAllResponse {
	t.Helper()
	res, err := app.Client.LogoutAllWithResponse(t.Context(), append([]client.RequestEditorFn{apptest.Bearer(access)}, editors...)...)
	require.NoError(t, err)
	return res
}

func TestAccount_UpdateMeRenamesTheCallerAndAnswersAsMe(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	before := authMeOK(t, app, ada.Access)

	res, err := app.Client.UpdateMeWithResponse(t.Context(), client.MeUpdate{Name: "  Ada King  "}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	authNoStore(t, res.HTTPResponse.Header)
	assert.Equal(t, "Ada King", res.JSON200.User.Name, "trimmed")
	assert.Equal(t, before.User.Id, res.JSON200.User.Id)
	assert.Equal(t, before.User.Email, res.JSON200.User.Email)
	assert.Equal(t, before.Memberships, res.JSON200.Memberships, "the same answer as GET /auth/me")
	assert.Equal(t, *res.JSON200, *authMeOK(t, app, ada.Access), "GET /auth/me shows the new name")
	assert.Equal(t, "bob", authMeOK(t, app, bob.Access).User.Name, "nobody else is renamed")
	ok200 := authLoginOK(t, app, ada)
	assert.Equal(t, "Ada King", ok200.User.Name, "login answers the new name")

	// The longest name is 200 characters.
	long := strings.Repeat("é", 200)
	res, err = app.Client.UpdateMeWithResponse(t.Context(), client.MeUpdate{Name: long}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Equal(t, long, res.JSON200.User.Name)
}

func TestAccount_UpdateMeRefusesInvalidBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for name, tc := range map[string]struct{ body, field string }{
		"blank":          {`{"name":"   "}`, "name"},
		"empty":          {`{"name":""}`, "name"},
		"too long":       {`{"name":"` + strings.Repeat("x", 201) + `"}`, "name"},
		"missing":        {`{}`, "name"},
		"not a string":   {`{"name":42}`, "name"},
		"read-only id":   {`{"name":"Ada","id":"` + ada.ID.String() + `"}`, "id"},
		"email is fixed": {`{"name":"Ada","email":"other@example.com"}`, "email"},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := app.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/auth/me", Body: []byte(tc.body), Token: ada.Access})
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			assert.Contains(t, fieldsOf(p), tc.field)
		})
	}
	res, body := app.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/auth/me", Body: []byte(`{"name":"x"`), Token: ada.Access})
	problemOf(t, res, body, http.StatusBadRequest, "malformed_request")
	res, body = app.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/auth/me", Body: []byte(`{"name":"Eve"}`)})
	authUnauthorized(t, res, body, false)
	assert.Equal(t, "ada", authMeOK(t, app, ada.Access).User.Name, "nothing was renamed")
}

// A password change ends every other session of the user at once — their access tokens (already
// verified and cached) and refresh tokens alike — and keeps the session it was made in.
func TestAccount_ChangePasswordEndsTheOtherSessionsAndKeepsTheCurrent(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	current := acctFirst(t, app, ada)
	laptop := acctLogin(t, app, ada, ada.Password, "Laptop/1")
	phone := acctLogin(t, app, ada, ada.Password, "Phone/2")
	authMeOK(t, app, laptop.access) // verified, and remembered by the verified-token cache
	authMeOK(t, app, phone.access)

	const next = "a-brand-new-password"
	res := acctChangePassword(t, app, current.access, ada.Password, next)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	authNoStore(t, res.HTTPResponse.Header)
	assert.Empty(t, res.Body)

	acctEnded(t, app, laptop)
	acctEnded(t, app, phone)
	current = acctWorks(t, app, current)
	assert.Equal(t, []uuid.UUID{current.id}, acctSessionIDs(acctSessions(t, app, current.access)))
	acctWorks(t, app, acctFirst(t, app, bob)) // another user's sessions are not touched

	// The old password no longer logs in; the new one does.
	login := authLogin(t, app, ada.Email, ada.Password)
	problemOf(t, login.HTTPResponse, login.Body, http.StatusUnauthorized, "invalid_credentials")
	ada.Password = next
	authLoginOK(t, app, ada)

	var reasons []string
	rows, err := app.Pool.Query(t.Context(), "SELECT revoke_reason FROM sessions WHERE id = ANY($1) ORDER BY id", []uuid.UUID{laptop.id, phone.id})
	require.NoError(t, err)
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		reasons = append(reasons, r)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"password_changed", "password_changed"}, reasons)
}

func TestAccount_ChangePasswordRefusals(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	other := acctLogin(t, app, ada, ada.Password, "")

	// A wrong current password: 403 (the token is fine), and nothing changes.
	res := acctChangePassword(t, app, ada.Access, "not-the-password", "a-brand-new-password")
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "invalid_credentials")
	assert.Empty(t, res.HTTPResponse.Header.Get("WWW-Authenticate"), "not an authentication failure")
	require.NotNil(t, res.ApplicationproblemJSON403)
	assert.Equal(t, "invalid_credentials", p.Code)
	authMeOK(t, app, ada.Access)
	acctWorks(t, app, other)
	authLoginOK(t, app, ada)

	// The new password follows the rules of registration (8 to 128 characters).
	for name, tc := range map[string]struct{ body, field string }{
		"new too short":        {`{"current_password":"` + ada.Password + `","new_password":"1234567"}`, "new_password"},
		"new too long":         {`{"current_password":"` + ada.Password + `","new_password":"` + strings.Repeat("p", 129) + `"}`, "new_password"},
		"new missing":          {`{"current_password":"` + ada.Password + `"}`, "new_password"},
		"current missing":      {`{"new_password":"a-brand-new-password"}`, "current_password"},
		"current empty":        {`{"current_password":"","new_password":"a-brand-new-password"}`, "current_password"},
		"unknown field":        {`{"current_password":"` + ada.Password + `","new_password":"a-brand-new-password","email":"x@example.com"}`, "email"},
		"new password numeric": {`{"current_password":"` + ada.Password + `","new_password":12345678}`, "new_password"},
	} {
		t.Run(name, func(t *testing.T) {
			res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/password", Body: []byte(tc.body), Token: ada.Access})
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			assert.Contains(t, fieldsOf(p), tc.field)
		})
	}
	// The bounds themselves are accepted.
	for _, next := range []string{"12345678", strings.Repeat("p", 128)} {
		res := acctChangePassword(t, app, ada.Access, ada.Password, next)
		require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
		ada.Password = next
	}
	authLoginOK(t, app, ada)
	acctEnded(t, app, other)

	res2, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/password",
		Body: []byte(`{"current_password":"x","new_password":"a-brand-new-password"}`)})
	authUnauthorized(t, res2, body, false)
}

// A wrong current password is a failed login for the caller's email from this address: the same
// counters lock both endpoints (a lock refuses even the right password), and a change clears the
// count as a successful login does.
func TestAccount_WrongCurrentPasswordsAreThrottledLikeLogins(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")

	// Nine failures, then the right password: the change is made and the count cleared.
	for i := 0; i < auth.ThrottleMaxFailures-1; i++ {
		res := acctChangePassword(t, app, bob.Access, "wrong-password", "bobs-new-password")
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "invalid_credentials")
	}
	var failures int32
	require.NoError(t, app.Pool.QueryRow(ctx, "SELECT failures FROM login_throttle WHERE email = $1", bob.Email).Scan(&failures))
	assert.Equal(t, int32(auth.ThrottleMaxFailures-1), failures, "each wrong current password counts")
	res := acctChangePassword(t, app, bob.Access, bob.Password, "bobs-new-password")
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	var rows int
	require.NoError(t, app.Pool.QueryRow(ctx, "SELECT count(*) FROM login_throttle WHERE email = $1", bob.Email).Scan(&rows))
	assert.Zero(t, rows, "a change clears the count")

	// Failed logins and wrong current passwords share one budget: five of each lock the pair.
	for i := 0; i < auth.ThrottleMaxFailures/2; i++ {
		login := authLogin(t, app, ada.Email, "wrong-password")
		problemOf(t, login.HTTPResponse, login.Body, http.StatusUnauthorized, "invalid_credentials")
	}
	for i := 0; i < auth.ThrottleMaxFailures-auth.ThrottleMaxFailures/2; i++ {
		res := acctChangePassword(t, app, ada.Access, "wrong-password", "adas-new-password")
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "invalid_credentials")
	}
	// Locked: even the right password is refused, on both endpoints, with Retry-After.
	res = acctChangePassword(t, app, ada.Access, ada.Password, "adas-new-password")
	problemOf(t, res.HTTPResponse, res.Body, http.StatusTooManyRequests, "too_many_attempts")
	wait, err := strconv.Atoi(res.HTTPResponse.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.InDelta(t, auth.ThrottleLockBase.Seconds(), wait, 2)
	login := authLogin(t, app, ada.Email, ada.Password)
	problemOf(t, login.HTTPResponse, login.Body, http.StatusTooManyRequests, "too_many_attempts")
	authMeOK(t, app, ada.Access) // the lock refuses password checks, not the session

	// When the lock is over the right password works again.
	_, err = app.Pool.Exec(ctx, "UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE email = $1", ada.Email)
	require.NoError(t, err)
	res = acctChangePassword(t, app, ada.Access, ada.Password, "adas-new-password")
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
}

// GET /auth/sessions lists the caller's active sessions, most recently used first, with the
// User-Agent that last got their tokens and when; ended and expired sessions are left out, and so
// are other users'.
func TestAccount_ListSessionsShowsTheActiveSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	bob := app.Register(t, "bob")

	email := apptest.UniqueEmail("ada")
	res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/register",
		Body:   apptest.JSON(t, client.RegisterRequest{Email: email, Password: "password-ada", Name: "Ada", OrganizationName: "Ada's"}),
		Header: http.Header{"User-Agent": {"Registrar/1.0"}}})
	require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	var reg client.RegisterResult
	require.NoError(t, json.Unmarshal(body, &reg))
	ada := apptest.User{ID: reg.User.Id, Email: email, Password: "password-ada", Access: reg.AccessToken, Refresh: reg.RefreshToken}
	first := acctFirst(t, app, ada)

	long := strings.Repeat("ü", 300)
	anonymous := acctLogin(t, app, ada, ada.Password, "")
	verbose := acctLogin(t, app, ada, ada.Password, long)
	ended := acctLogin(t, app, ada, ada.Password, "Ended/1")
	expired := acctLogin(t, app, ada, ada.Password, "Expired/1")
	require.Equal(t, http.StatusNoContent, authLogout(t, app, ended.refresh).StatusCode())
	_, err := app.Pool.Exec(ctx, "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", expired.id)
	require.NoError(t, err)
	// Order by last use: the first session was used longest ago, then the others in login order.
	_, err = app.Pool.Exec(ctx, `UPDATE sessions SET last_used_at = now() - interval '1 hour' WHERE id = $1`, first.id)
	require.NoError(t, err)
	_, err = app.Pool.Exec(ctx, `UPDATE sessions SET last_used_at = now() - interval '1 minute' WHERE id = $1`, anonymous.id)
	require.NoError(t, err)

	items := acctSessions(t, app, verbose.access)
	require.Equal(t, []uuid.UUID{verbose.id, anonymous.id, first.id}, acctSessionIDs(items))
	byID := map[uuid.UUID]client.Session{}
	for _, s := range items {
		byID[s.Id] = s
		assert.Equal(t, s.Id == verbose.id, s.Current, "current marks the session of the request")
		assert.True(t, s.ExpiresAt.After(time.Now()), "active sessions only")
	}
	assert.Equal(t, "Registrar/1.0", byID[first.id].UserAgent.MustGet())
	assert.True(t, byID[anonymous.id].UserAgent.IsNull(), "no User-Agent: null")
	assert.Equal(t, strings.Repeat("ü", auth.MaxUserAgentLength), byID[verbose.id].UserAgent.MustGet(), "cut to 256 characters")
	assert.WithinDuration(t, time.Now(), byID[verbose.id].LastUsedAt, time.Minute)
	assert.Equal(t, byID[verbose.id].CreatedAt, byID[verbose.id].LastUsedAt, "a new session was last used when it started")
	assert.WithinDuration(t, byID[verbose.id].CreatedAt.Add(7*24*time.Hour), byID[verbose.id].ExpiresAt, time.Minute)

	// Asked from another session, current moves with it.
	for _, s := range acctSessions(t, app, first.access) {
		assert.Equal(t, s.Id == first.id, s.Current)
	}

	// A refresh records the session's use and its client's User-Agent; nothing else does.
	before := byID[first.id].LastUsedAt
	authMeOK(t, app, first.access)
	assert.Equal(t, before, acctSessionByID(t, app, verbose.access, first.id).LastUsedAt, "a request is not recorded")
	r, b := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/refresh",
		Body: apptest.JSON(t, client.RefreshRequest{RefreshToken: first.refresh}), Header: http.Header{"User-Agent": {"Refresher/2.0"}}})
	require.Equal(t, http.StatusOK, r.StatusCode, string(b))
	refreshed := acctSessionByID(t, app, verbose.access, first.id)
	assert.Equal(t, "Refresher/2.0", refreshed.UserAgent.MustGet())
	assert.True(t, refreshed.LastUsedAt.After(before.Add(30*time.Minute)), "last_used_at is the refresh's time")
	assert.Equal(t, first.id, acctSessionIDs(acctSessions(t, app, verbose.access))[0], "now the most recently used")

	// Bob sees his own session only.
	bobs := acctSessions(t, app, bob.Access)
	require.Len(t, bobs, 1)
	assert.Equal(t, authSessionID(t, app, bob.Access), bobs[0].Id)
	assert.True(t, bobs[0].Current)

	res, body = app.Do(t, apptest.Request{Path: "/api/v1/auth/sessions"})
	authUnauthorized(t, res, body, false)
}

func acctSessionByID(t *testing.T, app *apptest.App, access string, id uuid.UUID) client.Session {
	t.Helper()
	for _, s := range acctSessions(t, app, access) {
		if s.Id == id {
			return s
		}
	}
	t.Fatalf("session %s is not listed", id)
	return client.Session{}
}

// The list is bounded: the 100 most recently used sessions.
func TestAccount_ListSessionsIsBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	_, err := app.Pool.Exec(ctx, `INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at, last_used_at)
		SELECT gen_random_uuid(), $1, '\x00', now() + interval '1 day', now() - make_interval(mins => g)
		FROM generate_series(1, 150) g`, ada.ID)
	require.NoError(t, err)
	items := acctSessions(t, app, ada.Access)
	require.Len(t, items, auth.MaxListedSessions)
	assert.True(t, items[0].Current, "the session in use is the most recently used")
	for i := 1; i < len(items); i++ {
		assert.False(t, items[i].LastUsedAt.After(items[i-1].LastUsedAt), "most recently used first")
	}
}

// DELETE /auth/sessions/{id} ends the session at once: its access token, though verified and
// cached by the token service before, is refused on the next request, and its refresh token too.
// Another user's session, an ended one and an unknown id are the same 404.
func TestAccount_DeleteSessionEndsItAtOnce(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	current := acctFirst(t, app, ada)
	other := acctLogin(t, app, ada, ada.Password, "Other/1")
	for range 3 {
		authMeOK(t, app, other.access) // the verified-token cache holds it now
	}

	res := acctDeleteSession(t, app, current.access, other.id)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	authNoStore(t, res.HTTPResponse.Header)
	acctEnded(t, app, other)
	r, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: other.access, Org: ada.OrgID})
	authUnauthorized(t, r, body, true)
	current = acctWorks(t, app, current)
	assert.Equal(t, []uuid.UUID{current.id}, acctSessionIDs(acctSessions(t, app, current.access)))

	// Bob's session is not ada's to end, whatever ada knows of it: 404, and it goes on working.
	bobs := acctFirst(t, app, bob)
	notFound := func(id uuid.UUID) map[string]any {
		res := acctDeleteSession(t, app, current.access, id)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "not_found")
		require.NotNil(t, res.ApplicationproblemJSON404)
		return withoutRequestID(t, res.Body)
	}
	foreign := notFound(bobs.id)
	acctWorks(t, app, bobs)
	assert.Equal(t, foreign, notFound(uuid.New()), "an unknown id answers the same")
	assert.Equal(t, foreign, notFound(other.id), "an ended session answers the same")

	// A caller may end their own current session.
	res = acctDeleteSession(t, app, current.access, current.id)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	acctEnded(t, app, current)

	r, body = app.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/auth/sessions/not-a-uuid", Token: bob.Access})
	p := problemOf(t, r, body, http.StatusBadRequest, "validation_failed")
	assert.Equal(t, []string{"session_id"}, fieldsOf(p))
	r, body = app.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/auth/sessions/" + bobs.id.String()})
	authUnauthorized(t, r, body, false)
}

// POST /auth/logout-all ends every session of the caller, the current one included.
func TestAccount_LogoutAllEndsEverySessionIncludingTheCurrent(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	current := acctFirst(t, app, ada)
	other := acctLogin(t, app, ada, ada.Password, "Other/1")
	authMeOK(t, app, current.access)
	authMeOK(t, app, other.access)

	res := acctLogoutAll(t, app, current.access)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	authNoStore(t, res.HTTPResponse.Header)
	acctEnded(t, app, current)
	acctEnded(t, app, other)
	acctWorks(t, app, acctFirst(t, app, bob))

	// Signing in again starts afresh.
	again := authLoginOK(t, app, ada)
	items := acctSessions(t, app, again.AccessToken)
	require.Len(t, items, 1)
	assert.True(t, items[0].Current)

	r, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/logout-all"})
	authUnauthorized(t, r, body, false)
}

// The two authenticated POSTs honour Idempotency-Key like every other: a replay answers the stored
// 204 and changes nothing, another request under the key is 422, a running one 409.
func TestAccount_IdempotencyKeys(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	key := apptest.Header("Idempotency-Key", uuid.NewString())

	res := acctChangePassword(t, app, ada.Access, ada.Password, "second-password", key)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	assert.Empty(t, res.HTTPResponse.Header.Get("Idempotent-Replayed"))
	later := acctLogin(t, app, ada, "second-password", "")
	res = acctChangePassword(t, app, ada.Access, ada.Password, "second-password", key)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), string(res.Body))
	assert.Equal(t, "true", res.HTTPResponse.Header.Get("Idempotent-Replayed"))
	acctWorks(t, app, later) // the replay ended no session

	res = acctChangePassword(t, app, ada.Access, "second-password", "third-password", key)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusUnprocessableEntity, "idempotency_key_mismatch")
	lo := acctLogoutAll(t, app, ada.Access, key) // the key belongs to the password change
	problemOf(t, lo.HTTPResponse, lo.Body, http.StatusUnprocessableEntity, "idempotency_key_mismatch")
	authMeOK(t, app, ada.Access)

	// Keys whose first request is still running.
	running := func(path string, body []byte) client.RequestEditorFn {
		k := uuid.NewString()
		holdKey(t, app, uuid.Nil, ada.ID, k, path, body)
		return apptest.Header("Idempotency-Key", k)
	}
	body := apptest.JSON(t, client.PasswordChange{CurrentPassword: "second-password", NewPassword: "third-password"})
	res = acctChangePassword(t, app, ada.Access, "second-password", "third-password", running("/api/v1/auth/password", body))
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "idempotency_key_in_use")
	assert.Equal(t, "1", res.HTTPResponse.Header.Get("Retry-After"))
	lo = acctLogoutAll(t, app, ada.Access, running("/api/v1/auth/logout-all", nil))
	problemOf(t, lo.HTTPResponse, lo.Body, http.StatusConflict, "idempotency_key_in_use")
	assert.Equal(t, "1", lo.HTTPResponse.Header.Get("Retry-After"))
	acctWorks(t, app, later)

	lo = acctLogoutAll(t, app, ada.Access, apptest.Header("Idempotency-Key", "ключ"))
	problemOf(t, lo.HTTPResponse, lo.Body, http.StatusBadRequest, "invalid_idempotency_key")

	// logout-all under a key runs once; its retry finds the session ended.
	k := apptest.Header("Idempotency-Key", uuid.NewString())
	lo = acctLogoutAll(t, app, ada.Access, k)
	require.Equal(t, http.StatusNoContent, lo.StatusCode(), string(lo.Body))
	lo = acctLogoutAll(t, app, ada.Access, k)
	authUnauthorized(t, lo.HTTPResponse, lo.Body, true)
	acctEnded(t, app, later)
}
