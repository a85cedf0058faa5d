package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"

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
		var rd *bytes.Reader
		if body != "" {
			rd = bytes.NewReader([]byte(body))
		} else {
			rd = bytes.NewReader(nil)
		}
		req, err := http.NewRequestWithContext(context.Background(), method, app.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+ada.Access)
		req.Header.Set("X-Organization-Id", ada.OrgID.String())
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := app.HTTP.Do(req)
		require.NoError(t, err)
		return res, readAll(t, res)
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
