package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- helpers shared by auth_test.go and tenancy_test.go (prefixed "auth" to stay out of the way
// of other files of this package) ----

// authUnauthorized asserts a 401 unauthorized with the bearer challenge RFC 6750 asks for: no error
// attribute when no credentials were sent, error="invalid_token" when bad ones were.
func authUnauthorized(t *testing.T, res *http.Response, body []byte, credentialsSent bool) {
	t.Helper()
	problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
	want := "Bearer"
	if credentialsSent {
		want = `Bearer error="invalid_token"`
	}
	assert.Equal(t, want, res.Header.Get("WWW-Authenticate"))
}

// authNoStore asserts the headers every answer of the API carries when it holds session data.
func authNoStore(t *testing.T, h http.Header) {
	t.Helper()
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.NotEmpty(t, h.Get("X-Request-Id"))
}

func authMe(t *testing.T, app *apptest.App, access string) *client.GetMeResponse {
	t.Helper()
	res, err := app.Client.GetMeWithResponse(t.Context(), apptest.Bearer(access))
	require.NoError(t, err)
	return res
}

func authMeOK(t *testing.T, app *apptest.App, access string) *client.MeResponse {
	t.Helper()
	res := authMe(t, app, access)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.NotNil(t, res.JSON200)
	return res.JSON200
}

func authMeUnauthorized(t *testing.T, app *apptest.App, access string) {
	t.Helper()
	res := authMe(t, app, access)
	authUnauthorized(t, res.HTTPResponse, res.Body, true)
	require.NotNil(t, res.ApplicationproblemJSON401)
	assert.Equal(t, "unauthorized", res.ApplicationproblemJSON401.Code)
}

func authRefresh(t *testing.T, app *apptest.App, refresh string) *client.RefreshTokensResponse {
	t.Helper()
	res, err := app.Client.RefreshTokensWithResponse(t.Context(), client.RefreshTokensJSONRequestBody{RefreshToken: refresh})
	require.NoError(t, err)
	return res
}

func authRefreshOK(t *testing.T, app *apptest.App, refresh string) client.TokenPair {
	t.Helper()
	res := authRefresh(t, app, refresh)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.NotNil(t, res.JSON200)
	return *res.JSON200
}

func authRefreshUnauthorized(t *testing.T, app *apptest.App, refresh string) {
	t.Helper()
	res := authRefresh(t, app, refresh)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "unauthorized")
	require.NotNil(t, res.ApplicationproblemJSON401)
	assert.Equal(t, "unauthorized", res.ApplicationproblemJSON401.Code)
}

func authLogin(t *testing.T, app *apptest.App, email, password string) *client.LoginResponse {
	t.Helper()
	res, err := app.Client.LoginWithResponse(t.Context(), client.LoginJSONRequestBody{Email: email, Password: password})
	require.NoError(t, err)
	return res
}

func authLoginOK(t *testing.T, app *apptest.App, u apptest.User) client.LoginResult {
	t.Helper()
	res := authLogin(t, app, u.Email, u.Password)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.NotNil(t, res.JSON200)
	return *res.JSON200
}

func authLogout(t *testing.T, app *apptest.App, refresh string) *client.LogoutResponse {
	t.Helper()
	res, err := app.Client.LogoutWithResponse(t.Context(), client.LogoutJSONRequestBody{RefreshToken: refresh})
	require.NoError(t, err)
	return res
}

func authSessionID(t *testing.T, app *apptest.App, access string) uuid.UUID {
	t.Helper()
	c, err := app.Tokens.Verify(auth.KindAccess, access)
	require.NoError(t, err)
	return c.SessionID
}

// authClock is a fake clock for the server's tokens that the test moves forward.
type authClock struct{ offset atomic.Int64 }

