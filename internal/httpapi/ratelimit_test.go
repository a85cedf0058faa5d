package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	rlPolicyHeader = regexp.MustCompile(`^"(anon|org|user)";q=(\d+);w=60$`)
	rlStateHeader  = regexp.MustCompile(`^"(anon|org|user)";r=(\d+);t=(\d+)$`)
)

// rlBudget asserts the RateLimit headers name policy with quota q, and returns what remains.
func rlBudget(t *testing.T, res *http.Response, policy string, q int) int {
	t.Helper()
	p := rlPolicyHeader.FindStringSubmatch(res.Header.Get("RateLimit-Policy"))
	require.NotNil(t, p, "RateLimit-Policy %q (status %d)", res.Header.Get("RateLimit-Policy"), res.StatusCode)
	s := rlStateHeader.FindStringSubmatch(res.Header.Get("RateLimit"))
	require.NotNil(t, s, "RateLimit %q (status %d)", res.Header.Get("RateLimit"), res.StatusCode)
	assert.Equal(t, policy, p[1], "policy (status %d)", res.StatusCode)
	assert.Equal(t, strconv.Itoa(q), p[2], "quota")
	assert.Equal(t, policy, s[1], "RateLimit names the same policy")
	r, _ := strconv.Atoi(s[2])
	reset, _ := strconv.Atoi(s[3])
	assert.LessOrEqual(t, reset, 60)
	return r
}

// rlLimited asserts a 429 rate_limited with a Retry-After of at least one second, and returns it.
func rlLimited(t *testing.T, res *http.Response, body []byte) int {
	t.Helper()
	problemOf(t, res, body, http.StatusTooManyRequests, "rate_limited")
	retry, err := strconv.Atoi(res.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", res.Header.Get("Retry-After"))
	assert.GreaterOrEqual(t, retry, 1)
	return retry
}

func rlLogin(email string) []byte {
	b, _ := json.Marshal(map[string]string{"email": email, "password": "wrong-password-123"})
	return b
}

func TestRateLimit_AnonymousRequestsCountPerClientAddress(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{AnonPerMinute: 3}})
	login := func() (*http.Response, []byte) {
		return app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login", Body: rlLogin(apptest.UniqueEmail("nobody"))})
	}
	first := time.Now()
	for want := 2; want >= 0; want-- {
		res, body := login()
		problemOf(t, res, body, http.StatusUnauthorized, "invalid_credentials")
		assert.Equal(t, want, rlBudget(t, res, "anon", 3))
	}
	res, body := login()
	retry := rlLimited(t, res, body)
	assert.Equal(t, 0, rlBudget(t, res, "anon", 3))
	// One request comes back every 60/3 s, counted from the first: the logins themselves take
	// time (a loaded machine has seen 3 s), which the wait that is left no longer includes.
	spent := time.Since(first).Seconds()
	assert.LessOrEqual(t, float64(retry), 20+1.0, "one request comes back every 60/3 s")
	assert.GreaterOrEqual(t, float64(retry), 20-spent-1, "one request comes back every 60/3 s (%.1f s spent)", spent)

	// Registration is anonymous too: the same address is out of budget.
	res, body = app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/register",
		Body: []byte(`{"email":"x@example.com","password":"long-enough-password","name":"X","organization_name":"X"}`)})
	rlLimited(t, res, body)

	// Another client address (the socket peer 127.0.0.2) has a budget of its own. (This client
	// does not check the contract: the default transport always connects from 127.0.0.1.)
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	defer other.CloseIdleConnections()
	for want := 2; want >= 1; want-- {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, app.URL+"/api/v1/auth/login",
			bytes.NewReader(rlLogin(apptest.UniqueEmail("other"))))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		res, err := other.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		assert.Equal(t, want, rlBudget(t, res, "anon", 3))
	}

	// The probes and the documentation are not limited, and say nothing of budgets.
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/docs"} {
		res, _ := app.Do(t, apptest.Request{Path: path})
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.Empty(t, res.Header.Get("RateLimit-Policy"), path)
	}
	// An unknown route under /api/v1 is counted like any other request.
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/no-such-thing"})
	rlLimited(t, res, body)
}

