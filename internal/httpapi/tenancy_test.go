package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tenancyPublicOperations are the only operations that may be called without a token. An operation
// added to the spec with `security: []` (or an empty alternative) fails
// TestTenancy_EveryProtectedOperationRejectsAnonymousCallers until it is listed here on purpose.
// Keys are lower case: the embedded spec's operation ids may come back capitalised.
var tenancyPublicOperations = map[string]bool{
	"gethealthz": true, "getreadyz": true,
	"register": true, "login": true, "refreshtokens": true, "logout": true,
}

// tenancyOp is one operation of openapi.yaml, with what the walk needs to call it.
type tenancyOp struct {
	id, method, path string
	public           bool // some security alternative needs nothing
	bearer           bool // every security alternative needs bearerAuth
	orgHeader        bool // a security alternative needs organizationHeader
	orgPath          bool // the path names the organization (organization_id)
	op               *openapi3.Operation
	item             *openapi3.PathItem
}

func (o tenancyOp) String() string { return o.id + " (" + o.method + " " + o.path + ")" }

var tenancyPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// pathParams are the names of the operation's path parameters, in path order.
func (o tenancyOp) pathParams() []string {
	var out []string
	for _, m := range tenancyPathParam.FindAllStringSubmatch(o.path, -1) {
		out = append(out, m[1])
	}
	return out
}

