package apptest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/telemetry"
	"github.com/minicrm/crm/internal/webhooks"
	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/trace"
)

// TestSecret signs the tokens of test servers only.
const TestSecret = "test-secret-test-secret-test-secret-0123"

// App is a running service on a fresh database.
type App struct {
	URL    string
	Pool   *pgxpool.Pool
	Tokens *auth.Tokens
	// Client is the generated client; every exchange is checked against openapi.yaml.
	Client *client.ClientWithResponses
	// HTTP sends raw requests through the same contract-checking transport.
	HTTP *http.Client
}

// Options tune New.
type Options struct {
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Now        func() time.Time
	// RequestTimeout and CORSAllowedOrigins are the service's REQUEST_TIMEOUT (zero: 25 s) and
	// CORS_ALLOWED_ORIGINS (none: CORS off).
	RequestTimeout     time.Duration
	CORSAllowedOrigins []string

	// LoginMaxFailuresPerAddress, TrustedProxies and RefreshReuseLeeway are as in the service's
	// configuration; zero values are the defaults (100, none, 10 s); a negative leeway is none.
	LoginMaxFailuresPerAddress int
	TrustedProxies             []*net.IPNet
	RefreshReuseLeeway         time.Duration

	// Webhooks starts the webhook workers (River) with the server, sending to loopback receivers
	// (WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE on); without it deliveries are queued only.
	Webhooks bool
	// WebhookRetry is the retry schedule of the deliveries (nil: the product's, webhooks.NextRetry).
	WebhookRetry webhooks.Schedule

	// Limits are the rate limits and concurrency bounds. Tests run with them out of the way: a
	// zero budget or bound here is 1,000,000 per minute or 10,000 at once, and a refusal is
	// answered without delay (not the service's defaults); set a field to test it.
	Limits httpapi.Limits

	// Log receives the service's log lines (nil: discarded); Metrics and TracerProvider are the
	// service's telemetry (nil: none), as cmd/crm wires them.
	Log            *slog.Logger
	Metrics        *telemetry.Metrics
	TracerProvider trace.TracerProvider
}

// limitsOutOfTheWay raises every unset budget and bound of l far above what a test sends.
func limitsOutOfTheWay(l httpapi.Limits) httpapi.Limits {
	for _, v := range []*int{&l.AnonPerMinute, &l.OrgPerMinute} {
		if *v == 0 {
			*v = 1_000_000
		}
	}
	for _, v := range []*int{&l.OrgMaxConcurrent, &l.AnalyticsMaxConcurrent, &l.MaxInFlight, &l.MaxQueued} {
		if *v == 0 {
			*v = 10_000
		}
	}
	if l.RefusalDelay == 0 {
		l.RefusalDelay = -1
	}
	return l
}

// New starts the service on its own database.
func New(t testing.TB) *App { return NewWithOptions(t, Options{}) }

// NewHandler builds the service on pool as the tests run it: the test secret, silent logs, and the
// token lifetimes of o (defaults: 15 minutes, 7 days). Its webhook deliveries are queued only; see
// NewWithOptions for workers.
func NewHandler(pool *pgxpool.Pool, o Options) (http.Handler, *auth.Tokens, error) {
	h, tokens, _, err := newHandler(pool, o)
	return h, tokens, err
}

