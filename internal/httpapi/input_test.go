package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
)

// U+0000 cannot be stored in PostgreSQL text: anywhere a client can put it — body strings and
// keys, query parameters — the answer is a 400, never a 500.
func TestInput_NULCharactersAreRefusedNotFatal(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	send := func(method, path, body string) (*http.Response, []byte) {
		t.Helper()
		r := apptest.Request{Method: method, Path: path, Token: ada.Access, Org: ada.OrgID}
		if body != "" {
			r.Body = []byte(body)
		}
		return app.Do(t, r)
	}

	for _, body := range []string{`{"name":"a\u0000b"}`, `{"name":"ok","notes":"x\u0000"}`, `{"name\u0000":"x"}`} {
		res, b := send(http.MethodPost, "/api/v1/contacts", body)
		problemOf(t, res, b, http.StatusBadRequest, "malformed_request")
	}
	res, b := send(http.MethodPost, "/api/v1/auth/login", `{"email":"x\u0000@example.com","password":"p"}`)
	problemOf(t, res, b, http.StatusBadRequest, "malformed_request")

	for _, q := range []string{"/api/v1/contacts?search=", "/api/v1/deals?search=", "/api/v1/contacts?order_by="} {
		res, b := send(http.MethodGet, q+url.QueryEscape("a\x00b"), "")
		require.Equal(t, http.StatusBadRequest, res.StatusCode, "%s: %s", q, b)
		problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
	}
}

// Every id in a path is a UUID: on every operation a malformed one answers 400 validation_failed
// naming that parameter alone, and changes nothing.
func TestInput_EveryMalformedPathIDIsAValidationError(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	seed := newTenancySeed(t, tm) // the other path parameters name real objects
	before := seed.state(t)
	checked := 0
	for _, o := range tenancyOps(t) {
		for _, name := range o.pathParams() {
			for _, bad := range []string{"not-a-uuid", "1234", uuid.NewString() + "0"} {
				params := seed.params()
				params[name] = bad
				c := tenancyCall{params: params, validBody: true, token: tm.Owner.Access}
				if o.orgHeader {
					c.header = http.Header{"X-Organization-Id": {tm.Org.String()}}
				}
				res, body := tm.App.Do(t, tenancyRequest(t, o, c))
				p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
				assert.Equal(t, []string{name}, fieldsOf(p), "%s with %s=%q", o, name, bad)
			}
			checked++
		}
	}
	assert.Positive(t, checked, "the walk saw path parameters")
	assert.Equal(t, before, seed.state(t), "no refused request changed the organization")
}
