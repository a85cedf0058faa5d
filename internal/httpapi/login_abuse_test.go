package httpapi_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
)

// abuseClientFrom is a generated client whose connections leave from the loopback address src
// (127.0.0.1, 127.0.0.2, ...): the server sees a different socket peer per source address.
func abuseClientFrom(t *testing.T, app *apptest.App, src string) *client.ClientWithResponses {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := client.NewClientWithResponses(app.URL, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 30 * time.Second}))
	require.NoError(t, err)
	return c
}

func abuseLogin(t *testing.T, c *client.ClientWithResponses, email, password string, edit ...client.RequestEditorFn) *client.LoginResponse {
	t.Helper()
	res, err := c.LoginWithResponse(t.Context(), client.LoginRequest{Email: email, Password: password}, edit...)
	require.NoError(t, err)
	return res
}

// abuseLocked asserts a 429 too_many_attempts with a positive Retry-After.
func abuseLocked(t *testing.T, res *client.LoginResponse, what string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode(), "%s: %s", what, res.Body)
	require.NotNil(t, res.ApplicationproblemJSON429)
	assert.Equal(t, "too_many_attempts", res.ApplicationproblemJSON429.Code)
	wait, err := strconv.Atoi(res.HTTPResponse.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.Positive(t, wait)
}

// An attacker's failures from one address lock that (account, address) pair only: the victim,
// logging in from another address, is never locked out by them (issue 8, item 8).
func TestLoginAbuse_AttackerCannotLockTheVictimOutFromAnotherAddress(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	attacker := abuseClientFrom(t, app, "127.0.0.2")
	victim := abuseClientFrom(t, app, "127.0.0.3")

	// Ten failures lock the pair; from then on even the right password is refused from there, so
	// the lock cannot confirm a guess. Fifteen more keep it locked (the old denial of service).
	for i := 0; i < 10; i++ {
		res := abuseLogin(t, attacker, ada.Email, "wrong-password")
		require.Equal(t, http.StatusUnauthorized, res.StatusCode(), "attempt %d: %s", i+1, res.Body)
	}
	abuseLocked(t, abuseLogin(t, attacker, ada.Email, ada.Password), "the attacker's address is locked for ada")
	for i := 0; i < 15; i++ {
		abuseLocked(t, abuseLogin(t, attacker, ada.Email, "wrong-again"), "still locked")
	}

	// The victim, from another address, logs in, again and again.
	for i := 0; i < 3; i++ {
		res := abuseLogin(t, victim, ada.Email, ada.Password)
		require.Equal(t, http.StatusOK, res.StatusCode(), "victim login %d: %s", i+1, res.Body)
	}
	// A mistake of the victim's own counts for the victim's address only.
	res := abuseLogin(t, victim, ada.Email, "typo-password")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode(), string(res.Body))
	abuseLocked(t, abuseLogin(t, attacker, ada.Email, ada.Password), "the attacker's address is still locked for ada")
}

// Credential stuffing: one address trying many accounts is stopped by the per-address bound
// (LOGIN_MAX_FAILURES_PER_ADDRESS, default 100 in 15 minutes), even on a never-tried account with
// the right password; other addresses are not affected.
func TestLoginAbuse_CredentialStuffingLocksTheAddress(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	stuffer := abuseClientFrom(t, app, "127.0.0.4")
	other := abuseClientFrom(t, app, "127.0.0.5")

	const bound = 100 // the default
	// Concurrency 4 keeps it quick; the bound is exact because failures are counted in order.
	sem := make(chan struct{}, 4)
	errs := make(chan error, bound)
	for i := 0; i < bound; i++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			res, err := stuffer.LoginWithResponse(context.WithoutCancel(t.Context()),
				client.LoginRequest{Email: fmt.Sprintf("victim-%d@stuffing.test", i), Password: "leaked-password"})
			switch {
			case err != nil:
				errs <- err
			case res.StatusCode() != http.StatusUnauthorized:
				errs <- fmt.Errorf("attempt %d: status %d: %s", i, res.StatusCode(), res.Body)
			default:
				errs <- nil
			}
		}()
	}
	for i := 0; i < bound; i++ {
		require.NoError(t, <-errs)
	}
	abuseLocked(t, abuseLogin(t, stuffer, ada.Email, ada.Password), "the address is locked for every account")
	abuseLocked(t, abuseLogin(t, stuffer, "victim-x@stuffing.test", "leaked-password"), "and for unknown emails")

	res := abuseLogin(t, other, ada.Email, ada.Password)
	assert.Equal(t, http.StatusOK, res.StatusCode(), "another address logs in: %s", res.Body)
	res = abuseLogin(t, other, "victim-1@stuffing.test", "leaked-password")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode(), "another address is not locked: %s", res.Body)
}

// Without TRUSTED_PROXIES the client address is the socket peer: X-Forwarded-For and X-Real-IP,
// rotated per request, change nothing (security catalogue AUTH-07).
func TestLoginAbuse_ForwardedHeadersAreIgnoredWithoutTrustedProxies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	for i := 0; i < 10; i++ {
		xff := fmt.Sprintf("203.0.113.%d", i+1)
		res := abuseLogin(t, app.Client, ada.Email, "wrong-password",
			apptest.Header("X-Forwarded-For", xff), apptest.Header("X-Real-IP", xff))
		require.Equal(t, http.StatusUnauthorized, res.StatusCode(), "attempt %d: %s", i+1, res.Body)
	}
	abuseLocked(t, abuseLogin(t, app.Client, ada.Email, ada.Password,
		apptest.Header("X-Forwarded-For", "198.51.100.77"), apptest.Header("X-Real-IP", "198.51.100.77")),
		"the socket peer is locked whatever the headers say")
}

// Behind trusted proxies (TRUSTED_PROXIES) the client address is the right-most X-Forwarded-For
// entry that is not a trusted proxy: what the proxy appended, not what the client wrote.
func TestLoginAbuse_TrustedProxyNamesTheClient(t *testing.T) {
	t.Parallel()
	_, loopback, err := net.ParseCIDR("127.0.0.0/8") // the test client plays the proxy
	require.NoError(t, err)
	app := apptest.NewWithOptions(t, apptest.Options{TrustedProxies: []*net.IPNet{loopback}})
	ada := app.Register(t, "ada")
	from := func(xff string) client.RequestEditorFn { return apptest.Header("X-Forwarded-For", xff) }

	// The attacker at 203.0.113.9 writes a different left-most entry each time: the proxy appended
	// the real address, and that is what counts.
	for i := 0; i < 10; i++ {
		res := abuseLogin(t, app.Client, ada.Email, "wrong-password", from(fmt.Sprintf("10.9.8.%d, 203.0.113.9", i)))
		require.Equal(t, http.StatusUnauthorized, res.StatusCode(), "attempt %d: %s", i+1, res.Body)
	}
	abuseLocked(t, abuseLogin(t, app.Client, ada.Email, ada.Password, from("203.0.113.9")), "the attacker's address")
	abuseLocked(t, abuseLogin(t, app.Client, ada.Email, ada.Password, from("198.51.100.1, 203.0.113.9, 127.0.0.1")),
		"trusted hops on the right are skipped")

	// Ada, from her own address, and the proxy itself (no header) are not locked.
	res := abuseLogin(t, app.Client, ada.Email, ada.Password, from("198.51.100.7"))
	assert.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	res = abuseLogin(t, app.Client, ada.Email, ada.Password)
	assert.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
}
