package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
)

const allowedOrigin = "https://app.example.com"

// Without CORS_ALLOWED_ORIGINS no answer carries CORS headers: browsers keep every other origin
// out, preflights included.
func TestBrowser_CORSIsOffByDefault(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	res, _ := edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/api/v1/auth/me", nil,
		http.Header{"Origin": {allowedOrigin}, "Authorization": {"Bearer " + ada.Access}})
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))

	res, _ = edgeSend(t, app.HTTP, http.MethodOptions, app.URL+"/api/v1/contacts", nil, preflight(allowedOrigin, http.MethodPost))
	assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, res.Header.Get("Access-Control-Allow-Headers"))
}

// With an allow-list, a listed origin gets working preflights for the API's headers, and its
// scripts may read the answer headers they need, on errors too; any other origin gets nothing.
func TestBrowser_CORSAllowsListedOriginsOnly(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{CORSAllowedOrigins: []string{allowedOrigin}})
	ada := app.Register(t, "ada")

	res, _ := edgeSend(t, app.HTTP, http.MethodOptions, app.URL+"/api/v1/deals/"+ada.OrgID.String(), nil, preflight(allowedOrigin, http.MethodPatch))
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	assert.Equal(t, allowedOrigin, res.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, res.Header.Get("Access-Control-Allow-Credentials"), "bearer tokens, not cookies")
	assert.Contains(t, headerList(res, "Access-Control-Allow-Methods"), "patch")
	for _, h := range []string{"authorization", "x-organization-id", "content-type", "idempotency-key", "if-match", "if-none-match"} {
		assert.Contains(t, headerList(res, "Access-Control-Allow-Headers"), h)
	}
	assert.NotEmpty(t, res.Header.Get("Access-Control-Max-Age"))
	assert.Contains(t, res.Header.Values("Vary"), "Origin")

	expose := func(res *http.Response) {
		t.Helper()
		assert.Equal(t, allowedOrigin, res.Header.Get("Access-Control-Allow-Origin"))
		for _, h := range []string{"x-request-id", "ratelimit", "ratelimit-policy", "retry-after", "etag", "location"} {
			assert.Contains(t, headerList(res, "Access-Control-Expose-Headers"), h)
		}
	}
	res, _ = edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/api/v1/auth/me", nil,
		http.Header{"Origin": {allowedOrigin}, "Authorization": {"Bearer " + ada.Access}})
	assert.Equal(t, http.StatusOK, res.StatusCode)
	expose(res)
	res, body := edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/api/v1/auth/me", nil, http.Header{"Origin": {allowedOrigin}})
	problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
	expose(res)

	for _, other := range []string{"https://evil.example.com", "https://app.example.com.evil.example", "http://app.example.com", "null"} {
		res, _ = edgeSend(t, app.HTTP, http.MethodOptions, app.URL+"/api/v1/contacts", nil, preflight(other, http.MethodPost))
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), other)
		res, _ = edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/api/v1/auth/me", nil,
			http.Header{"Origin": {other}, "Authorization": {"Bearer " + ada.Access}})
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), other)
	}
}

func preflight(origin, method string) http.Header {
	return http.Header{
		"Origin":                         {origin},
		"Access-Control-Request-Method":  {method},
		"Access-Control-Request-Headers": {"authorization,x-organization-id,content-type,idempotency-key,if-match"},
	}
}

// headerList is a comma-separated header as lower-case names.
func headerList(res *http.Response, name string) []string {
	var out []string
	for _, v := range res.Header.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			out = append(out, strings.ToLower(strings.TrimSpace(part)))
		}
	}
	return out
}

// The portal pages may load only the service's own scripts (no inline script at all), may not be
// framed, and Swagger UI keeps the bearer token out of browser storage.
func TestBrowser_DocsPagesSendCSPAndDenyFraming(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	inlineScript := regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`)
	scriptSrc := regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`)
	for _, path := range []string{"/docs", "/redoc"} {
		t.Run(path, func(t *testing.T) {
			res, body := edgeSend(t, app.HTTP, http.MethodGet, app.URL+path, nil, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
			csp := res.Header.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
				assert.Contains(t, csp, d)
			}
			assert.NotContains(t, csp, "unsafe-eval")
			assert.NotContains(t, csp, "script-src 'self' 'unsafe-inline'")
			assert.Empty(t, inlineScript.FindAll(body, -1), "no inline script: %s", body)
			for _, m := range scriptSrc.FindAllSubmatch(body, -1) {
				src := string(m[1])
				assert.True(t, strings.HasPrefix(src, "/"), "script %s from the service itself", src)
				res, _ := edgeSend(t, app.HTTP, http.MethodGet, app.URL+src, nil, nil)
				assert.Equal(t, http.StatusOK, res.StatusCode, src)
			}
		})
	}
	res, body := edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/docs/swagger-init.js", nil, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "persistAuthorization: false")
	assert.NotContains(t, string(body), "persistAuthorization: true")
}

// /docs/assets/ serves its files and nothing else: no directory listing, no way out of it.
func TestBrowser_NoDirectoryListingUnderDocsAssets(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	res, _ := edgeSend(t, app.HTTP, http.MethodGet, app.URL+"/docs/assets/swagger-ui.css", nil, nil)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Type"), "text/css")

	for _, path := range []string{"/docs/assets/", "/docs/assets/.", "/docs/assets/%2e/", "/docs/assets/..%2f..%2fgo.mod",
		"/docs/assets/nothing.js", "/docs/assets//"} {
		res, body := edgeSend(t, app.HTTP, http.MethodGet, app.URL+path, nil, nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
		assert.NotContains(t, string(body), "swagger-ui.css", "%s lists the folder", path)
		assert.NotContains(t, string(body), "<a href", path)
	}
}
