package telemetry_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/require"
)

// call sends a JSON request and decodes the answer into out (when not nil); it returns the status.
func call(t testing.TB, method, url string, body any, out any, headers ...string) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode
}

// register makes a user and their organization; it returns the access token and the organization.
func register(t testing.TB, base string) (string, uuid.UUID) {
	t.Helper()
	var out struct {
		AccessToken  string `json:"access_token"`
		Organization struct {
			ID uuid.UUID `json:"id"`
		} `json:"organization"`
	}
	status := call(t, http.MethodPost, base+"/api/v1/auth/register", map[string]string{
		"email": apptest.UniqueEmail("telemetry"), "password": "correct-horse-battery", "name": "Tess",
		"organization_name": "Telemetry Ltd",
	}, &out)
	require.Equal(t, http.StatusCreated, status)
	require.NotEmpty(t, out.AccessToken)
	require.NotEqual(t, uuid.Nil, out.Organization.ID)
	return out.AccessToken, out.Organization.ID
}
