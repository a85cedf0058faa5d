package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/minicrm/crm/internal/tenancy"
)

// Limits are the request budgets and the per-organization concurrency bound of /api/v1. Zero
// fields take the defaults.
type Limits struct {
	// Store holds the counters: in the process (the default) or in Redis (ratelimit.NewRedis),
	// shared by every replica.
	Store ratelimit.Limiter
	// AnonPerMinute is the budget of one client address for requests without valid credentials
	// (default 60).
	AnonPerMinute int
	// OrgPerMinute is the budget of one organization for authenticated requests acting in it, and
	// of one user for authenticated requests acting in none (default 6000).
	OrgPerMinute int
	// PoolSize is the size of the database pool the bounds below share (default 8).
	PoolSize int
	// OrgMaxConcurrent is how many requests of one organization may run at once (default half
	// the pool, at least 1).
	OrgMaxConcurrent int
	// AnalyticsMaxConcurrent is how many of those may be analytics requests, which hold a
	// connection longest (default half of OrgMaxConcurrent, at least 1).
	AnalyticsMaxConcurrent int
	// MaxInFlight is how many requests acting in an organization are worked on at once, across
	// organizations; the others wait their turn (default four times the pool).
	MaxInFlight int
	// MaxQueued is how many of those may wait for their turn; the next is answered 503 at once
	// (default eight times MaxInFlight).
	MaxQueued int
	// RefusalDelay is how long a refused request waits before its 429 (default 1 s; negative:
	// none), so that a client retrying in a tight loop costs little. At most maxHeldRefusals
	// wait at once; the others are answered at once.
	RefusalDelay time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.Store == nil {
		l.Store = ratelimit.NewMemory()
	}
	if l.AnonPerMinute <= 0 {
		l.AnonPerMinute = 60
	}
	if l.OrgPerMinute <= 0 {
		l.OrgPerMinute = 6000
	}
	if l.PoolSize <= 0 {
		l.PoolSize = 8
	}
	if l.OrgMaxConcurrent <= 0 {
		l.OrgMaxConcurrent = max(1, l.PoolSize/2)
	}
	if l.AnalyticsMaxConcurrent <= 0 {
		l.AnalyticsMaxConcurrent = max(1, l.OrgMaxConcurrent/2)
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 4 * l.PoolSize
	}
	if l.MaxQueued <= 0 {
		l.MaxQueued = 8 * l.MaxInFlight
	}
	if l.RefusalDelay == 0 {
		l.RefusalDelay = time.Second
	}
	return l
}

// maxHeldRefusals bounds the refused requests waiting out RefusalDelay (a goroutine and a
// connection each).
const maxHeldRefusals = 1024

const (
	headerRateLimitPolicy = "RateLimit-Policy"
	headerRateLimit       = "RateLimit"
	ctxRateMeter          = "crm.rate_meter"
	apiPrefix             = "/api/v1"
	analyticsPrefix       = "/api/v1/analytics/"
)

// ratePolicy is one named budget of the RateLimit headers (draft-ietf-httpapi-ratelimit-headers).
type ratePolicy struct {
	name  string
	limit ratelimit.Limit
	// header is the policy's RateLimit-Policy value, the same for every request.
	header string
}

func newRatePolicy(name string, perMinute int) ratePolicy {
	l := ratelimit.PerMinute(perMinute)
	return ratePolicy{name: name, limit: l,
		header: fmt.Sprintf(`"%s";q=%d;w=%d`, name, l.Rate, ceilSeconds(l.Period))}
}

// rateMeter is one request's state between the two middlewares: it is counted exactly once.
type rateMeter struct {
	counted bool
	user    string // the user of a verified access token, "" without one
}

// memberTTL is how long a (user, organization) pair that resolveCaller found to be a membership
// lets edge count that user's requests in that organization early. A removed member can spend
// the organization's budget and slots (never see its data) for at most this long.
const memberTTL = time.Minute

