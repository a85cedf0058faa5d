package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apptest"
)

// Every operation that takes a body refuses one over 1 MiB (413) and one that is not JSON (415)
// with problem+json, whoever the caller is.
func TestTransport_EveryBodyOperationRefusesOversizeAndNonJSONBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	spec, err := api.GetSpec()
	require.NoError(t, err)
	param := regexp.MustCompile(`\{[^}]+\}`)
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			url := app.URL + param.ReplaceAllStringFunc(path, func(string) string { return ada.OrgID.String() })
			for _, tc := range []struct {
				body        []byte
				contentType string
				status      int
				code        string
			}{
				{bytes.Repeat([]byte(" "), 2<<20), "application/json", http.StatusRequestEntityTooLarge, "payload_too_large"},
				{[]byte("name=x"), "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			} {
				req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader(tc.body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", tc.contentType)
				req.Header.Set("Authorization", "Bearer "+ada.Access)
				req.Header.Set("X-Organization-Id", ada.OrgID.String())
				res, err := app.HTTP.Do(req)
				require.NoError(t, err)
				body := readAll(t, res)
				problemOf(t, res, body, tc.status, tc.code)
			}
		}
	}
}

// The probes answer 200 while the process and its database are up.
func TestTransport_ProbesAnswerWhileUp(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := app.HTTP.Get(app.URL + path)
		require.NoError(t, err)
		body := readAll(t, res)
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.JSONEq(t, `{"status":"ok"}`, string(body))
	}
	// Liveness does not depend on the database; readiness does.
	app.Pool.Close()
	res, err := app.HTTP.Get(app.URL + "/healthz")
	require.NoError(t, err)
	_ = readAll(t, res)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, err = app.HTTP.Get(app.URL + "/readyz")
	require.NoError(t, err)
	problemOf(t, res, readAll(t, res), http.StatusServiceUnavailable, "service_unavailable")
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return b
}