func (c *authClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *authClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func authRegisterBody(email, password string) map[string]any {
	return map[string]any{"email": email, "password": password, "name": "Ada", "organization_name": "Engines"}
}

// authBodyOperations are the auth operations that take a JSON body, with a valid body each.
func authBodyOperations(u apptest.User) []struct {
	name, path string
	body       map[string]any
} {
	return []struct {
		name, path string
		body       map[string]any
	}{
		{"register", "/api/v1/auth/register", authRegisterBody(apptest.UniqueEmail("body"), "password-123")},
		{"login", "/api/v1/auth/login", map[string]any{"email": u.Email, "password": u.Password}},
		{"refresh", "/api/v1/auth/refresh", map[string]any{"refresh_token": u.Refresh}},
		{"logout", "/api/v1/auth/logout", map[string]any{"refresh_token": u.Refresh}},
	}
}

// ---- register ----

func TestAuth_RegisterCreatesUserOwnedOrganizationAndSession(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	lower := apptest.UniqueEmail("ada")
	mixed := "  " + strings.ToUpper(lower[:1]) + lower[1:4] + strings.ToUpper(lower[4:]) + " "

	res, err := app.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
		Email: mixed, Password: "correct-horse-battery", Name: "  Ada Lovelace ", OrganizationName: " Analytical Engines ",
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	authNoStore(t, res.HTTPResponse.Header)
	assert.Equal(t, "application/json", res.HTTPResponse.Header.Get("Content-Type"))
	out := res.JSON201
	require.NotNil(t, out)

	assert.Equal(t, lower, out.User.Email, "email trimmed and lower-cased")
	assert.Equal(t, "Ada Lovelace", out.User.Name)
	assert.NotEqual(t, uuid.Nil, out.User.Id)
	assert.WithinDuration(t, time.Now(), out.User.CreatedAt, time.Minute)
	assert.Equal(t, "Analytical Engines", out.Organization.Name)
	assert.NotEqual(t, uuid.Nil, out.Organization.Id)
	assert.True(t, out.Organization.Settings.MembersSeeAll)
	assert.Equal(t, "USD", out.Organization.Settings.DefaultCurrency)
	assert.Equal(t, "UTC", out.Organization.Settings.Timezone)
	assert.Equal(t, client.RegisterResultTokenType("bearer"), out.TokenType)
	assert.Equal(t, 900, out.ExpiresIn)
	assert.NotEqual(t, out.AccessToken, out.RefreshToken)
	assert.NotContains(t, string(res.Body), "correct-horse-battery", "the password is never echoed")
	assert.NotContains(t, string(res.Body), "argon2id", "nor its hash")

	access, err := app.Tokens.Verify(auth.KindAccess, out.AccessToken)
	require.NoError(t, err)
	refresh, err := app.Tokens.Verify(auth.KindRefresh, out.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, out.User.Id, access.UserID)
	assert.Equal(t, out.User.Id, refresh.UserID)
	assert.Equal(t, access.SessionID, refresh.SessionID, "one session")
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), access.ExpiresAt, time.Minute)

	me := authMeOK(t, app, out.AccessToken)
	assert.Equal(t, out.User, me.User)
	assert.Equal(t, []client.Membership{{
		OrganizationId: out.Organization.Id, OrganizationName: "Analytical Engines", Role: client.RoleOwner,
	}}, me.Memberships)

	// The stored email is the normalised one: log in with it and with another spelling.
	for _, email := range []string{lower, strings.ToUpper(lower), " " + lower + " "} {
		login := authLogin(t, app, email, "correct-horse-battery")
		require.Equal(t, http.StatusOK, login.StatusCode(), "%q: %s", email, login.Body)
		assert.Equal(t, out.User.Id, login.JSON200.User.Id)
		assert.Equal(t, lower, login.JSON200.User.Email)
	}

	var stored string
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT email FROM users WHERE id = $1", out.User.Id).Scan(&stored))
	assert.Equal(t, lower, stored)
}

func TestAuth_RegisterAcceptsPasswordLengthBounds(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, pw := range []string{strings.Repeat("p", 8), strings.Repeat("p", 128), "пароль-🔐-密码-ok"} {
		email := apptest.UniqueEmail("bounds")
		res, err := app.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
			Email: email, Password: pw, Name: "B", OrganizationName: "O",
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), "len %d: %s", len(pw), res.Body)
		login := authLogin(t, app, email, pw)
		assert.Equal(t, http.StatusOK, login.StatusCode(), "login with a %d-character password", len(pw))
	}
}