// limiter counts every /api/v1 request once, against one of three budgets:
//
//   - "anon", per client address: requests without valid credentials (401s included) and the
//     public operations (register, login, refresh, logout);
//   - "org", per organization: authenticated requests acting in an organization the caller is a
//     member of (X-Organization-Id or the path);
//   - "user", per user: the other authenticated requests (the caller's own data, or an
//     organization they are not a member of, so that nobody spends another organization's budget).
//
// It is two middlewares because the two facts it needs are known at different times. edge runs
// early, before the body is read: a request that carries no valid access token (checked with the
// token verifier itself, a signature check without I/O) is counted at once against its address,
// so an anonymous flood is refused before any work. A request with a valid token is left to
// tenant, which runs after resolveCaller: only then is it known whether the session is alive and
// whether the caller is a member of the organization it names. What ends before tenant (a
// validation error, an ended session, a foreign organization) edge counts on the way out: a 401
// against the address, anything else against the user. tenant also holds one of the
// organization's concurrency slots while the handler runs.
//
// A flood from a member would still cost a body read, a validation and a database query per
// refused request. So tenant remembers the memberships it saw (for memberTTL), and edge counts
// a request of a known (user, organization) pair at once, slots included: a member's excess is
// refused before any work, and an outsider still never spends the organization's budget.
type limiter struct {
	tokens              *auth.Tokens
	store               ratelimit.Limiter
	anon, org, user     ratePolicy
	running, analytics  *ratelimit.Concurrency // by organization: all its requests, its analytics requests
	orgMax, analyticMax int
	members             *memberCache
	guards              *guards // which routes act in an organization: only those are counted early against it
	refusalDelay        time.Duration
	holding             chan struct{} // one token per refused request waiting
	// queue bounds the requests acting in an organization worked on at once (Limits.MaxInFlight).
	queue echo.MiddlewareFunc
}

func newLimiter(tokens *auth.Tokens, g *guards, l Limits) *limiter {
	l = l.withDefaults()
	return &limiter{
		tokens:       tokens,
		store:        l.Store,
		anon:         newRatePolicy("anon", l.AnonPerMinute),
		org:          newRatePolicy("org", l.OrgPerMinute),
		user:         newRatePolicy("user", l.OrgPerMinute),
		running:      ratelimit.NewConcurrency(),
		analytics:    ratelimit.NewConcurrency(),
		orgMax:       l.OrgMaxConcurrent,
		analyticMax:  l.AnalyticsMaxConcurrent,
		members:      newMemberCache(memberTTL, time.Now),
		guards:       g,
		refusalDelay: l.RefusalDelay,
		holding:      make(chan struct{}, maxHeldRefusals),
		queue:        inFlight(g, l.MaxInFlight, l.MaxQueued),
	}
}

// edge is registered before the body limit and the validator. Every refusal, its own or
// tenant's, passes through it on the way out and waits there (hold) before it is answered.
func (l *limiter) edge(next echo.HandlerFunc) echo.HandlerFunc {
	count := l.count(next)
	return func(c echo.Context) error {
		req := c.Request()
		if !underAPI(req.URL.Path) || isPreflight(req) {
			return next(c)
		}
		err := count(c)
		if ae, ok := apperr.As(err); ok && ae.Code == codeRateLimited {
			return l.hold(req.Context(), ae)
		}
		return err
	}
}

// count is edge's accounting.
func (l *limiter) count(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		m := &rateMeter{}
		c.Set(ctxRateMeter, m)
		if raw, ok := bearerToken(req.Header.Values(echo.HeaderAuthorization)); ok {
			// The token service's verified-token cache: a flood that repeats one token is
			// classified without parsing and checking it each time.
			if claims, err := l.tokens.VerifyCached(auth.KindAccess, raw); err == nil {
				m.user = claims.UserID.String()
			}
		}
		if m.user == "" {
			if err := l.spend(c, m, l.anon, clientAddress(c)); err != nil {
				return err
			}
			return next(c)
		}
		if org := l.namedOrganization(c); org != "" && l.members.known(m.user, org) {
			return l.inOrganization(c, m, org, next)
		}
		err := next(c)
		if m.counted {
			return err
		}
		p, key := l.user, m.user
		if err != nil && clientError(err).Kind == apperr.KindUnauthorized {
			p, key = l.anon, clientAddress(c)
		}
		if lerr := l.spend(c, m, p, key); lerr != nil {
			return lerr
		}
		return err
	}
}

// tenant is registered after resolveCaller.
func (l *limiter) tenant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m, ok := c.Get(ctxRateMeter).(*rateMeter)
		if !ok || m.counted {
			return next(c)
		}
		ctx := c.Request().Context()
		p, err := tenancy.PrincipalFrom(ctx)
		if err != nil {
			// A public operation: whatever credentials the request carries play no part in it.
			if err := l.spend(c, m, l.anon, clientAddress(c)); err != nil {
				return err
			}
			return next(c)
		}
		mem, err := tenancy.MembershipFrom(ctx)
		if err != nil {
			if err := l.spend(c, m, l.user, p.UserID.String()); err != nil {
				return err
			}
			return next(c)
		}
		org := mem.OrganizationID.String()
		l.members.remember(p.UserID.String(), org)
		return l.inOrganization(c, m, org, next)
	}
}

// inOrganization counts the request against org's budget and runs it in one of org's slots.
func (l *limiter) inOrganization(c echo.Context, m *rateMeter, org string, next echo.HandlerFunc) error {
	if err := l.spend(c, m, l.org, org); err != nil {
		return err
	}
	release, err := l.acquire(c, org)
	if err != nil {
		return err
	}
	defer release()
	return next(c)
}