func TestRateLimit_RequestsWithoutValidCredentialsCountAsAnonymous(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{AnonPerMinute: 5, OrgPerMinute: 100}})
	u := app.Register(t, "ada") // spends one anonymous request

	// A malformed token and an expired session are anonymous: 401 against the address.
	res, body := app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: "not-a-token"})
	problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, 3, rlBudget(t, res, "anon", 5))

	ended := app.Register(t, "bob") // spends another
	res, body = app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/logout",
		Body: []byte(`{"refresh_token":"` + ended.Refresh + `"}`)}) // and the logout a third
	require.Equal(t, http.StatusNoContent, res.StatusCode, "%s", body)
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: ended.Access})
	problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, 0, rlBudget(t, res, "anon", 5), "a verified token of an ended session is a 401 like any other")
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: ended.Access})
	rlLimited(t, res, body)

	// A live session is not held up by the anonymous traffic of its address.
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: u.Access})
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	assert.Equal(t, 99, rlBudget(t, res, "user", 100))
}

func TestRateLimit_AuthenticatedRequestsCountPerOrganizationElsePerUser(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgPerMinute: 6}})
	owner := app.Register(t, "owner")
	org := owner.OrgID
	// Joining spends one of org (the owner's invitation) and one of the member's own (accepting).
	member := app.Member(t, owner, org, "member", client.RoleManager)

	// The members of an organization share its budget, whichever way it is named.
	res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: owner.Access, Org: org})
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	assert.Equal(t, 4, rlBudget(t, res, "org", 6))
	res, _ = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: member.Access, Org: org})
	assert.Equal(t, 3, rlBudget(t, res, "org", 6))
	res, _ = app.Do(t, apptest.Request{Path: "/api/v1/organizations/" + org.String(), Token: member.Access})
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 2, rlBudget(t, res, "org", 6))

	// Requests acting in no organization count per user: accepting the invitation, then this one.
	res, _ = app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: member.Access})
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 4, rlBudget(t, res, "user", 6))

	for range 2 {
		res, _ = app.Do(t, apptest.Request{Path: "/api/v1/deals", Token: owner.Access, Org: org})
		require.Equal(t, http.StatusOK, res.StatusCode)
	}
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: member.Access, Org: org})
	rlLimited(t, res, body)
	assert.Equal(t, 0, rlBudget(t, res, "org", 6))

	// The organization's exhaustion is its own: another organization of the same user is served.
	res, body = app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/organizations", Token: owner.Access,
		Body: []byte(`{"name":"Second"}`)})
	require.Equal(t, http.StatusCreated, res.StatusCode, "%s", body)
	var second client.Organization
	require.NoError(t, json.Unmarshal(body, &second))
	res, _ = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: owner.Access, Org: second.Id})
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 5, rlBudget(t, res, "org", 6))
}

func TestRateLimit_NamingAnotherOrganizationDoesNotSpendItsBudget(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgPerMinute: 3}})
	victim := app.Register(t, "victim")
	outsider := app.Register(t, "outsider")

	for i := range 5 {
		res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: outsider.Access, Org: victim.OrgID})
		if i < 3 {
			problemOf(t, res, body, http.StatusForbidden, "not_a_member")
		} else {
			rlLimited(t, res, body)
		}
		assert.Equal(t, max(0, 2-i), rlBudget(t, res, "user", 3), "the outsider spends their own budget")
	}
	// A request that fails validation before its organization is resolved counts per user too.
	res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts?page=0", Token: victim.Access, Org: victim.OrgID})
	problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
	assert.Equal(t, 2, rlBudget(t, res, "user", 3))

	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: victim.Access, Org: victim.OrgID})
	require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	assert.Equal(t, 2, rlBudget(t, res, "org", 3), "the victim's organization has its whole budget")

	// Once the membership is known, the member's requests count against the organization from the
	// start, even one that fails validation; the outsider's still do not.
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts?page=0", Token: victim.Access, Org: victim.OrgID})
	problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
	assert.Equal(t, 1, rlBudget(t, res, "org", 3))
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: outsider.Access, Org: victim.OrgID})
	rlLimited(t, res, body)
	assert.Equal(t, 0, rlBudget(t, res, "user", 3))
}