// tenancyOps walks every operation of the embedded spec, in a stable order.
func tenancyOps(t *testing.T) []tenancyOp {
	t.Helper()
	spec, err := api.GetSpec()
	require.NoError(t, err)
	var ops []tenancyOp
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			require.NotEmpty(t, op.OperationID, "%s %s has no operationId", method, path)
			sec := spec.Security
			if op.Security != nil {
				sec = *op.Security
			}
			o := tenancyOp{id: op.OperationID, method: method, path: path, op: op, item: item,
				public: len(sec) == 0, bearer: len(sec) > 0}
			for _, req := range sec {
				if len(req) == 0 {
					o.public = true
				}
				if _, ok := req["bearerAuth"]; !ok {
					o.bearer = false
				}
				if _, ok := req["organizationHeader"]; ok {
					o.orgHeader = true
				}
			}
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				if ps.GetByInAndName(openapi3.ParameterInPath, "organization_id") != nil {
					o.orgPath = true
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	require.NotEmpty(t, ops)
	return ops
}

// tenancyCall describes one call of an operation: its path parameters, its credentials and
// headers, and its body.
type tenancyCall struct {
	params    map[string]string // path parameter → value; any other is a random UUID
	validBody bool              // send the spec's example body (must pass validation) instead of {}
	token     string            // bearer token; "" sends none
	header    http.Header
}

// tenancyRequest builds a request for op: required query parameters take their example or
// default, the body is {} or the spec's example.
func tenancyRequest(t *testing.T, o tenancyOp, c tenancyCall) apptest.Request {
	t.Helper()
	path := tenancyPathParam.ReplaceAllStringFunc(o.path, func(m string) string {
		if v, ok := c.params[m[1:len(m)-1]]; ok {
			return url.PathEscape(v)
		}
		return uuid.NewString()
	})
	q := url.Values{}
	for _, ps := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, pr := range ps {
			p := pr.Value
			if p.In != openapi3.ParameterInQuery || !p.Required {
				continue
			}
			v := p.Example
			if v == nil && p.Schema != nil && p.Schema.Value != nil {
				v = p.Schema.Value.Example
				if v == nil {
					v = p.Schema.Value.Default
				}
			}
			require.NotNil(t, v, "%s: required query parameter %q needs an example in openapi.yaml", o, p.Name)
			b, err := json.Marshal(v)
			require.NoError(t, err)
			q.Set(p.Name, strings.Trim(string(b), `"`))
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	r := apptest.Request{Method: strings.ToUpper(o.method), Path: path, Token: c.token, Header: c.header}
	if o.op.RequestBody != nil && o.op.RequestBody.Value != nil {
		r.Body = []byte(`{}`)
		if c.validBody {
			r.ContentType, r.Body = exampleBody(t, o.op) // the tenancy walk sends the spec's example
		}
	}
	return r
}

// tenancyOrgScoped are the operations that act in an organization.
func tenancyOrgScoped(t *testing.T) []tenancyOp {
	var out []tenancyOp
	for _, o := range tenancyOps(t) {
		if o.orgHeader || o.orgPath {
			out = append(out, o)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// tenancyIn returns the request of op as the holder of token, acting in the organization
// params["organization_id"] names (in the path or the header).
func tenancyIn(t *testing.T, o tenancyOp, token string, params map[string]string) apptest.Request {
	t.Helper()
	c := tenancyCall{params: params, validBody: true, token: token}
	if o.orgHeader {
		c.header = http.Header{"X-Organization-Id": {params["organization_id"]}}
	}
	return tenancyRequest(t, o, c)
}

// tenancyRequireNotAMember asserts the 403 not_a_member answer and returns its body without the
// request id.
func tenancyRequireNotAMember(t *testing.T, res *http.Response, body []byte) map[string]any {
	t.Helper()
	problemOf(t, res, body, http.StatusForbidden, "not_a_member")
	assert.NotContains(t, string(body), "organization_id", "no hint which organization was named")
	return withoutRequestID(t, body)
}

// tenancySeed is one of everything in a team's organization — a member besides the owner, a
// contact, a deal on it, a task and a comment — for the walks to aim at: the path parameters of
// their requests name these, and what they refuse must leave the organization as it was and show
// nothing of it.
type tenancySeed struct {
	app     *apptest.App
	org     uuid.UUID
	ids     map[string]uuid.UUID // path parameter → id
	markers []string             // text of the organization no refusal may show
}

func newTenancySeed(t *testing.T, tm *apptest.Team) tenancySeed {
	t.Helper()
	member := tm.Member(t)
	c := tm.App.CreateContact(t, tm.Owner, tm.Org, client.ContactCreate{Name: "Seeded contact", Email: apptest.Ptr("seeded@example.com")})
	d := tm.App.Deal(t, tm.Owner, tm.Org, &apptest.DealOptions{Title: "Seeded deal", Amount: "4242.42", ContactID: &c.Id})
	task := tm.App.CreateTask(t, tm.Owner, tm.Org, client.TaskCreate{DealId: d.Id, Title: "Seeded task"})
	tm.App.Comment(t, tm.Owner, tm.Org, d.Id, "Seeded comment")
	return tenancySeed{app: tm.App, org: tm.Org,
		ids:     map[string]uuid.UUID{"user_id": member.ID, "contact_id": c.Id, "deal_id": d.Id, "task_id": task.Id},
		markers: []string{"Seeded", "seeded@", "4242.42", member.Email, "owner's organization"}}
}

// params names the seed in every path parameter.
func (s tenancySeed) params() map[string]string {
	out := map[string]string{"organization_id": s.org.String()}
	for name, id := range s.ids {
		out[name] = id.String()
	}
	return out
}

// state is everything of the organization in the database, to compare before and after a walk.
func (s tenancySeed) state(t *testing.T) string {
	t.Helper()
	var state string
	require.NoError(t, s.app.Pool.QueryRow(t.Context(), `SELECT jsonb_build_object(
		'organization', (SELECT to_jsonb(o) FROM organizations o WHERE o.id = $1),
		'members', (SELECT jsonb_agg(m ORDER BY m.user_id) FROM organization_members m WHERE m.organization_id = $1),
		'contacts', (SELECT jsonb_agg(c ORDER BY c.id) FROM contacts c WHERE c.organization_id = $1),
		'deals', (SELECT jsonb_agg(d ORDER BY d.id) FROM deals d WHERE d.organization_id = $1),
		'tasks', (SELECT jsonb_agg(k ORDER BY k.id) FROM tasks k WHERE k.organization_id = $1),
		'activities', (SELECT jsonb_agg(a ORDER BY a.id) FROM activities a WHERE a.organization_id = $1))::text`,
		s.org).Scan(&state))
	return state
}

// tenancyProblemKeys are the members of a problem document (the Problem schema).
var tenancyProblemKeys = []string{"type", "title", "status", "detail", "code", "request_id", "errors", "existing_id"}

// tellsNothing asserts that a refusal carries the problem only: no member outside the Problem
// schema, and none of the seed's data.
func (s tenancySeed) tellsNothing(t *testing.T, body []byte) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m), "body: %s", body)
	for k := range m {
		assert.Contains(t, tenancyProblemKeys, k, "a refusal carries the problem only: %s", body)
	}
	for _, marker := range s.markers {
		assert.NotContains(t, string(body), marker, "a refusal shows nothing of the organization")
	}
}

func TestTenancy_EveryProtectedOperationRejectsAnonymousCallers(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app := tm.App
	seed := newTenancySeed(t, tm)   // what the requests name
	gone := app.Register(t, "gone") // a user whose session ends before the walk
	require.Equal(t, http.StatusNoContent, authLogout(t, app, gone.Refresh).StatusCode())
	before := seed.state(t)
	orgHeader := http.Header{"X-Organization-Id": {seed.org.String()}}

	var public []string
	protected := 0
	for _, o := range tenancyOps(t) {
		if o.public {
			public = append(public, strings.ToLower(o.id))
			assert.True(t, tenancyPublicOperations[strings.ToLower(o.id)], "%s is callable without a token; if that is intended, add it to tenancyPublicOperations", o)
			continue
		}
		assert.True(t, o.bearer, "%s: every security alternative must require bearerAuth", o)
		protected++
		t.Run(o.id, func(t *testing.T) {
			// No token, {} body (invalid for most operations: the 401 must win over the schema).
			res, body := app.Do(t, tenancyRequest(t, o, tenancyCall{params: seed.params()}))
			authUnauthorized(t, res, body, false)
			seed.tellsNothing(t, body)

			// No token but a valid body, and a well-formed organization header where one is needed.
			c := tenancyCall{params: seed.params(), validBody: true}
			if o.orgHeader {
				c.header = orgHeader
			}
			res, body = app.Do(t, tenancyRequest(t, o, c))
			authUnauthorized(t, res, body, false)
			seed.tellsNothing(t, body)

			// A bad token, and the unexpired token of a session that was logged out.
			for _, tok := range []string{"garbage", gone.Refresh, gone.Access} {
				res, body = app.Do(t, tenancyRequest(t, o, tenancyCall{params: seed.params(), validBody: true, token: tok, header: orgHeader}))
				authUnauthorized(t, res, body, true)
				seed.tellsNothing(t, body)
			}
		})
	}
	sort.Strings(public)
	var want []string
	for id := range tenancyPublicOperations {
		want = append(want, id)
	}
	sort.Strings(want)
	assert.Equal(t, want, public, "the public operations of the spec")
	assert.Greater(t, protected, len(public), "the walk saw the protected operations")
	assert.Equal(t, before, seed.state(t), "no refused request changed the organization")
}

func TestTenancy_NonMemberUnknownAndDeletedOrganizationsAnswerIdentically(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil) // the owner's organization is the target
	app, owner, outsider := tm.App, tm.Owner, tm.Outsider(t)
	seed := newTenancySeed(t, tm)

	// An organization the outsider owned and deleted: they were a member until a moment ago.
	created, err := app.Client.CreateOrganizationWithResponse(t.Context(), client.CreateOrganizationJSONRequestBody{Name: "Doomed"}, outsider.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "body: %s", created.Body)
	deleted := created.JSON201.Id
	del, err := app.Client.DeleteOrganizationWithResponse(t.Context(), deleted, outsider.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)
	before := seed.state(t)

	targets := map[string]uuid.UUID{"not a member": owner.OrgID, "unknown": uuid.New(), "deleted": deleted}
	var reference map[string]any
	for _, o := range tenancyOrgScoped(t) {
		t.Run(o.id, func(t *testing.T) {
			for name, org := range targets {
				// The other path parameters name the target organization's own data.
				params := seed.params()
				params["organization_id"] = org.String()
				res, body := app.Do(t, tenancyIn(t, o, outsider.Access, params))
				got := tenancyRequireNotAMember(t, res, body)
				seed.tellsNothing(t, body)
				if reference == nil {
					reference = got
				}
				assert.Equal(t, reference, got, "%s: the answer for %q differs", o, name)
			}
		})
	}

	// Nothing of the target organization changed.
	assert.Equal(t, before, seed.state(t))
	org, err := app.Client.GetOrganizationWithResponse(t.Context(), owner.OrgID, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, org.StatusCode(), "body: %s", org.Body)
	assert.Equal(t, "owner's organization", org.JSON200.Name)
	members, err := app.Client.ListMembersWithResponse(t.Context(), owner.OrgID, &client.ListMembersParams{}, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, members.StatusCode(), "body: %s", members.Body)
	roles := map[uuid.UUID]client.Role{}
	for _, m := range members.JSON200.Items {
		roles[m.UserId] = m.Role
	}
	assert.Equal(t, map[uuid.UUID]client.Role{owner.ID: client.RoleOwner, seed.ids["user_id"]: client.RoleMember}, roles)
}

// tenancyMalformedOrgIDs are spellings of an organization id that must not be taken for one.
func tenancyMalformedOrgIDs(org uuid.UUID) map[string]string {
	return map[string]string{
		"word":              "abc",
		"number":            "123",
		"32 hex":            strings.ReplaceAll(org.String(), "-", ""),
		"braces":            "{" + org.String() + "}",
		"urn":               "urn:uuid:" + org.String(),
		"37 characters":     org.String() + "0",
		"sql":               "' OR 1=1--",
		"8 KB":              strings.Repeat("a", 8<<10),
		"uuid then garbage": org.String() + "x",
	}
}

func TestTenancy_TenantRoutesNeedExactlyOneWellFormedOrganizationHeader(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, ada := tm.App, tm.Owner
	seed := newTenancySeed(t, tm) // what the requests name
	bob := app.Register(t, "bob")
	app.AddMember(t, bob, bob.OrgID, ada, client.RoleMember) // ada belongs to both
	before := seed.state(t)

	headerOps, pathOps := 0, 0
	for _, o := range tenancyOps(t) {
		if o.orgHeader {
			headerOps++
			t.Run("header/"+o.id, func(t *testing.T) {
				call := func(h http.Header) (*http.Response, []byte) {
					return app.Do(t, tenancyRequest(t, o, tenancyCall{params: seed.params(), validBody: true, token: ada.Access, header: h}))
				}
				res, body := call(nil)
				problemOf(t, res, body, http.StatusBadRequest, "organization_header_required")
				seed.tellsNothing(t, body)

				bad := tenancyMalformedOrgIDs(ada.OrgID)
				bad["empty"] = ""
				bad["blank"] = "   "
				bad["two ids in one line"] = ada.OrgID.String() + ", " + bob.OrgID.String()
				for name, v := range bad {
					res, body = call(http.Header{"X-Organization-Id": {v}})
					p := problemOf(t, res, body, http.StatusBadRequest, "invalid_organization_header")
					if len(v) > 3 {
						assert.NotContains(t, string(body), v, "%s: the value is not echoed", name)
					}
					assert.Empty(t, fieldsOf(p))
					seed.tellsNothing(t, body)
				}
				// Two header lines, in both orders, even for two organizations the caller is in.
				for _, pair := range [][2]uuid.UUID{{ada.OrgID, bob.OrgID}, {bob.OrgID, ada.OrgID}, {ada.OrgID, ada.OrgID}} {
					res, body = call(http.Header{"X-Organization-Id": {pair[0].String(), pair[1].String()}})
					problemOf(t, res, body, http.StatusBadRequest, "invalid_organization_header")
					seed.tellsNothing(t, body)
				}
			})
		}
		if o.orgPath {
			pathOps++
			t.Run("path/"+o.id, func(t *testing.T) {
				for name, v := range tenancyMalformedOrgIDs(ada.OrgID) {
					params := seed.params()
					params["organization_id"] = v
					res, body := app.Do(t, tenancyRequest(t, o, tenancyCall{params: params, validBody: true, token: ada.Access}))
					p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
					assert.Contains(t, fieldsOf(p), "organization_id", "%s: %s", name, body)
					seed.tellsNothing(t, body)
				}
			})
		}
	}
	assert.Positive(t, pathOps, "organization-management routes exercised")
	t.Logf("%d header-scoped and %d path-scoped operations exercised", headerOps, pathOps)

	// A well-formed header in another case of the header name and of the hex digits is the same
	// header: it passes the header check and fails only the membership check for a stranger.
	stranger := app.Register(t, "stranger")
	for _, o := range tenancyOps(t) {
		if !o.orgHeader {
			continue
		}
		for _, h := range []http.Header{
			{"x-organization-id": {ada.OrgID.String()}},
			{"X-ORGANIZATION-ID": {strings.ToUpper(ada.OrgID.String())}},
		} {
			res, body := app.Do(t, tenancyRequest(t, o, tenancyCall{params: seed.params(), validBody: true, token: stranger.Access, header: h}))
			tenancyRequireNotAMember(t, res, body)
			seed.tellsNothing(t, body)
		}
	}
	assert.Equal(t, before, seed.state(t), "no refused request changed the organization")
}

func TestTenancy_PathOrganizationIsNotOverriddenByTheHeader(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")

	// Ada reads her organization while naming Bob's in the header: the path wins, the header is
	// not a tenant on this route.
	res, err := app.Client.GetOrganizationWithResponse(t.Context(), ada.OrgID, ada.Auth(), apptest.Org(bob.OrgID))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, ada.OrgID, res.JSON200.Id)

	// Bob's organization in the path stays closed to Ada whatever the header says.
	res, err = app.Client.GetOrganizationWithResponse(t.Context(), bob.OrgID, ada.Auth(), apptest.Org(ada.OrgID))
	require.NoError(t, err)
	tenancyRequireNotAMember(t, res.HTTPResponse, res.Body)
	require.NotNil(t, res.ApplicationproblemJSON403)
	assert.Equal(t, "not_a_member", res.ApplicationproblemJSON403.Code)

	// The organization id in the path is case-insensitive hex: upper case names the same one.
	raw, body := app.Do(t, apptest.Request{Path: "/api/v1/organizations/" + strings.ToUpper(ada.OrgID.String()), Token: ada.Access})
	require.Equal(t, http.StatusOK, raw.StatusCode, "body: %s", body)
	var got client.Organization
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, ada.OrgID, got.Id)
}