// newHandler is NewHandler, and the River client of the webhook deliveries (not started).
func newHandler(pool *pgxpool.Pool, o Options) (http.Handler, *auth.Tokens, *river.Client[pgx.Tx], error) {
	if o.AccessTTL == 0 {
		o.AccessTTL = 15 * time.Minute
	}
	if o.RefreshTTL == 0 {
		o.RefreshTTL = 7 * 24 * time.Hour
	}
	if o.RefreshReuseLeeway == 0 {
		o.RefreshReuseLeeway = auth.DefaultRefreshReuseLeeway
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: TestSecret, AccessTTL: o.AccessTTL, RefreshTTL: o.RefreshTTL, Now: o.Now})
	if err != nil {
		return nil, nil, nil, err
	}
	// The same graph cmd/crm wires, on the test database.
	store := platform.NewDB(pool)
	// The product's policy (https, public addresses), unless the test receives deliveries itself.
	guard := webhooks.Guard{AllowHTTP: o.Webhooks, AllowPrivate: o.Webhooks}
	workers := 0
	if o.Webhooks {
		workers = 4
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	log := quiet
	if o.Log != nil {
		log = o.Log
	}
	jobs, err := webhooks.NewClient(pool, store, webhooks.ClientConfig{Guard: guard, Workers: workers, Retry: o.WebhookRetry, Logger: quiet})
	if err != nil {
		return nil, nil, nil, err
	}
	authSvc := auth.NewService(store, tokens, auth.WithMaxFailuresPerAddress(o.LoginMaxFailuresPerAddress),
		auth.WithRefreshReuseLeeway(o.RefreshReuseLeeway))
	deps := httpapi.Services(store, authSvc, webhooks.NewService(store, guard, jobs))
	deps.Log, deps.Limits = log, limitsOutOfTheWay(o.Limits)
	deps.TrustedProxies, deps.RequestTimeout, deps.CORSAllowedOrigins = o.TrustedProxies, o.RequestTimeout, o.CORSAllowedOrigins
	deps.Cursors = paging.NewCursors([]byte(TestSecret))
	deps.Metrics, deps.TracerProvider = o.Metrics, o.TracerProvider
	e, err := httpapi.New(deps)
	if err != nil {
		return nil, nil, nil, err
	}
	return e, tokens, jobs, nil
}

// NewWithOptions starts the service with non-default token settings.
func NewWithOptions(t testing.TB, o Options) *App {
	t.Helper()
	pool := NewPool(t)
	e, tokens, jobs, err := newHandler(pool, o)
	if err != nil {
		t.Fatal(err)
	}
	if o.Webhooks {
		if err := jobs.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // before the pool closes (registered before)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = jobs.Stop(ctx)
		})
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: newContractTransport(t), Timeout: 30 * time.Second}
	c, err := client.NewClientWithResponses(srv.URL, client.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return &App{URL: srv.URL, Pool: pool, Tokens: tokens, Client: c, HTTP: hc}
}

// User is a registered user with a live session and the organization registration created.
type User struct {
	ID       uuid.UUID
	Email    string
	Password string
	Name     string
	Access   string
	Refresh  string
	OrgID    uuid.UUID // the organization created at registration, owned by this user
}

var seq atomic.Int64

// UniqueEmail returns an email no other test uses.
func UniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%s@example.com", prefix, seq.Add(1), uuid.NewString()[:8])
}

// Register creates a user (and their organization) through the API.
func (a *App) Register(t testing.TB, name string) User {
	t.Helper()
	u := User{Email: UniqueEmail(name), Password: "password-" + name, Name: name}
	res, err := a.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
		Email: u.Email, Password: u.Password, Name: name, OrganizationName: name + "'s organization",
	})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	if res.JSON201 == nil {
		t.Fatalf("register %s: status %d: %s", name, res.StatusCode(), res.Body)
	}
	u.ID, u.Access, u.Refresh, u.OrgID = res.JSON201.User.Id, res.JSON201.AccessToken, res.JSON201.RefreshToken, res.JSON201.Organization.Id
	return u
}

// AddMember makes u a member of org with role, acting as admin (an owner or admin of org): admin
// invites u's email and u accepts.
func (a *App) AddMember(t testing.TB, admin User, org uuid.UUID, u User, role client.Role) {
	t.Helper()
	inv := a.Invite(t, admin, org, u.Email, role)
	a.AcceptInvitation(t, u, inv.Token)
}

// Auth sends the user's access token.
func (u User) Auth() client.RequestEditorFn { return Bearer(u.Access) }

// In sends the user's access token and acts in org.
func (u User) In(org uuid.UUID) []client.RequestEditorFn {
	return []client.RequestEditorFn{Bearer(u.Access), Org(org)}
}

// Bearer sets the Authorization header.
func Bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// Org sets the X-Organization-Id header.
func Org(id uuid.UUID) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Organization-Id", id.String())
		return nil
	}
}

// Header sets any header (for malformed-header tests).
func Header(name, value string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set(name, value)
		return nil
	}
}