func TestAuth_RegisterRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	valid := func() map[string]any { return authRegisterBody(apptest.UniqueEmail("val"), "password-123") }
	with := func(key string, v any) map[string]any { b := valid(); b[key] = v; return b }
	without := func(keys ...string) map[string]any {
		b := valid()
		for _, k := range keys {
			delete(b, k)
		}
		return b
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"email without at", with("email", "ada.example.com"), "email"},
		{"email without domain dot", with("email", "ada@localhost"), "email"},
		{"email with display name", with("email", "Ada <ada@example.com>"), "email"},
		{"email empty", with("email", ""), "email"},
		{"email too long", with("email", strings.Repeat("a", 250)+"@example.com"), "email"},
		{"email a number", with("email", 42), "email"},
		{"password of 7", with("password", "1234567"), "password"},
		{"password of 129", with("password", strings.Repeat("p", 129)), "password"},
		{"password null", with("password", nil), "password"},
		{"name empty", with("name", ""), "name"},
		{"name of 201", with("name", strings.Repeat("n", 201)), "name"},
		{"organization name empty", with("organization_name", ""), "organization_name"},
		{"unknown field", with("role", "owner"), "role"},
		{"read-only id", with("id", uuid.NewString()), "id"},
		{"missing email", without("email"), "email"},
		{"missing password", without("password"), "password"},
		{"missing organization name", without("organization_name"), "organization_name"},
		{"empty object", map[string]any{}, "email"},
		{"array", []any{valid()}, "body"},
		{"string", "hello", "body"},
		{"null", nil, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := app.Client.RegisterWithBodyWithResponse(t.Context(), "application/json", bytes.NewReader(apptest.JSON(t, tc.body)))
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, res.ApplicationproblemJSON400)
			assert.Equal(t, "validation_failed", res.ApplicationproblemJSON400.Code)
			assert.Contains(t, fieldsOf(p), tc.field, "body: %s", res.Body)
		})
	}
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n))
	assert.Zero(t, n, "no rejected registration created a user")
}

func TestAuth_MalformedJSONIsMalformedRequest(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.Register(t, "ada")
	for _, op := range authBodyOperations(u) {
		for _, raw := range []string{`{`, `{"email": "a@b.co",`, `not json`, `{"email" "x"}`, `{'email': 'x'}`} {
			t.Run(op.name+"/"+raw, func(t *testing.T) {
				res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: op.path, Body: []byte(raw)})
				problemOf(t, res, body, http.StatusBadRequest, "malformed_request")
			})
		}
	}
	// The session the malformed requests named was not touched.
	authMeOK(t, app, u.Access)
}

func TestAuth_TrailingDataAndDuplicateKeysAreMalformed(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	login := `{"email":"` + ada.Email + `","password":"` + ada.Password + `"}`
	dupe := `{"email":"` + ada.Email + `","password":"wrong-password","password":"` + ada.Password + `"}`
	cases := map[string]apptest.Request{
		"second JSON value":       {Path: "/api/v1/auth/login", Body: []byte(login + ` {"x":1}`)},
		"trailing garbage":        {Path: "/api/v1/auth/login", Body: []byte(login + `garbage`)},
		"duplicate key":           {Path: "/api/v1/auth/login", Body: []byte(dupe)},
		"duplicate refresh_token": {Path: "/api/v1/auth/refresh", Body: []byte(`{"refresh_token":"x","refresh_token":"` + ada.Refresh + `"}`)},
		"nested duplicate key": {Method: http.MethodPatch, Path: "/api/v1/organizations/" + ada.OrgID.String(),
			Body: []byte(`{"settings":{"timezone":"UTC","timezone":"Europe/Berlin"}}`), Token: ada.Access},
		"nested too deeply": {Path: "/api/v1/auth/login", Body: []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000))},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			if r.Method == "" {
				r.Method = http.MethodPost
			}
			r.ContentType = "application/json"
			res, body := app.Do(t, r)
			problemOf(t, res, body, http.StatusBadRequest, "malformed_request")
		})
	}
	// Whitespace around the value is fine; the refresh token was not consumed above.
	res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", Body: []byte("\n " + login + " \n")})
	assert.Equal(t, http.StatusOK, res.StatusCode, "body: %s", body)
	authRefreshOK(t, app, ada.Refresh)
	org, err := app.Client.GetOrganizationWithResponse(t.Context(), ada.OrgID, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, org.StatusCode())
	assert.Equal(t, "UTC", org.JSON200.Settings.Timezone, "the ambiguous update changed nothing")
}