// acquire takes one of org's slots, and one of its analytics slots for an analytics request.
func (l *limiter) acquire(c echo.Context, org string) (func(), error) {
	release, ok := l.running.TryAcquire(org, l.orgMax)
	if !ok {
		return nil, errTooManyRunning
	}
	if !strings.HasPrefix(c.Path(), analyticsPrefix) {
		return release, nil
	}
	releaseAnalytics, ok := l.analytics.TryAcquire(org, l.analyticMax)
	if !ok {
		release()
		return nil, errTooManyRunning
	}
	return func() { releaseAnalytics(); release() }, nil
}

// namedOrganization is the organization a request of a tenant operation names, as resolveCaller
// will read it: the organization_id of the path, else one canonical X-Organization-Id; "" when
// there is none or the operation does not act in an organization.
func (l *limiter) namedOrganization(c echo.Context) string {
	// A public operation, such as login, stays on the address's budget whatever the request names.
	if !l.guards.inOrganization(c.Request().Method, c.Path()) {
		return ""
	}
	raw := c.Param("organization_id")
	if raw == "" {
		values := c.Request().Header.Values(headerOrganization)
		if len(values) != 1 {
			return ""
		}
		raw = values[0]
	}
	if !canonicalUUID.MatchString(raw) {
		return ""
	}
	return strings.ToLower(raw)
}

// memberCache remembers the (user, organization) memberships resolveCaller found, for ttl.
type memberCache struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	until     map[[2]string]time.Time
	lastSweep time.Time
}

func newMemberCache(ttl time.Duration, now func() time.Time) *memberCache {
	return &memberCache{ttl: ttl, now: now, until: map[[2]string]time.Time{}}
}

func (mc *memberCache) remember(user, org string) {
	now := mc.now()
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if now.Sub(mc.lastSweep) >= mc.ttl {
		for k, until := range mc.until {
			if !until.After(now) {
				delete(mc.until, k)
			}
		}
		mc.lastSweep = now
	}
	mc.until[[2]string{user, org}] = now.Add(mc.ttl)
}

func (mc *memberCache) known(user, org string) bool {
	now := mc.now()
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.until[[2]string{user, org}].After(now)
}

// hold keeps a refused request waiting for refusalDelay (less if the client goes away, not at all
// when maxHeldRefusals are waiting already), and returns its error with the wait taken off
// Retry-After. Nothing is held meanwhile: no slot, no connection to the database.
func (l *limiter) hold(ctx context.Context, refusal *apperr.Error) error {
	if l.refusalDelay <= 0 {
		return refusal
	}
	select {
	case l.holding <- struct{}{}:
	default:
		return refusal
	}
	defer func() { <-l.holding }()
	start := time.Now()
	t := time.NewTimer(l.refusalDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	out := *refusal
	out.RetryAfter = max(1, refusal.RetryAfter-int(time.Since(start)/time.Second))
	return &out
}

// spend counts the request against key's budget of p, and sets the RateLimit headers.
func (l *limiter) spend(c echo.Context, m *rateMeter, p ratePolicy, key string) error {
	m.counted = true
	res := l.store.Allow(c.Request().Context(), p.name+":"+key, p.limit)
	h := c.Response().Header()
	h.Set(headerRateLimitPolicy, p.header)
	h.Set(headerRateLimit, `"`+p.name+`";r=`+strconv.Itoa(res.Remaining)+";t="+strconv.Itoa(ceilSeconds(res.ResetAfter)))
	if !res.Allowed {
		return &apperr.Error{Kind: apperr.KindTooManyRequests, Code: codeRateLimited,
			Message:    "Too many requests; try again after Retry-After seconds.",
			RetryAfter: max(1, ceilSeconds(res.RetryAfter))}
	}
	return nil
}

const codeRateLimited = "rate_limited"

var errTooManyRunning = &apperr.Error{Kind: apperr.KindTooManyRequests, Code: codeRateLimited,
	Message: "Too many requests of this organization are running at once; try again shortly.", RetryAfter: 1}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

func underAPI(path string) bool {
	return path == apiPrefix || strings.HasPrefix(path, apiPrefix+"/")
}

// isPreflight reports a CORS preflight: it does no work and is answered by the CORS middleware;
// a browser sends one before many of its requests, which must not spend the address's budget.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// clientAddress is the key of an anonymous caller: the client address (c.RealIP, which honours
// TRUSTED_PROXIES) as the login throttle keys it, an IPv6 address by its /64.
func clientAddress(c echo.Context) string { return auth.AddressKey(c.RealIP()) }
