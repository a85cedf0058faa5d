package crmsdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI is a stand-in for the service for the cases the real one cannot be made to produce
// (a refresh that answers 503, a route that always answers 401, a slow refresh, redirects).
type fakeAPI struct {
	mu            sync.Mutex
	access        string
	refresh       string
	rotations     int
	refreshStatus int           // when not 0 and not 200, /auth/refresh answers this
	refreshGate   chan struct{} // when set, /auth/refresh waits for it to be closed
	always401     bool          // protected routes answer 401 whatever the token
	prefix        string        // the API's path prefix
}

func newFakeAPI(t *testing.T, f *fakeAPI) *httptest.Server {
	t.Helper()
	if f.access == "" {
		f.access, f.refresh = "access-0", "refresh-0"
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, f.prefix)
	switch path {
	case "/api/v1/auth/refresh":
		f.serveRefresh(w, r)
	case "/api/v1/auth/login":
		writeProblem(w, http.StatusUnauthorized, "invalid_credentials")
	case "/api/v1/auth/me":
		f.mu.Lock()
		ok := !f.always401 && r.Header.Get("Authorization") == "Bearer "+f.access
		f.mu.Unlock()
		if !ok {
			writeProblem(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"user":{"id":%q,"email":"ada@example.com","name":"Ada","created_at":"2026-01-01T00:00:00Z"},"memberships":[]}`, uuid.NewString())
	default:
		writeProblem(w, http.StatusNotFound, "not_found")
	}
}

func (f *fakeAPI) serveRefresh(w http.ResponseWriter, r *http.Request) {
	if f.refreshGate != nil {
		<-f.refreshGate
	}
	var body client.RefreshRequest
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refreshStatus != 0 && f.refreshStatus != http.StatusOK {
		writeProblem(w, f.refreshStatus, "service_unavailable")
		return
	}
	if body.RefreshToken != f.refresh {
		writeProblem(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	f.rotations++
	f.access, f.refresh = fmt.Sprintf("access-%d", f.rotations), fmt.Sprintf("refresh-%d", f.rotations)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(client.TokenPair{AccessToken: f.access, RefreshToken: f.refresh, TokenType: client.TokenPairTokenTypeBearer, ExpiresIn: 900})
}

func writeProblem(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(client.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: apptest.Ptr("detail of " + code)})
}

// TestRefresh_NeverLoops: when the retry is refused too, its 401 is the answer: one refresh and one
// retry per call, never more.
func TestRefresh_NeverLoops(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := &fakeAPI{always401: true}
	srv := newFakeAPI(t, f)
	rec := &recorder{next: http.DefaultTransport}
	c := newSDKWith(t, srv.URL, rec, crmsdk.WithTokens("access-0", "refresh-0"))

	res, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Equal(t, "unauthorized", problemOf(t, err).Code())
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.Equal(t, 2, rec.count("/api/v1/auth/me"))
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.Equal(t, crmsdk.Tokens{AccessToken: "access-1", RefreshToken: "refresh-1"}, c.Tokens(), "the refresh itself succeeded")

	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Error(t, err)
	assert.Equal(t, 4, rec.count("/api/v1/auth/me"))
	assert.Equal(t, 2, rec.count(refreshPath))
}

// TestRefresh_ServerErrorKeepsTokens: a refresh answered 5xx (database away) does not end the
// session: the tokens stay, the original 401 is returned, and a later refresh works.
func TestRefresh_ServerErrorKeepsTokens(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := &fakeAPI{refreshStatus: http.StatusServiceUnavailable}
	srv := newFakeAPI(t, f)
	rec := &recorder{next: http.DefaultTransport}
	var events tokenLog
	c := newSDKWith(t, srv.URL, rec, crmsdk.WithTokens("stale", "refresh-0"), crmsdk.WithTokenCallback(events.record))

	_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status)
	assert.Equal(t, crmsdk.Tokens{AccessToken: "stale", RefreshToken: "refresh-0"}, c.Tokens())
	assert.Empty(t, events.all())
	assert.Equal(t, 1, rec.count("/api/v1/auth/me"), "no retry without new tokens")

	err = c.Refresh(ctx)
	assert.Equal(t, http.StatusServiceUnavailable, problemOf(t, err).Status)

	f.mu.Lock()
	f.refreshStatus = 0
	f.mu.Unlock()
	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Equal(t, crmsdk.Tokens{AccessToken: "access-1", RefreshToken: "refresh-1"}, c.Tokens())
	assert.Len(t, events.all(), 1)
}

// TestRefresh_SurvivesCallerCancellation: the caller whose 401 started the refresh gives up, but
// the refresh completes and the rotated pair is stored: dropping it would leave the client with a
// spent refresh token, whose next use the server answers by revoking the session.
func TestRefresh_SurvivesCallerCancellation(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	f := &fakeAPI{refreshGate: gate}
	srv := newFakeAPI(t, f)
	rec := &recorder{next: http.DefaultTransport}
	c := newSDKWith(t, srv.URL, rec, crmsdk.WithTokens("stale", "refresh-0"))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
		done <- err
	}()
	require.Eventually(t, func() bool { return rec.count401() == 1 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the refresh reach the gate
	cancel()
	err := <-done
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, problemOf(t, err).Status, "the caller gets the original 401")

	close(gate)
	require.Eventually(t, func() bool { return c.Tokens().RefreshToken == "refresh-1" }, 5*time.Second, 5*time.Millisecond)
	_, err = crmsdk.Ok(c.GetMeWithResponse(t.Context()))
	require.NoError(t, err)
	assert.Equal(t, 1, rec.count(refreshPath))
}

// TestCredentialsStayOnOrigin: after a redirect to another host, neither the bearer token nor the
// organization is sent there.
func TestCredentialsStayOnOrigin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var (
		mu         sync.Mutex
		foreignHdr http.Header
	)
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignHdr = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"user":{"id":"00000000-0000-0000-0000-000000000001","email":"x@example.com","name":"X","created_at":"2026-01-01T00:00:00Z"},"memberships":[]}`)
	}))
	t.Cleanup(foreign.Close)
	var originAuth string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		originAuth = r.Header.Get("Authorization")
		mu.Unlock()
		http.Redirect(w, r, foreign.URL+"/elsewhere", http.StatusFound)
	}))
	t.Cleanup(origin.Close)

	c, err := crmsdk.New(origin.URL, crmsdk.WithTokens("secret-access", "secret-refresh"), crmsdk.WithOrganization(uuid.New()))
	require.NoError(t, err)
	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "Bearer secret-access", originAuth)
	require.NotNil(t, foreignHdr)
	assert.Empty(t, foreignHdr.Get("Authorization"))
	assert.Empty(t, foreignHdr.Get(crmsdk.OrganizationHeader))
}