func TestAuth_RegisterDuplicateEmailIsConflict(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for _, email := range []string{ada.Email, strings.ToUpper(ada.Email), "  " + ada.Email + "\t"} {
		t.Run(email, func(t *testing.T) {
			res, err := app.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
				Email: email, Password: "another-password", Name: "Impostor", OrganizationName: "Shadow",
			})
			require.NoError(t, err)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "email_taken")
			require.NotNil(t, res.ApplicationproblemJSON409)
			assert.Equal(t, "email_taken", res.ApplicationproblemJSON409.Code)
		})
	}
	var users, orgs int
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&users))
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT count(*) FROM organizations").Scan(&orgs))
	assert.Equal(t, 1, users, "no shadow account")
	assert.Equal(t, 1, orgs, "the failed registrations left no organization behind")
	// The original password still works, the impostor's does not.
	assert.Equal(t, http.StatusOK, authLogin(t, app, ada.Email, ada.Password).StatusCode())
	assert.Equal(t, http.StatusUnauthorized, authLogin(t, app, ada.Email, "another-password").StatusCode())
}

// ---- body limits and media types, on every auth operation with a body ----

func TestAuth_OversizedBodyIsPayloadTooLarge(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.Register(t, "ada")
	for _, op := range authBodyOperations(u) {
		big := map[string]any{}
		for k, v := range op.body {
			big[k] = v
		}
		big["padding"] = strings.Repeat("x", 1<<20) // over 1 MiB in total
		raw := apptest.JSON(t, big)
		require.Greater(t, len(raw), 1<<20)
		for _, chunked := range []bool{false, true} {
			name := op.name + "/content-length"
			if chunked {
				name = op.name + "/chunked"
			}
			t.Run(name, func(t *testing.T) {
				res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: op.path, Body: raw, Chunked: chunked})
				problemOf(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")
			})
		}
	}
	// Still alive and unharmed.
	authMeOK(t, app, u.Access)
}

func TestAuth_NonJSONBodyIsUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	u := app.Register(t, "ada")
	for _, op := range authBodyOperations(u) {
		raw := apptest.JSON(t, op.body)
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml"} {
			t.Run(op.name+"/"+ct, func(t *testing.T) {
				res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: op.path, ContentType: ct, Body: raw})
				problemOf(t, res, body, http.StatusUnsupportedMediaType, "unsupported_media_type")
			})
		}
	}
	// A charset parameter on application/json is fine.
	res, body := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login",
		ContentType: "application/json; charset=utf-8", Body: apptest.JSON(t, map[string]any{"email": u.Email, "password": u.Password})})
	assert.Equal(t, http.StatusOK, res.StatusCode, "body: %s", body)
	// The refresh token sent as text was not consumed.
	authRefreshOK(t, app, u.Refresh)
}

// ---- login ----

func TestAuth_LoginStartsANewSession(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	res := authLogin(t, app, ada.Email, ada.Password)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	authNoStore(t, res.HTTPResponse.Header)
	out := res.JSON200
	require.NotNil(t, out)
	assert.Equal(t, ada.ID, out.User.Id)
	assert.Equal(t, ada.Email, out.User.Email)
	assert.Equal(t, ada.Name, out.User.Name)
	assert.Equal(t, client.LoginResultTokenType("bearer"), out.TokenType)
	assert.Equal(t, 900, out.ExpiresIn)
	assert.NotContains(t, string(res.Body), ada.Password)

	assert.NotEqual(t, authSessionID(t, app, ada.Access), authSessionID(t, app, out.AccessToken), "a fresh session per login")
	assert.NotEqual(t, ada.Refresh, out.RefreshToken)
	// Both sessions work side by side.
	assert.Equal(t, ada.ID, authMeOK(t, app, out.AccessToken).User.Id)
	assert.Equal(t, ada.ID, authMeOK(t, app, ada.Access).User.Id)
	authRefreshOK(t, app, out.RefreshToken)
	authRefreshOK(t, app, ada.Refresh)
}

