package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
)

// The body limit is 1 MiB as documented: 1,048,576 bytes are read and answered on their merits,
// one byte more is 413 — whether the length is announced (Content-Length) or not (chunked).
func TestEdge_BodyLimitIsOneMebibyte(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	login := []byte(`{"email":"nobody@example.com","password":"wrong-password"}`)
	padded := func(size int) []byte { // the same login, padded with whitespace to size bytes
		return append(bytes.Repeat([]byte(" "), size-len(login)), login...)
	}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%t", chunked), func(t *testing.T) {
			res, body := sendBody(t, app, padded(1<<20), chunked)
			problemOf(t, res, body, http.StatusUnauthorized, "invalid_credentials")

			res, body = sendBody(t, app, padded(1<<20+1), chunked)
			problemOf(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")
		})
	}
}

func sendBody(t *testing.T, app *apptest.App, body []byte, chunked bool) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // not a *bytes.Reader: the length is unknown, the body goes chunked
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/api/v1/auth/login", rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := app.HTTP.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, raw
}

// A problem lists at most 20 field errors and counts the rest; a field name taken from the
// request (an unknown key) is clipped, never echoed back whole.
func TestEdge_ValidationErrorsAreCappedAndCounted(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	// 100 members, the most an object may have: a 5,000-character unknown key and 99 more; email
	// and password are missing. 102 errors in all.
	var b strings.Builder
	b.WriteString(`{"` + strings.Repeat("x", 5000) + `":1`)
	for i := range 99 {
		fmt.Fprintf(&b, `,"unknown_%02d":1`, i)
	}
	b.WriteString("}")
	body := b.String()

	res, raw := edgeSend(t, app.HTTP, http.MethodPost, app.URL+"/api/v1/auth/login", []byte(body), nil)
	p := problemOf(t, res, raw, http.StatusBadRequest, "validation_failed")
	require.NotNil(t, p.Errors)
	assert.Len(t, *p.Errors, 20)
	require.NotNil(t, p.ErrorsOmitted, "body: %s", raw)
	assert.Equal(t, 102-20, *p.ErrorsOmitted)
	for _, e := range *p.Errors {
		assert.LessOrEqual(t, len(e.Field), 210, "a field name is clipped")
	}
	assert.Less(t, len(raw), 6<<10, "the answer stays small: %d bytes", len(raw))

	// Below the cap nothing is omitted.
	res, raw = edgeSend(t, app.HTTP, http.MethodPost, app.URL+"/api/v1/auth/login", []byte(`{"email":"a@example.com","password":"p","x":1}`), nil)
	p = problemOf(t, res, raw, http.StatusBadRequest, "validation_failed")
	assert.Equal(t, []string{"x"}, fieldsOf(p))
	assert.Nil(t, p.ErrorsOmitted)
}

// An object of more than 100 members, or a body of more than 10,000 values, is refused by the
// decoder itself (400 validation_failed naming the object), before validation builds anything.
func TestEdge_BodyShapeIsBounded(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	members := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"m%d":1`, i)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	values := "[" + strings.TrimSuffix(strings.Repeat("0,", 10_000), ",") + "]"
	cases := []struct {
		name, method, path, body, field, message string
	}{
		{"top-level object", http.MethodPost, "/api/v1/auth/login", members(101), "body", "must not have more than 100 members"},
		{"nested object", http.MethodPatch, "/api/v1/organizations/" + ada.OrgID.String(),
			`{"settings":` + members(101) + `}`, "settings", "must not have more than 100 members"},
		{"values in the body", http.MethodPost, "/api/v1/auth/login", `{"email":` + values + `}`, "body", "must not hold more than 10000 values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, raw := edgeSend(t, app.HTTP, c.method, app.URL+c.path, []byte(c.body),
				http.Header{"Authorization": {"Bearer " + ada.Access}})
			p := problemOf(t, res, raw, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, p.Errors)
			require.Len(t, *p.Errors, 1)
			assert.Equal(t, c.field, (*p.Errors)[0].Field)
			assert.Equal(t, c.message, (*p.Errors)[0].Message)
		})
	}
	// At the bound the validator runs and reports what it finds (capped).
	res, raw := edgeSend(t, app.HTTP, http.MethodPost, app.URL+"/api/v1/auth/login", []byte(members(100)), nil)
	p := problemOf(t, res, raw, http.StatusBadRequest, "validation_failed")
	assert.Len(t, *p.Errors, 20)
}

// A request that runs out of time — here a PATCH waiting for a deal row another transaction holds
// locked — is answered 503 timeout with Retry-After (never a 500, never an empty reply), and the
// service answers normally once the lock is gone.
func TestEdge_RequestTimeoutAnswers503Timeout(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Locked deal", "100.00")

	// The same service on the same database, with a short REQUEST_TIMEOUT.
	h, _, err := apptest.NewHandler(app.Pool, apptest.Options{RequestTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	tx, err := app.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(t.Context(), "SELECT 1 FROM deals WHERE organization_id = $1 AND id = $2 FOR UPDATE", ada.OrgID, deal.Id)
	require.NoError(t, err)

	patch := []byte(`{"title":"Renamed"}`)
	auth := http.Header{"Authorization": {"Bearer " + ada.Access}, "X-Organization-Id": {ada.OrgID.String()}}
	res, raw := edgeSend(t, app.HTTP, http.MethodPatch, srv.URL+"/api/v1/deals/"+deal.Id.String(), patch, auth)
	problemOf(t, res, raw, http.StatusServiceUnavailable, "timeout")
	assert.Equal(t, "5", res.Header.Get("Retry-After"))

	require.NoError(t, tx.Rollback(t.Context()))
	res, raw = edgeSend(t, app.HTTP, http.MethodPatch, srv.URL+"/api/v1/deals/"+deal.Id.String(), patch, auth)
	require.Equal(t, http.StatusOK, res.StatusCode, "body: %s", raw)
	var title string
	require.NoError(t, app.Pool.QueryRow(t.Context(), "SELECT title FROM deals WHERE id = $1", deal.Id).Scan(&title))
	assert.Equal(t, "Renamed", title)
}