// TestBasePathPrefix: with an API under a path prefix, routes are recognised below it: the public
// login route gets no token, protected routes do.
func TestBasePathPrefix(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := &fakeAPI{prefix: "/crm"}
	srv := newFakeAPI(t, f)
	rec := &recorder{next: http.DefaultTransport}
	c := newSDKWith(t, srv.URL+"/crm/", rec, crmsdk.WithTokens("access-0", "refresh-0"))

	_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	_, err = c.Login(ctx, "ada@example.com", "wrong")
	assert.True(t, crmsdk.IsProblem(err, "invalid_credentials"))

	me := rec.exchanges("/crm/api/v1/auth/me")
	require.Len(t, me, 1)
	assert.Equal(t, "Bearer access-0", me[0].Auth)
	login := rec.exchanges("/crm/api/v1/auth/login")
	require.Len(t, login, 1)
	assert.Empty(t, login[0].Auth)
	assert.Equal(t, 0, rec.count("/crm"+refreshPath))
}

// TestTokenCallback_MayReadTheClient: the callback runs without the client's lock, in order.
func TestTokenCallback_MayReadTheClient(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := newFakeAPI(t, f)
	var (
		c    *crmsdk.Client
		seen []crmsdk.Tokens
	)
	c = newSDKWith(t, srv.URL, &recorder{next: http.DefaultTransport}, crmsdk.WithTokens("stale", "refresh-0"),
		crmsdk.WithTokenCallback(func(tok crmsdk.Tokens) {
			seen = append(seen, c.Tokens()) // reading the client from the callback must not deadlock
		}))
	_, err := crmsdk.Ok(c.GetMeWithResponse(t.Context()))
	require.NoError(t, err)
	c.SetTokens(crmsdk.Tokens{})
	assert.Equal(t, []crmsdk.Tokens{{AccessToken: "access-1", RefreshToken: "refresh-1"}, {}}, seen)
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "/relative", "ftp://example.com", "http://", "://x"} {
		_, err := crmsdk.New(bad)
		assert.Error(t, err, "%q", bad)
	}

	hc := &http.Client{Transport: http.DefaultTransport, Timeout: time.Second}
	c, err := crmsdk.New("https://crm.example.com", crmsdk.WithHTTPClient(hc), crmsdk.WithTokens("a", "r"))
	require.NoError(t, err)
	assert.Same(t, http.DefaultTransport, hc.Transport, "the caller's client is not modified")
	assert.NotSame(t, hc, c.HTTPClient())
	assert.Equal(t, time.Second, c.HTTPClient().Timeout)
	assert.Equal(t, crmsdk.Tokens{AccessToken: "a", RefreshToken: "r"}, c.Tokens())
	assert.Equal(t, uuid.Nil, c.Organization())
	assert.NotNil(t, c.ClientWithResponses, "every generated operation is available")
}