func TestAuth_LoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")

	attempts := []struct{ name, email, password string }{
		{"unknown email", apptest.UniqueEmail("nobody"), ada.Password},
		{"wrong password", ada.Email, "wrong-password"},
		{"password in other case", ada.Email, strings.ToUpper(ada.Password)},
		{"password with trailing space", ada.Email, ada.Password + " "},
		{"password truncated", ada.Email, ada.Password[:len(ada.Password)-1]},
	}
	var first map[string]any
	var firstHeaders []string
	for _, a := range attempts {
		res := authLogin(t, app, a.email, a.password)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "invalid_credentials")
		require.NotNil(t, res.ApplicationproblemJSON401, a.name)
		assert.Equal(t, "invalid_credentials", res.ApplicationproblemJSON401.Code)
		assert.Nil(t, res.JSON200)
		body := withoutRequestID(t, res.Body)
		var names []string
		for k := range res.HTTPResponse.Header {
			if k != "Date" && k != "X-Request-Id" {
				names = append(names, k)
			}
		}
		if first == nil {
			first, firstHeaders = body, names
			continue
		}
		assert.Equal(t, first, body, "%s: same body as an unknown email", a.name)
		assert.ElementsMatch(t, firstHeaders, names, "%s: same header set", a.name)
	}
	// Failed attempts did not lock or change anything: the right password still works.
	authLoginOK(t, app, ada)
}

func TestAuth_LoginRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"missing password", map[string]any{"email": ada.Email}, "password"},
		{"missing email", map[string]any{"password": ada.Password}, "email"},
		{"empty email", map[string]any{"email": "", "password": ada.Password}, "email"},
		{"empty password", map[string]any{"email": ada.Email, "password": ""}, "password"},
		{"password of 129", map[string]any{"email": ada.Email, "password": strings.Repeat("p", 129)}, "password"},
		{"unknown field", map[string]any{"email": ada.Email, "password": ada.Password, "remember": true}, "remember"},
		{"operator object as email", map[string]any{"email": map[string]any{"$ne": nil}, "password": ada.Password}, "email"},
		{"array", []any{}, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := app.Client.LoginWithBodyWithResponse(t.Context(), "application/json", bytes.NewReader(apptest.JSON(t, tc.body)))
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, res.ApplicationproblemJSON400)
			assert.Contains(t, fieldsOf(p), tc.field)
		})
	}
}

// ---- refresh ----

func TestAuth_RefreshRotatesThePair(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{RefreshReuseLeeway: -1}) // no reuse leeway: the exchanged token is refused at once
	ada := app.Register(t, "ada")

	res := authRefresh(t, app, ada.Refresh)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	authNoStore(t, res.HTTPResponse.Header)
	pair := res.JSON200
	require.NotNil(t, pair)
	assert.Equal(t, client.TokenPairTokenType("bearer"), pair.TokenType)
	assert.Equal(t, 900, pair.ExpiresIn)
	assert.NotEqual(t, ada.Refresh, pair.RefreshToken, "a new refresh token")
	assert.NotEqual(t, ada.Access, pair.AccessToken, "a new access token")
	assert.Equal(t, authSessionID(t, app, ada.Access), authSessionID(t, app, pair.AccessToken), "same session")

	assert.Equal(t, ada.ID, authMeOK(t, app, pair.AccessToken).User.Id)

	// The exchanged refresh token stops working.
	authRefreshUnauthorized(t, app, ada.Refresh)
}

func TestAuth_RefreshReuseRevokesSession(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	other := authLoginOK(t, app, ada) // a second session of the same user

	p2 := authRefreshOK(t, app, ada.Refresh)
	p3 := authRefreshOK(t, app, p2.RefreshToken)
	authMeOK(t, app, p3.AccessToken)

	// Replaying RT1 (already exchanged) is taken as theft: 401, and the whole session ends.
	authRefreshUnauthorized(t, app, ada.Refresh)

	authRefreshUnauthorized(t, app, p3.RefreshToken) // the newest refresh token
	authRefreshUnauthorized(t, app, p2.RefreshToken)
	authMeUnauthorized(t, app, p3.AccessToken) // and every access token of the session
	authMeUnauthorized(t, app, p2.AccessToken)
	authMeUnauthorized(t, app, ada.Access)

	var reason string
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT revoke_reason FROM sessions WHERE id = $1",
		authSessionID(t, app, ada.Access)).Scan(&reason))
	assert.Equal(t, "refresh_token_reuse", reason)

	// The user's other session is not affected.
	authMeOK(t, app, other.AccessToken)
	authRefreshOK(t, app, other.RefreshToken)
}

