package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// REQUEST_TIMEOUT defaults to 25 s and can never reach the write timeout: a request that times out
// must still have time to write its 503 (issue 8: both were 30 s, and the client got no answer).
func TestRequestTimeout_StaysBelowTheWriteTimeout(t *testing.T) {
	require.Less(t, WriteTimeout-RequestTimeoutMargin, WriteTimeout)
	for v, want := range map[string]time.Duration{"": 25 * time.Second, "10s": 10 * time.Second, "25": 25 * time.Second, "1500ms": 1500 * time.Millisecond} {
		t.Setenv("REQUEST_TIMEOUT", v)
		got, err := requestTimeout()
		require.NoError(t, err, v)
		assert.Equal(t, want, got, v)
		assert.LessOrEqual(t, got, WriteTimeout-RequestTimeoutMargin)
	}
	for _, v := range []string{"30s", "26s", "1m", "0", "-5s", "500ms", "soon"} {
		t.Setenv("REQUEST_TIMEOUT", v)
		_, err := requestTimeout()
		assert.ErrorContains(t, err, "REQUEST_TIMEOUT", v)
	}
}

// CORS_ALLOWED_ORIGINS is an allow-list of exact origins; empty (the default) means CORS is off.
func TestCORSOrigins_ExactOriginsOnly(t *testing.T) {
	got, err := corsOrigins("")
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = corsOrigins(" https://App.Example.com , http://localhost:5173/,")
	require.NoError(t, err)
	assert.Equal(t, []string{"https://app.example.com", "http://localhost:5173"}, got)
	for _, bad := range []string{"*", "https://*.example.com", "app.example.com", "https://app.example.com/path",
		"ftp://app.example.com", "https://user@app.example.com", "null", "https://app.example.com?x=1"} {
		_, err := corsOrigins(bad)
		assert.ErrorContains(t, err, "CORS_ALLOWED_ORIGINS", bad)
	}
}
