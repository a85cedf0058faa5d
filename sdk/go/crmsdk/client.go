package crmsdk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// OrganizationHeader is the header that names the organization of a tenant-scoped request.
const OrganizationHeader = "X-Organization-Id"

// ErrNoSession is returned by [Client.Refresh] when the client holds no refresh token.
var ErrNoSession = errors.New("crmsdk: no session: register or log in first")

// refreshTimeout bounds one token refresh. The refresh does not follow the caller's cancellation
// (see runRefresh), so it needs a bound of its own.
const refreshTimeout = 30 * time.Second

// Tokens is a session's token pair. The zero value means "no session".
type Tokens struct {
	// AccessToken is the short-lived JWT sent as "Authorization: Bearer".
	AccessToken string
	// RefreshToken is exchanged for a new pair when the access token is refused. It works once:
	// every refresh rotates it.
	RefreshToken string
}

// IsZero reports whether t holds no token at all.
func (t Tokens) IsZero() bool { return t.AccessToken == "" && t.RefreshToken == "" }

// Option configures [New].
type Option func(*settings)

type settings struct {
	httpClient *http.Client
	tokens     Tokens
	org        uuid.UUID
	onTokens   func(Tokens)
	retry      RetryPolicy
	noKeys     bool
}

// WithHTTPClient makes the Client send its requests, token refreshes included, through hc's
// transport, keeping hc's Timeout, Jar and CheckRedirect. hc itself is not modified: the Client
// uses a copy whose transport adds the session on top of hc.Transport (http.DefaultTransport
// when nil).
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) { s.httpClient = hc }
}

// WithTokens resumes a session, e.g. tokens kept from an earlier run. An access token that has
// expired meanwhile is fine, and so is an empty one: the first request answered 401 refreshes it.
func WithTokens(access, refresh string) Option {
	return func(s *settings) { s.tokens = Tokens{AccessToken: access, RefreshToken: refresh} }
}

// WithOrganization selects the organization sent as X-Organization-Id from the start; see
// [Client.SetOrganization].
func WithOrganization(id uuid.UUID) Option {
	return func(s *settings) { s.org = id }
}

// WithTokenCallback registers fn to be called with the new tokens whenever the stored tokens
// change: after Register, Login, SetTokens and every refresh, and with the zero Tokens when they are
// cleared (Logout, LogoutAll, EndSession of the client's own session, refused refresh). Use it to
// persist the session: a refresh token is single-use, so a stale copy cannot resume the session
// later.
//
// Calls are made one at a time, in the order of the changes. fn may read the client
// (Tokens, Organization) but must not change its session (SetTokens, Login, Register, Logout,
// LogoutAll, EndSession, Refresh): that would deadlock.
func WithTokenCallback(fn func(Tokens)) Option {
	return func(s *settings) { s.onTokens = fn }
}

// Client is a session-aware client of the Mini-CRM API; it is safe for concurrent use.
//
// Its services (c.Contacts, c.Deals, ...) are the way in. Below them, the embedded
// *client.ClientWithResponses offers every operation of the API as a typed low-level method; all
// of them go through the session: bearer token, organization header and transparent refresh.
// Wrap their results in [Ok] to turn error answers into a [*ProblemError].
//
// Register, Login, Logout, LogoutAll, UpdateMe and ChangePassword of this type (which keep the
// session) shadow the generated low-level methods of the same names; those remain reachable as
// c.ClientWithResponses.Register etc., and the RegisterWithResponse family is unaffected.
type Client struct {
	*client.ClientWithResponses

	// The services, one per area of the API (the go-github layout): c.Deals.Update(ctx, id,
	// patch), c.Contacts.All(ctx, params). They answer with the API's documents and turn error
	// answers into [*ProblemError]s; they share the Client's session, retries and idempotency keys.
	Auth          *AuthService
	Account       *AccountService
	Organizations *OrganizationsService
	Members       *MembersService
	Invitations   *InvitationsService
	Contacts      *ContactsService
	Deals         *DealsService
	Activities    *ActivitiesService
	Tasks         *TasksService
	Analytics     *AnalyticsService
	Webhooks      *WebhooksService
	Health        *HealthService

	base       *url.URL
	basePath   string // base.Path without the trailing slash
	httpClient *http.Client
	// refresher calls /auth/refresh on the caller's transport without the session layer.
	refresher *client.ClientWithResponses
	onTokens  func(Tokens)
	retry     RetryPolicy // with the defaults filled in
	autoKeys  bool        // send a fresh Idempotency-Key on authenticated POSTs that have none

	mu       sync.Mutex
	tokens   Tokens
	gen      uint64 // incremented on every change of tokens
	sess     uint64 // incremented on every change of tokens except a refresh (same session, rotated pair)
	org      uuid.UUID
	inflight *refreshCall

	cbMu sync.Mutex // orders the WithTokenCallback calls
}