func TestAuth_ConcurrentRefreshYieldsOneWinnerAndNoSecondFamily(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{RefreshReuseLeeway: -1}) // no reuse leeway (REFRESH_REUSE_LEEWAY_SECONDS=0): the racers are reuses
	ada := app.Register(t, "ada")
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []client.TokenPair
		losers  int
	)
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := app.Client.RefreshTokensWithResponse(t.Context(), client.RefreshTokensJSONRequestBody{RefreshToken: ada.Refresh})
			if !assert.NoError(t, err) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch res.StatusCode() {
			case http.StatusOK:
				winners = append(winners, *res.JSON200)
			case http.StatusUnauthorized:
				losers++
			default:
				t.Errorf("status %d: %s", res.StatusCode(), res.Body)
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Len(t, winners, 1, "exactly one exchange of one refresh token succeeds")
	assert.Equal(t, n-1, losers)
	// The others were reuses: the session, and with it the winner's new pair, is revoked.
	authRefreshUnauthorized(t, app, winners[0].RefreshToken)
	authMeUnauthorized(t, app, winners[0].AccessToken)
}

func TestAuth_RefreshRejectsAccessTokensAndGarbage(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	foreign, err := auth.NewTokens(auth.TokenConfig{Secret: strings.Repeat("k", 40), AccessTTL: time.Minute, RefreshTTL: time.Hour})
	require.NoError(t, err)
	forged, _, err := foreign.Issue(auth.KindRefresh, ada.ID, authSessionID(t, app, ada.Access))
	require.NoError(t, err)
	unknownSession, _, err := app.Tokens.Issue(auth.KindRefresh, ada.ID, uuid.New())
	require.NoError(t, err)
	otherUsersSession, _, err := app.Tokens.Issue(auth.KindRefresh, ada.ID, authSessionID(t, app, bob.Access))
	require.NoError(t, err)
	parts := strings.Split(ada.Refresh, ".")

	for name, tok := range map[string]string{
		"access token":                   ada.Access,
		"garbage":                        "garbage",
		"three dots":                     "a.b.c",
		"signature stripped":             parts[0] + "." + parts[1] + ".",
		"signed with another secret":     forged,
		"unknown session":                unknownSession,
		"claims another user's session":  otherUsersSession,
		"refresh token with padding":     ada.Refresh + "=",
		"refresh token with surrounding": " " + ada.Refresh + " ",
	} {
		t.Run(name, func(t *testing.T) {
			authRefreshUnauthorized(t, app, tok)
		})
	}
	// None of that revoked or rotated anybody's session.
	authRefreshOK(t, app, ada.Refresh)
	authRefreshOK(t, app, bob.Refresh)

	// The body itself is validated.
	for _, body := range []string{`{}`, `{"refresh_token": ""}`, `{"refresh_token": 1}`, `{"refresh_token": "x", "user_id": "y"}`} {
		res, b := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/refresh", Body: []byte(body)})
		problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
	}
	res, b := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/refresh",
		Body: apptest.JSON(t, map[string]string{"refresh_token": strings.Repeat("a", 4097)})})
	problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
}

func TestAuth_ExpiredTokensAreUnauthorized(t *testing.T) {
	t.Parallel()
	clock := &authClock{}
	app := apptest.NewWithOptions(t, apptest.Options{AccessTTL: time.Minute, RefreshTTL: time.Hour, Now: clock.Now})
	ada := app.Register(t, "ada")
	authMeOK(t, app, ada.Access)

	// Past the access lifetime (plus the accepted clock skew) the access token is dead, but the
	// refresh token still gets a new pair.
	clock.Advance(2 * time.Minute)
	authMeUnauthorized(t, app, ada.Access)
	pair := authRefreshOK(t, app, ada.Refresh)
	assert.Equal(t, 60, pair.ExpiresIn)
	authMeOK(t, app, pair.AccessToken)

	// Past the refresh lifetime nothing of the session works.
	clock.Advance(2 * time.Hour)
	authRefreshUnauthorized(t, app, pair.RefreshToken)
	authMeUnauthorized(t, app, pair.AccessToken)

	// An expired refresh token no longer verifies, so it cannot log out either; logging in again works.
	res := authLogout(t, app, pair.RefreshToken)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "unauthorized")
	fresh := authLoginOK(t, app, ada)
	authMeOK(t, app, fresh.AccessToken)
}

// ---- logout ----

