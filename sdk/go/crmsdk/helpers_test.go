package crmsdk_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/require"
)

const (
	refreshPath = "/api/v1/auth/refresh"
	password    = "correct-horse-battery"
)

// exchange is one request as it left the SDK's transport, and its answer.
type exchange struct {
	Method, Path string
	Query        url.Values
	Auth, Org    string // Authorization and X-Organization-Id ("" when absent)
	Status       int
}

// recorder wraps a transport and records every exchange (token refreshes included, which go
// through the caller's transport too).
type recorder struct {
	next http.RoundTripper
	// beforeRefresh, when set, runs before a refresh request is sent.
	beforeRefresh func()

	mu  sync.Mutex
	log []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == refreshPath && r.beforeRefresh != nil {
		r.beforeRefresh()
	}
	resp, err := r.next.RoundTrip(req)
	e := exchange{Method: req.Method, Path: req.URL.Path, Query: req.URL.Query(), Auth: req.Header.Get("Authorization"), Org: req.Header.Get(crmsdk.OrganizationHeader)}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	r.mu.Lock()
	r.log = append(r.log, e)
	r.mu.Unlock()
	return resp, err
}

// exchanges returns the exchanges so far whose path is path ("" for all).
func (r *recorder) exchanges(path string) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []exchange
	for _, e := range r.log {
		if path == "" || e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) count(path string) int { return len(r.exchanges(path)) }

// count401 counts the 401 answers of routes other than /auth/refresh.
func (r *recorder) count401() int {
	n := 0
	for _, e := range r.exchanges("") {
		if e.Status == http.StatusUnauthorized && e.Path != refreshPath {
			n++
		}
	}
	return n
}

// newSDK returns an SDK client of app whose exchanges are recorded and, through app.HTTP's
// transport, checked against openapi.yaml.
func newSDK(t *testing.T, app *apptest.App, opts ...crmsdk.Option) (*crmsdk.Client, *recorder) {
	t.Helper()
	rec := &recorder{next: app.HTTP.Transport}
	return newSDKWith(t, app.URL, rec, opts...), rec
}

// newSDKWith returns an SDK client of baseURL sending through rec.
func newSDKWith(t *testing.T, baseURL string, rec *recorder, opts ...crmsdk.Option) *crmsdk.Client {
	t.Helper()
	hc := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	c, err := crmsdk.New(baseURL, append([]crmsdk.Option{crmsdk.WithHTTPClient(hc)}, opts...)...)
	require.NoError(t, err)
	return c
}

// tokenLog collects the WithTokenCallback calls.
type tokenLog struct {
	mu     sync.Mutex
	tokens []crmsdk.Tokens
}

func (l *tokenLog) record(t crmsdk.Tokens) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = append(l.tokens, t)
}

func (l *tokenLog) all() []crmsdk.Tokens {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]crmsdk.Tokens(nil), l.tokens...)
}

// problemOf asserts err is a *ProblemError and returns it.
func problemOf(t *testing.T, err error) *crmsdk.ProblemError {
	t.Helper()
	require.Error(t, err)
	var pe *crmsdk.ProblemError
	require.ErrorAs(t, err, &pe)
	return pe
}

func bearer(token string) string { return "Bearer " + token }

func isBearer(auth string) bool {
	return strings.HasPrefix(auth, "Bearer ") && len(auth) > len("Bearer ")
}
