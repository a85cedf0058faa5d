package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
)

// Every operation that takes a body refuses one over 1 MiB (413) and one that is not JSON (415)
// with problem+json, whoever the caller is, and changes nothing.
func TestTransport_EveryBodyOperationRefusesOversizeAndNonJSONBodies(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, ada := tm.App, tm.Owner
	seed := newTenancySeed(t, tm) // what the path parameters name
	before := seed.state(t)
	for _, o := range tenancyOps(t) {
		if o.op.RequestBody == nil || o.op.RequestBody.Value.Content.Get("application/json") == nil {
			continue // no body, or the CSV import, whose limits csv_test.go checks
		}
		// The spec's example body, and the same padded past the limit.
		r := tenancyRequest(t, o, tenancyCall{params: seed.params(), validBody: true, token: ada.Access,
			header: http.Header{"X-Organization-Id": {ada.OrgID.String()}}})
		example := r.Body
		var fields map[string]any
		require.NoError(t, json.Unmarshal(example, &fields), "%s: the example is an object", o)
		fields["padding"] = strings.Repeat("x", 1<<20)
		padded := apptest.JSON(t, fields)

		for _, tc := range []struct {
			body        []byte
			contentType string
			status      int
			code        string
		}{
			{bytes.Repeat([]byte(" "), 2<<20), "application/json", http.StatusRequestEntityTooLarge, "payload_too_large"},
			{padded, "application/json", http.StatusRequestEntityTooLarge, "payload_too_large"},
			{[]byte("name=x"), "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{example, "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{example, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		} {
			r.Body, r.ContentType = tc.body, tc.contentType
			res, body := app.Do(t, r)
			problemOf(t, res, body, tc.status, tc.code)
			seed.tellsNothing(t, body)
		}
	}
	assert.Equal(t, before, seed.state(t), "no refused body changed the organization")
}

// The probes answer 200 while the process and its database are up.
func TestTransport_ProbesAnswerWhileUp(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, body := app.Do(t, apptest.Request{Path: path})
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.JSONEq(t, `{"status":"ok"}`, string(body))
	}
	// Liveness does not depend on the database; readiness does.
	app.Pool.Close()
	res, _ := app.Do(t, apptest.Request{Path: "/healthz"})
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, body := app.Do(t, apptest.Request{Path: "/readyz"})
	problemOf(t, res, body, http.StatusServiceUnavailable, "service_unavailable")
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
}