func TestCheck(t *testing.T) {
	t.Parallel()
	resp := func(status int) *client.GetMeResponse {
		return &client.GetMeResponse{HTTPResponse: &http.Response{StatusCode: status}}
	}

	assert.NoError(t, crmsdk.Check(resp(200), nil))
	assert.NoError(t, crmsdk.Check(resp(204), nil))

	// A problem document.
	err := crmsdk.Check(resp(409), []byte(`{"type":"about:blank","title":"Conflict","status":409,"code":"email_taken","detail":"This email is already registered.","request_id":"r-1"}`))
	pe := problemOf(t, err)
	assert.Equal(t, 409, pe.Status)
	assert.Equal(t, "email_taken", pe.Code())
	assert.Equal(t, "r-1", pe.RequestID())
	assert.Nil(t, pe.FieldErrors())
	assert.EqualError(t, err, "crm: 409 email_taken: This email is already registered.")

	// Not a problem document: a synthetic one.
	err = crmsdk.Check(resp(502), []byte("<html>Bad gateway</html>"))
	pe = problemOf(t, err)
	assert.Equal(t, "http_502", pe.Code())
	assert.Equal(t, 502, pe.Problem.Status)
	assert.Equal(t, "<html>Bad gateway</html>", *pe.Problem.Detail)
	err = crmsdk.Check(resp(500), nil)
	assert.EqualError(t, err, "crm: 500 http_500: Internal Server Error")

	// No response at all.
	assert.Error(t, crmsdk.Check(nil, nil))
	assert.Error(t, crmsdk.Check((*client.GetMeResponse)(nil), nil))
	assert.Error(t, crmsdk.Check(&client.GetMeResponse{}, nil), "status 0")

	// errors.As / IsProblem see through wrapping.
	wrapped := fmt.Errorf("loading deals: %w", crmsdk.Check(resp(403), []byte(`{"status":403,"code":"not_a_member","title":"Forbidden"}`)))
	assert.True(t, crmsdk.IsProblem(wrapped, "not_a_member"))
	assert.True(t, crmsdk.IsProblem(wrapped, ""))
	assert.False(t, crmsdk.IsProblem(wrapped, "forbidden"))
	assert.False(t, crmsdk.IsProblem(errors.New("plain"), ""))
}

func TestOk(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := &fakeAPI{}
	srv := newFakeAPI(t, f)

	// A transport error is passed through untouched.
	c, err := crmsdk.New("http://127.0.0.1:1")
	require.NoError(t, err)
	res, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Nil(t, res)
	var urlErr *url.Error
	assert.ErrorAs(t, err, &urlErr)
	assert.False(t, crmsdk.IsProblem(err, ""))

	// The answer's body is found in the generated response.
	c, err = crmsdk.New(srv.URL)
	require.NoError(t, err)
	res, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Equal(t, "detail of unauthorized", *problemOf(t, err).Problem.Detail)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.NotNil(t, res.ApplicationproblemJSON401)

	c.SetTokens(crmsdk.Tokens{AccessToken: "access-0", RefreshToken: "refresh-0"})
	res, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Equal(t, "Ada", res.JSON200.User.Name)
}

// TestRefresh_ResumeWithRefreshTokenOnly: a session kept as its refresh token alone is renewed on
// the first 401.
func TestRefresh_ResumeWithRefreshTokenOnly(t *testing.T) {
	t.Parallel()
	f := &fakeAPI{}
	srv := newFakeAPI(t, f)
	rec := &recorder{next: http.DefaultTransport}
	c := newSDKWith(t, srv.URL, rec, crmsdk.WithTokens("", "refresh-0"))

	_, err := crmsdk.Ok(c.GetMeWithResponse(t.Context()))
	require.NoError(t, err)
	me := rec.exchanges("/api/v1/auth/me")
	require.Len(t, me, 2)
	assert.Empty(t, me[0].Auth)
	assert.Equal(t, "Bearer access-1", me[1].Auth)
	assert.Equal(t, crmsdk.Tokens{AccessToken: "access-1", RefreshToken: "refresh-1"}, c.Tokens())
}