// New returns a Client of the API at baseURL, the service's origin plus its path prefix if it has
// one (e.g. "https://crm.example.com"); the "/api/v1/..." paths are appended to it.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("crmsdk: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("crmsdk: base URL %q: want an absolute http or https URL", baseURL)
	}
	var s settings
	for _, o := range opts {
		o(&s)
	}

	var hc http.Client
	if s.httpClient != nil {
		hc = *s.httpClient
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	plain := hc
	plain.Transport = next
	session := hc
	c := &Client{
		base:     u,
		basePath: strings.TrimRight(u.Path, "/"),
		onTokens: s.onTokens,
		tokens:   s.tokens,
		org:      s.org,
		retry:    s.retry.withDefaults(),
		autoKeys: !s.noKeys,
	}
	// Retries are the outer layer: every attempt goes through the session (a fresh access token,
	// a refresh on 401) with the same Idempotency-Key.
	session.Transport = &retryTransport{c: c, next: &transport{c: c, next: next}}
	c.httpClient = &session

	if c.ClientWithResponses, err = client.NewClientWithResponses(baseURL, client.WithHTTPClient(&session)); err != nil {
		return nil, fmt.Errorf("crmsdk: %w", err)
	}
	if c.refresher, err = client.NewClientWithResponses(baseURL, client.WithHTTPClient(&plain)); err != nil {
		return nil, fmt.Errorf("crmsdk: %w", err)
	}
	c.initServices()
	return c, nil
}

// HTTPClient returns the session-aware *http.Client the Client sends its requests with, for
// requests built by hand. Only requests to the base URL's origin get the session's headers.
func (c *Client) HTTPClient() *http.Client { return c.httpClient }

// Tokens returns the stored token pair; the zero Tokens when there is no session.
func (c *Client) Tokens() Tokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// SetTokens replaces the stored tokens (the zero Tokens clears them) and reports the change to the
// WithTokenCallback function.
func (c *Client) SetTokens(t Tokens) { c.swap(t, nil) }

// SetOrganization selects the organization sent as X-Organization-Id on every request from now
// on, as tenant-scoped routes (contacts, deals, tasks, activities, analytics) require.
// uuid.Nil stops sending the header.
func (c *Client) SetOrganization(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.org = id
}

// Organization returns the selected organization, uuid.Nil when none is.
func (c *Client) Organization() uuid.UUID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.org
}

// Register creates a user and their first organization (whose owner they become), and stores the
// session's tokens, and selects the new organization (SetOrganization switches to another one
// later). Errors are [*ProblemError]s (e.g. "email_taken") or
// transport errors.
func (c *Client) Register(ctx context.Context, body client.RegisterRequest) (*client.RegisterResult, error) {
	res, err := Ok(c.RegisterWithResponse(ctx, body))
	if err != nil {
		return nil, err
	}
	if res.JSON201 == nil {
		return nil, unexpected(res.StatusCode(), res.Body)
	}
	c.SetTokens(Tokens{AccessToken: res.JSON201.AccessToken, RefreshToken: res.JSON201.RefreshToken})
	// The new user's only organization is the one every following call means, as in the
	// TypeScript SDK's register().
	c.SetOrganization(res.JSON201.Organization.Id)
	return res.JSON201, nil
}

// Login starts a new session and stores its tokens. A wrong email or password is a
// [*ProblemError] with code "invalid_credentials"; the stored tokens are then left as they were.
func (c *Client) Login(ctx context.Context, email, password string) (*client.LoginResult, error) {
	res, err := Ok(c.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: password}))
	if err != nil {
		return nil, err
	}
	if res.JSON200 == nil {
		return nil, unexpected(res.StatusCode(), res.Body)
	}
	c.SetTokens(Tokens{AccessToken: res.JSON200.AccessToken, RefreshToken: res.JSON200.RefreshToken})
	return res.JSON200, nil
}

