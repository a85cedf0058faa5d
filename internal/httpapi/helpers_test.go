package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
)

// Helpers shared by the integration tests of this package.

// problemOf asserts that the answer is an RFC 9457 problem+json with status and code, carrying the
// request id in header and body, and returns it.
func problemOf(t *testing.T, res *http.Response, body []byte, status int, code string) client.Problem {
	t.Helper()
	require.NotNil(t, res)
	require.Equal(t, status, res.StatusCode, "body: %s", body)
	assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	var p client.Problem
	require.NoError(t, json.Unmarshal(body, &p), "body: %s", body)
	assert.Equal(t, status, p.Status)
	assert.Equal(t, http.StatusText(status), p.Title)
	assert.Equal(t, "about:blank", p.Type)
	assert.Equal(t, code, p.Code, "body: %s", body)
	assert.NotEmpty(t, p.Detail)
	rid := res.Header.Get("X-Request-Id")
	assert.NotEmpty(t, rid, "X-Request-Id header")
	if assert.NotNil(t, p.RequestId, "request_id") {
		assert.Equal(t, rid, *p.RequestId)
	}
	return p
}

// fieldsOf returns the fields a validation problem names.
func fieldsOf(p client.Problem) []string {
	var out []string
	if p.Errors != nil {
		for _, e := range *p.Errors {
			out = append(out, e.Field)
		}
	}
	return out
}

// withoutRequestID is a problem body without its request_id, for "identical answers" checks.
func withoutRequestID(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "body: %s", body)
	require.Contains(t, m, "request_id")
	delete(m, "request_id")
	return m
}