func TestTenancy_RemovedMemberLosesAccessImmediately(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	mia := app.Register(t, "mia")
	org := owner.OrgID
	app.AddMember(t, owner, org, mia, client.RoleAdmin)

	got, err := app.Client.GetOrganizationWithResponse(t.Context(), org, mia.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)

	rm, err := app.Client.RemoveMemberWithResponse(t.Context(), org, mia.ID, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, rm.StatusCode(), "body: %s", rm.Body)

	// Mia's access token is still valid (same session, not expired), yet the very next request in
	// the organization is refused, on every organization-scoped operation.
	authMeOK(t, app, mia.Access)
	for _, o := range tenancyOrgScoped(t) {
		res, body := app.Do(t, tenancyIn(t, o, mia.Access, map[string]string{"organization_id": org.String()}))
		tenancyRequireNotAMember(t, res, body)
	}
	// A refreshed token does not bring the membership back.
	pair := authRefreshOK(t, app, mia.Refresh)
	got, err = app.Client.GetOrganizationWithResponse(t.Context(), org, apptest.Bearer(pair.AccessToken))
	require.NoError(t, err)
	tenancyRequireNotAMember(t, got.HTTPResponse, got.Body)

	me := authMeOK(t, app, pair.AccessToken)
	for _, m := range me.Memberships {
		assert.NotEqual(t, org, m.OrganizationId, "the removed membership is gone from /auth/me")
	}
	// The owner still has the organization, with one member left.
	members, err := app.Client.ListMembersWithResponse(t.Context(), org, &client.ListMembersParams{}, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, members.StatusCode(), "body: %s", members.Body)
	assert.Len(t, members.JSON200.Items, 1)
}

func TestTenancy_DeletedOrganizationIsNotAMemberForEveryone(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	max := app.Register(t, "max")
	outsider := app.Register(t, "outsider")
	org := owner.OrgID
	app.AddMember(t, owner, org, max, client.RoleManager)

	del, err := app.Client.DeleteOrganizationWithResponse(t.Context(), org, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)

	// The answer for the deleted organization is the one a stranger gets for an unknown one.
	unknown, err := app.Client.GetOrganizationWithResponse(t.Context(), uuid.New(), outsider.Auth())
	require.NoError(t, err)
	reference := tenancyRequireNotAMember(t, unknown.HTTPResponse, unknown.Body)

	for _, u := range []apptest.User{owner, max} {
		for _, o := range tenancyOrgScoped(t) {
			res, body := app.Do(t, tenancyIn(t, o, u.Access, map[string]string{"organization_id": org.String()}))
			assert.Equal(t, reference, tenancyRequireNotAMember(t, res, body), "%s as %s", o, u.Name)
		}
		for _, m := range authMeOK(t, app, u.Access).Memberships {
			assert.NotEqual(t, org, m.OrganizationId, "%s: the deleted organization is gone from /auth/me", u.Name)
		}
	}
}