// TestRateLimit_AKnownMembersExcessIsRefusedBeforeAnyWork: once a membership has been seen, a
// member's requests past the organization's budget are refused without the database. The test
// holds every connection of the pool: a refusal that needed one would hang.
func TestRateLimit_AKnownMembersExcessIsRefusedBeforeAnyWork(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgPerMinute: 2}})
	u := app.Register(t, "flood")
	for range 2 {
		res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: u.Access, Org: u.OrgID})
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	}

	var held []*pgxpool.Conn
	for range app.Pool.Config().MaxConns {
		conn, err := app.Pool.Acquire(t.Context())
		require.NoError(t, err)
		held = append(held, conn)
	}
	defer func() {
		for _, conn := range held {
			conn.Release()
		}
	}()
	for _, path := range []string{"/api/v1/contacts", "/api/v1/analytics/deals/summary", "/api/v1/organizations/" + u.OrgID.String()} {
		start := time.Now()
		res, body := app.Do(t, apptest.Request{Path: path, Token: u.Access, Org: u.OrgID})
		rlLimited(t, res, body)
		assert.Equal(t, 0, rlBudget(t, res, "org", 2))
		assert.Less(t, time.Since(start), time.Second, path)
	}
}

// rlPathParam matches the path parameters of the spec's paths.
var rlPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestRateLimit_EveryOperationAnswers429PastTheBudget walks every /api/v1 operation of the spec
// with every budget spent: each answers 429 rate_limited with the RateLimit headers and Retry-After
// (the contract transport checks them against openapi.yaml).
func TestRateLimit_EveryOperationAnswers429PastTheBudget(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{AnonPerMinute: 1, OrgPerMinute: 1}})
	u := app.Register(t, "ada") // the address's only anonymous request
	// Spend the user's and the organization's only requests.
	res, _ := app.Do(t, apptest.Request{Path: "/api/v1/auth/me", Token: u.Access})
	require.Equal(t, http.StatusOK, res.StatusCode)
	res, _ = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: u.Access, Org: u.OrgID})
	require.Equal(t, http.StatusOK, res.StatusCode)

	spec, err := api.GetSpec()
	require.NoError(t, err)
	var paths []string
	for path := range spec.Paths.Map() {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	walked := 0
	for _, path := range paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		item := spec.Paths.Value(path)
		for method, op := range item.Operations() {
			t.Run(op.OperationID, func(t *testing.T) {
				r := apptest.Request{Method: method, Token: u.Access, Org: u.OrgID, Path: rlPathParam.ReplaceAllStringFunc(path,
					func(m string) string {
						if m == "{organization_id}" {
							return u.OrgID.String()
						}
						return uuid.NewString()
					})}
				if q := rlRequiredQuery(t, item, op); q != "" {
					r.Path += "?" + q
				}
				if op.RequestBody != nil {
					r.ContentType, r.Body = exampleBody(t, op)
				}
				res, body := app.Do(t, r)
				rlLimited(t, res, body)
			})
			walked++
		}
	}
	assert.Greater(t, walked, 30)
}

// rlRequiredQuery gives each required query parameter its example or default.
func rlRequiredQuery(t *testing.T, item *openapi3.PathItem, op *openapi3.Operation) string {
	q := url.Values{}
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, pr := range ps {
			p := pr.Value
			if p.In != openapi3.ParameterInQuery || !p.Required {
				continue
			}
			v := p.Example
			if v == nil && p.Schema != nil {
				v = p.Schema.Value.Example
				if v == nil {
					v = p.Schema.Value.Default
				}
			}
			require.NotNil(t, v, "%s: required query parameter %q needs an example", op.OperationID, p.Name)
			b, err := json.Marshal(v)
			require.NoError(t, err)
			q.Set(p.Name, strings.Trim(string(b), `"`))
		}
	}
	return q.Encode()
}

// TestRateLimit_ARefusalIsHeldBeforeItIsAnswered: a client retrying in a tight loop is slowed
// down to one refusal per RefusalDelay per connection.
func TestRateLimit_ARefusalIsHeldBeforeItIsAnswered(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgPerMinute: 1, RefusalDelay: 300 * time.Millisecond}})
	u := app.Register(t, "looper")
	res, _ := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: u.Access, Org: u.OrgID})
	require.Equal(t, http.StatusOK, res.StatusCode)
	for range 2 {
		start := time.Now()
		res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: u.Access, Org: u.OrgID})
		rlLimited(t, res, body)
		assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	}
}