func TestAuth_LogoutEndsTheSessionAtOnce(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	other := authLoginOK(t, app, ada)

	res := authLogout(t, app, ada.Refresh)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Empty(t, res.Body)
	authNoStore(t, res.HTTPResponse.Header)

	authMeUnauthorized(t, app, ada.Access)       // the session's access token, still unexpired
	authRefreshUnauthorized(t, app, ada.Refresh) // and its refresh token

	// Logging out of an ended session succeeds again.
	res = authLogout(t, app, ada.Refresh)
	assert.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)

	// The user's other session keeps working.
	authMeOK(t, app, other.AccessToken)
	pair := authRefreshOK(t, app, other.RefreshToken)
	authMeOK(t, app, pair.AccessToken)

	var reason string
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT revoke_reason FROM sessions WHERE id = $1",
		authSessionID(t, app, ada.Access)).Scan(&reason))
	assert.Equal(t, "logout", reason)
}

func TestAuth_LogoutWithARotatedRefreshTokenEndsTheSession(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	pair := authRefreshOK(t, app, ada.Refresh)
	res := authLogout(t, app, ada.Refresh) // an older, still verifying refresh token of the session
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	authMeUnauthorized(t, app, pair.AccessToken)
	authRefreshUnauthorized(t, app, pair.RefreshToken)
}

func TestAuth_LogoutRejectsGarbageAndAccessTokens(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for name, tok := range map[string]string{"garbage": "garbage", "access token": ada.Access, "a.b.c": "a.b.c"} {
		t.Run(name, func(t *testing.T) {
			res := authLogout(t, app, tok)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "unauthorized")
			require.NotNil(t, res.ApplicationproblemJSON401)
			assert.Equal(t, "unauthorized", res.ApplicationproblemJSON401.Code)
		})
	}
	for _, body := range []string{`{}`, `{"refresh_token": ""}`, `{"refresh_token": "x", "all": true}`} {
		res, b := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/logout", Body: []byte(body)})
		problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
	}
	// The session is intact.
	authMeOK(t, app, ada.Access)
	authRefreshOK(t, app, ada.Refresh)
}

// ---- me and the bearer scheme ----

func TestAuth_MeReturnsCallerAndEveryMembership(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	app.AddMember(t, bob, bob.OrgID, ada, client.RoleManager)

	res := authMe(t, app, ada.Access)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	authNoStore(t, res.HTTPResponse.Header)
	me := res.JSON200
	require.NotNil(t, me)
	assert.Equal(t, ada.ID, me.User.Id)
	assert.Equal(t, ada.Email, me.User.Email)
	assert.Equal(t, ada.Name, me.User.Name)
	roles := map[uuid.UUID]client.Role{}
	for _, m := range me.Memberships {
		roles[m.OrganizationId] = m.Role
	}
	assert.Equal(t, map[uuid.UUID]client.Role{ada.OrgID: client.RoleOwner, bob.OrgID: client.RoleManager}, roles)
	assert.NotContains(t, string(res.Body), "password")

	// An organization header is irrelevant on /auth/me.
	res2, err := app.Client.GetMeWithResponse(t.Context(), ada.Auth(), apptest.Header("X-Organization-Id", "garbage"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res2.StatusCode(), "body: %s", res2.Body)
}

func TestAuth_MeWithoutOrWithBadCredentialsIsUnauthorized(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")

	t.Run("no Authorization header", func(t *testing.T) {
		res, err := app.Client.GetMeWithResponse(t.Context())
		require.NoError(t, err)
		authUnauthorized(t, res.HTTPResponse, res.Body, false)
		require.NotNil(t, res.ApplicationproblemJSON401)
		assert.Equal(t, "unauthorized", res.ApplicationproblemJSON401.Code)
	})
	t.Run("token only in the query string", func(t *testing.T) {
		res, body := app.Do(t, apptest.Request{Path: "/api/v1/auth/me?access_token=" + ada.Access})
		authUnauthorized(t, res, body, false)
	})

	bad := map[string][]string{
		"Bearer alone":             {"Bearer"},
		"Bearer and a space":       {"Bearer "},
		"Basic scheme":             {"Basic x"},
		"Basic with credentials":   {"Basic YWRhOnBhc3N3b3Jk"},
		"Token scheme":             {"Token " + ada.Access},
		"token without scheme":     {ada.Access},
		"garbage token":            {"Bearer garbage"},
		"refresh token as bearer":  {"Bearer " + ada.Refresh},
		"token with trailing junk": {"Bearer " + ada.Access + " junk"},
		"two Authorization lines":  {"Bearer " + ada.Access, "Bearer " + ada.Access},
		"two tokens in one line":   {"Bearer " + ada.Access + ", Bearer " + ada.Access},
	}
	for name, values := range bad {
		t.Run(name, func(t *testing.T) {
			res, body := app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Header: http.Header{"Authorization": values}})
			authUnauthorized(t, res, body, true)
		})
	}
}

