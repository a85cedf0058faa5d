package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
)

// Ten wrong passwords lock the account: the eleventh attempt — even with the right password —
// answers 429 too_many_attempts with Retry-After; an unknown email is throttled alike (the lock
// reveals nobody), and other accounts are not affected.
func TestThrottle_BruteForceLocksTheAccount(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")

	for _, email := range []string{ada.Email, apptest.UniqueEmail("nobody")} {
		for i := 0; i < auth.ThrottleMaxFailures; i++ {
			res, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: "wrong-password"})
			require.NoError(t, err)
			require.Equal(t, http.StatusUnauthorized, res.StatusCode(), "attempt %d: %s", i+1, res.Body)
			assert.Equal(t, "invalid_credentials", res.ApplicationproblemJSON401.Code)
		}
		res, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: ada.Password})
		require.NoError(t, err)
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusTooManyRequests, "too_many_attempts")
		assert.Equal(t, "too_many_attempts", p.Code)
		wait, err := strconv.Atoi(res.HTTPResponse.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.InDelta(t, auth.ThrottleLockBase.Seconds(), wait, 2)
	}

	// Another account logs in as usual, and a success clears its failures.
	for i := 0; i < auth.ThrottleMaxFailures-1; i++ {
		res, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: bob.Email, Password: "nope-nope"})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, res.StatusCode())
	}
	ok, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: bob.Email, Password: bob.Password})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, ok.StatusCode(), string(ok.Body))
	again, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: bob.Email, Password: "nope-nope"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, again.StatusCode(), "the count started over")
	var failures int32
	require.NoError(t, app.Pool.QueryRow(ctx, "SELECT failures FROM login_throttle WHERE email = $1", bob.Email).Scan(&failures))
	assert.Equal(t, int32(1), failures)

	// The lock is kept in the database, shared by every replica: the lock ends when its time does.
	_, err = app.Pool.Exec(ctx, "UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE email = $1", ada.Email)
	require.NoError(t, err)
	res, err := app.Client.LoginWithResponse(ctx, client.LoginRequest{Email: ada.Email, Password: ada.Password})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
}