// Logout ends the session on the server and clears the stored tokens. The tokens are cleared even
// when the server cannot be reached (the error is returned then); a session the server has already
// ended is not an error. Without a session Logout does nothing.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	t, gen := c.tokens, c.gen
	c.mu.Unlock()
	if t.RefreshToken == "" {
		if !t.IsZero() {
			c.swap(Tokens{}, &gen)
		}
		return nil
	}
	res, err := c.LogoutWithResponse(ctx, client.LogoutRequest{RefreshToken: t.RefreshToken})
	// The session changed meanwhile (a new login): that one is not ours to clear.
	c.swap(Tokens{}, &gen)
	if err != nil {
		return fmt.Errorf("crmsdk: logout: %w", err)
	}
	if res.StatusCode() == http.StatusUnauthorized {
		return nil // the refresh token no longer works: the session is over anyway
	}
	return Check(res, res.Body)
}

// Refresh exchanges the refresh token for a new pair now, or waits for the refresh already in
// flight. The Client refreshes by itself when a request answers 401, so calling Refresh is only
// needed to renew a session ahead of time. It returns [ErrNoSession] without a refresh token and a
// [*ProblemError] when the server refuses the token (the tokens are then cleared).
func (c *Client) Refresh(ctx context.Context) error {
	_, err := c.refreshShared(ctx, 0, true)
	return err
}

// swap stores t and reports it to the callback. With ifGen, it does so only when the tokens have
// not changed since generation *ifGen. It reports whether t was stored.
func (c *Client) swap(t Tokens, ifGen *uint64) bool {
	return c.store(t, func() bool { return ifGen == nil || c.gen == *ifGen }, false)
}

// clearSession clears the tokens and reports it to the callback, unless the session changed
// since [Client.sessionEpoch] returned sess (a login, SetTokens, Logout; a refresh of the same
// session is no change).
func (c *Client) clearSession(sess uint64) bool {
	return c.store(Tokens{}, func() bool { return c.sess == sess }, false)
}

// sessionEpoch identifies the current session; refreshes keep it.
func (c *Client) sessionEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// store stores t when cond (called under mu) holds, and reports it to the callback. rotated says
// t is a refreshed pair of the same session. It reports whether t was stored.
func (c *Client) store(t Tokens, cond func() bool, rotated bool) bool {
	c.mu.Lock()
	if !cond() {
		c.mu.Unlock()
		return false
	}
	c.tokens = t
	c.gen++
	if !rotated {
		c.sess++
	}
	cb := c.onTokens
	if cb == nil {
		c.mu.Unlock()
		return true
	}
	// Taking cbMu before releasing mu keeps the callbacks in the order of the changes.
	c.cbMu.Lock()
	c.mu.Unlock()
	defer c.cbMu.Unlock()
	cb(t)
	return true
}

// session returns what the transport attaches to a request, and whether the client has a session
// at all (a session resumed with a refresh token only has no access token yet).
func (c *Client) session() (access string, gen uint64, org uuid.UUID, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens.AccessToken, c.gen, c.org, !c.tokens.IsZero()
}

// publicPaths take no bearer token and no organization (security: [] in openapi.yaml). A 401 from
// them (say, invalid_credentials) says nothing about the stored session.
var publicPaths = map[string]bool{
	"/healthz":              true,
	"/readyz":               true,
	"/api/v1/auth/register": true,
	"/api/v1/auth/login":    true,
	"/api/v1/auth/refresh":  true,
	"/api/v1/auth/logout":   true,
}

// ownsURL reports whether u is an API route of this client: same scheme and host as the base URL,
// and not a public route. Credentials are never sent anywhere else (e.g. after a redirect).
func (c *Client) ownsURL(u *url.URL) bool {
	if !c.sameOrigin(u) {
		return false
	}
	p := u.Path
	if c.basePath != "" {
		if !strings.HasPrefix(p, c.basePath+"/") {
			return false
		}
		p = p[len(c.basePath):]
	}
	return !publicPaths[p]
}

// sameOrigin reports whether u has the scheme and host of the base URL.
func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.base.Scheme) && hostPort(u) == hostPort(c.base)
}

// hostPort is u's lower-cased host with the scheme's default port made explicit.
func hostPort(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(host, port)
}