func TestAuth_BearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for _, v := range []string{"bearer " + ada.Access, "BEARER " + ada.Access, "Bearer  " + ada.Access} {
		res, body := app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Header: http.Header{"Authorization": {v}}})
		assert.Equal(t, http.StatusOK, res.StatusCode, "%q: %s", v[:8], body)
	}
}

// ---- cross-cutting: request ids, headers, unknown routes ----

func TestAuth_RequestIDIsEchoedOrMade(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")

	res, err := app.Client.GetMeWithResponse(t.Context(), ada.Auth(), apptest.Header("X-Request-Id", "trace-42.abc:1"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	assert.Equal(t, "trace-42.abc:1", res.HTTPResponse.Header.Get("X-Request-Id"))

	// On a problem the body names the same id.
	res, err = app.Client.GetMeWithResponse(t.Context(), apptest.Header("X-Request-Id", "trace-43"))
	require.NoError(t, err)
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, "trace-43", *p.RequestId)

	// An id that is not a plain token is replaced, not reflected.
	for _, bad := range []string{"<script>alert(1)</script>", strings.Repeat("a", 129), "has space"} {
		res, err = app.Client.GetMeWithResponse(t.Context(), ada.Auth(), apptest.Header("X-Request-Id", bad))
		require.NoError(t, err)
		got := res.HTTPResponse.Header.Get("X-Request-Id")
		assert.NotEmpty(t, got)
		assert.NotEqual(t, bad, got)
	}

	// Without one, every answer gets its own.
	a, b := authMe(t, app, ada.Access), authMe(t, app, ada.Access)
	assert.NotEmpty(t, a.HTTPResponse.Header.Get("X-Request-Id"))
	assert.NotEqual(t, a.HTTPResponse.Header.Get("X-Request-Id"), b.HTTPResponse.Header.Get("X-Request-Id"))
}

func TestAuth_UnknownRouteIsNotFoundProblem(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for _, path := range []string{"/api/v1/nope", "/nope", "/api/v2/auth/me", "/api/v1/auth/me/extra", "/debug/pprof/", "/.env"} {
		for _, withToken := range []bool{false, true} {
			r := apptest.Request{Path: path}
			if withToken {
				r.Token = ada.Access
			}
			res, body := app.Do(t, r)
			problemOf(t, res, body, http.StatusNotFound, "not_found")
		}
	}
}

func TestAuth_WrongMethodIsMethodNotAllowedProblem(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	cases := []struct{ method, path, allow string }{
		{http.MethodDelete, "/api/v1/auth/me", http.MethodGet},
		{http.MethodPost, "/api/v1/auth/me", http.MethodGet},
		{http.MethodGet, "/api/v1/auth/login", http.MethodPost},
		{http.MethodPut, "/api/v1/auth/refresh", http.MethodPost},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, body := app.Do(t, apptest.Request{Method: tc.method, Path: tc.path, Token: ada.Access})
			problemOf(t, res, body, http.StatusMethodNotAllowed, "method_not_allowed")
			assert.Contains(t, res.Header.Get("Allow"), tc.allow)
		})
	}
}

func TestAuth_DatabaseDownIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	app.Pool.Close() // the service's pool: every query now fails as unavailable

	check := func(t *testing.T, res *http.Response, body []byte) {
		t.Helper()
		problemOf(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
		assert.NotEmpty(t, res.Header.Get("Retry-After"))
		assert.NotContains(t, string(body), "pool")
	}
	reg, err := app.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
		Email: apptest.UniqueEmail("down"), Password: "password-123", Name: "D", OrganizationName: "D",
	})
	require.NoError(t, err)
	check(t, reg.HTTPResponse, reg.Body)
	login := authLogin(t, app, ada.Email, ada.Password)
	check(t, login.HTTPResponse, login.Body)
	ref := authRefresh(t, app, ada.Refresh)
	check(t, ref.HTTPResponse, ref.Body)
	out := authLogout(t, app, ada.Refresh)
	check(t, out.HTTPResponse, out.Body)
	me := authMe(t, app, ada.Access)
	check(t, me.HTTPResponse, me.Body)
}
