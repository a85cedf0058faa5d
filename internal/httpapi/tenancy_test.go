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

var tenancyPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// tenancyCall describes one call of an operation: the organization (path or header) and how
// to dress the request.
type tenancyCall struct {
	org       string // organization_id in the path; "" = a random UUID
	validBody bool   // send the spec's example body (must pass validation) instead of {}
	headers   []func(*http.Request)
}

// tenancyRequest builds a request for op: every other path parameter is a random UUID, required
// query parameters take their example or default, the body is {} or the spec's example.
func tenancyRequest(t *testing.T, o tenancyOp, c tenancyCall) authReq {
	t.Helper()
	path := tenancyPathParam.ReplaceAllStringFunc(o.path, func(m string) string {
		name := m[1 : len(m)-1]
		if name == "organization_id" && c.org != "" {
			return url.PathEscape(c.org)
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
	r := authReq{method: strings.ToUpper(o.method), path: path, edit: c.headers}
	if o.op.RequestBody != nil && o.op.RequestBody.Value != nil {
		r.contentType = "application/json"
		r.body = []byte(`{}`)
		if c.validBody {
			mt := o.op.RequestBody.Value.Content.Get("application/json")
			require.NotNil(t, mt, "%s: no application/json body", o)
			require.NotNil(t, mt.Example, "%s: the request body needs an example in openapi.yaml (the tenancy walk sends it)", o)
			r.body = authJSON(t, mt.Example)
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

// tenancyIn returns the request of op acting in org as the holder of token.
func tenancyIn(t *testing.T, o tenancyOp, token string, org uuid.UUID) authReq {
	t.Helper()
	c := tenancyCall{validBody: true, headers: []func(*http.Request){authBearer(token)}}
	if o.orgPath {
		c.org = org.String()
	}
	if o.orgHeader {
		c.headers = append(c.headers, authSetHeader("X-Organization-Id", org.String()))
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

func TestTenancy_EveryProtectedOperationRejectsAnonymousCallers(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	gone := app.Register(t, "gone") // a user whose session ends before the walk
	require.Equal(t, http.StatusNoContent, authLogout(t, app, gone.Refresh).StatusCode())

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
			res, body := authDo(t, app, tenancyRequest(t, o, tenancyCall{}))
			authUnauthorized(t, res, body, false)

			// No token but a well-formed organization header.
			if o.orgHeader {
				res, body = authDo(t, app, tenancyRequest(t, o, tenancyCall{validBody: true,
					headers: []func(*http.Request){authSetHeader("X-Organization-Id", gone.OrgID.String())}}))
				authUnauthorized(t, res, body, false)
			}

			// A bad token, and the unexpired token of a session that was logged out.
			for _, tok := range []string{"garbage", gone.Refresh, gone.Access} {
				res, body = authDo(t, app, tenancyRequest(t, o, tenancyCall{validBody: true, org: gone.OrgID.String(),
					headers: []func(*http.Request){authBearer(tok), authSetHeader("X-Organization-Id", gone.OrgID.String())}}))
				authUnauthorized(t, res, body, true)
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
}

func TestTenancy_NonMemberUnknownAndDeletedOrganizationsAnswerIdentically(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner") // owns the target organization
	outsider := app.Register(t, "outsider")

	// An organization the outsider owned and deleted: they were a member until a moment ago.
	created, err := app.Client.CreateOrganizationWithResponse(authBG, client.CreateOrganizationJSONRequestBody{Name: "Doomed"}, outsider.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "body: %s", created.Body)
	deleted := created.JSON201.Id
	del, err := app.Client.DeleteOrganizationWithResponse(authBG, deleted, outsider.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)

	targets := map[string]uuid.UUID{"not a member": owner.OrgID, "unknown": uuid.New(), "deleted": deleted}
	var reference map[string]any
	for _, o := range tenancyOrgScoped(t) {
		t.Run(o.id, func(t *testing.T) {
			for name, org := range targets {
				res, body := authDo(t, app, tenancyIn(t, o, outsider.Access, org))
				got := tenancyRequireNotAMember(t, res, body)
				if reference == nil {
					reference = got
				}
				assert.Equal(t, reference, got, "%s: the answer for %q differs", o, name)
			}
		})
	}

	// Nothing of the target organization changed.
	org, err := app.Client.GetOrganizationWithResponse(authBG, owner.OrgID, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, org.StatusCode(), "body: %s", org.Body)
	assert.Equal(t, "owner's organization", org.JSON200.Name)
	members, err := app.Client.ListMembersWithResponse(authBG, owner.OrgID, &client.ListMembersParams{}, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, members.StatusCode(), "body: %s", members.Body)
	require.Len(t, members.JSON200.Items, 1)
	assert.Equal(t, owner.ID, members.JSON200.Items[0].UserId)
	assert.Equal(t, client.RoleOwner, members.JSON200.Items[0].Role)
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
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	app.AddMember(t, bob, bob.OrgID, ada, client.RoleMember) // ada belongs to both

	headerOps, pathOps := 0, 0
	for _, o := range tenancyOps(t) {
		if o.orgHeader {
			headerOps++
			t.Run("header/"+o.id, func(t *testing.T) {
				call := func(h ...func(*http.Request)) (*http.Response, []byte) {
					return authDo(t, app, tenancyRequest(t, o, tenancyCall{validBody: true,
						headers: append([]func(*http.Request){authBearer(ada.Access)}, h...)}))
				}
				res, body := call()
				problemOf(t, res, body, http.StatusBadRequest, "organization_header_required")

				bad := tenancyMalformedOrgIDs(ada.OrgID)
				bad["empty"] = ""
				bad["blank"] = "   "
				bad["two ids in one line"] = ada.OrgID.String() + ", " + bob.OrgID.String()
				for name, v := range bad {
					res, body = call(authSetHeader("X-Organization-Id", v))
					p := problemOf(t, res, body, http.StatusBadRequest, "invalid_organization_header")
					if len(v) > 3 {
						assert.NotContains(t, string(body), v, "%s: the value is not echoed", name)
					}
					assert.Empty(t, fieldsOf(p))
				}
				// Two header lines, in both orders, even for two organizations the caller is in.
				for _, pair := range [][2]uuid.UUID{{ada.OrgID, bob.OrgID}, {bob.OrgID, ada.OrgID}, {ada.OrgID, ada.OrgID}} {
					res, body = call(authAddHeader("X-Organization-Id", pair[0].String()), authAddHeader("X-Organization-Id", pair[1].String()))
					problemOf(t, res, body, http.StatusBadRequest, "invalid_organization_header")
				}
			})
		}
		if o.orgPath {
			pathOps++
			t.Run("path/"+o.id, func(t *testing.T) {
				for name, v := range tenancyMalformedOrgIDs(ada.OrgID) {
					res, body := authDo(t, app, tenancyRequest(t, o, tenancyCall{org: v, validBody: true,
						headers: []func(*http.Request){authBearer(ada.Access)}}))
					p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
					assert.Contains(t, fieldsOf(p), "organization_id", "%s: %s", name, body)
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
		for _, h := range []func(*http.Request){
			func(r *http.Request) { r.Header["x-organization-id"] = []string{ada.OrgID.String()} },
			authSetHeader("X-ORGANIZATION-ID", strings.ToUpper(ada.OrgID.String())),
		} {
			res, body := authDo(t, app, tenancyRequest(t, o, tenancyCall{validBody: true,
				headers: []func(*http.Request){authBearer(stranger.Access), h}}))
			tenancyRequireNotAMember(t, res, body)
		}
	}
}

func TestTenancy_PathOrganizationIsNotOverriddenByTheHeader(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")

	// Ada reads her organization while naming Bob's in the header: the path wins, the header is
	// not a tenant on this route.
	res, err := app.Client.GetOrganizationWithResponse(authBG, ada.OrgID, ada.Auth(), apptest.Org(bob.OrgID))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, ada.OrgID, res.JSON200.Id)

	// Bob's organization in the path stays closed to Ada whatever the header says.
	res, err = app.Client.GetOrganizationWithResponse(authBG, bob.OrgID, ada.Auth(), apptest.Org(ada.OrgID))
	require.NoError(t, err)
	tenancyRequireNotAMember(t, res.HTTPResponse, res.Body)
	require.NotNil(t, res.ApplicationproblemJSON403)
	assert.Equal(t, "not_a_member", res.ApplicationproblemJSON403.Code)

	// The organization id in the path is case-insensitive hex: upper case names the same one.
	raw, body := authDo(t, app, authReq{method: http.MethodGet, path: "/api/v1/organizations/" + strings.ToUpper(ada.OrgID.String()),
		edit: []func(*http.Request){authBearer(ada.Access)}})
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

	got, err := app.Client.GetOrganizationWithResponse(authBG, org, mia.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)

	rm, err := app.Client.RemoveMemberWithResponse(authBG, org, mia.ID, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, rm.StatusCode(), "body: %s", rm.Body)

	// Mia's access token is still valid (same session, not expired), yet the very next request in
	// the organization is refused, on every organization-scoped operation.
	authMeOK(t, app, mia.Access)
	for _, o := range tenancyOrgScoped(t) {
		res, body := authDo(t, app, tenancyIn(t, o, mia.Access, org))
		tenancyRequireNotAMember(t, res, body)
	}
	// A refreshed token does not bring the membership back.
	pair := authRefreshOK(t, app, mia.Refresh)
	got, err = app.Client.GetOrganizationWithResponse(authBG, org, apptest.Bearer(pair.AccessToken))
	require.NoError(t, err)
	tenancyRequireNotAMember(t, got.HTTPResponse, got.Body)

	me := authMeOK(t, app, pair.AccessToken)
	for _, m := range me.Memberships {
		assert.NotEqual(t, org, m.OrganizationId, "the removed membership is gone from /auth/me")
	}
	// The owner still has the organization, with one member left.
	members, err := app.Client.ListMembersWithResponse(authBG, org, &client.ListMembersParams{}, owner.Auth())
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

	del, err := app.Client.DeleteOrganizationWithResponse(authBG, org, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)

	// The answer for the deleted organization is the one a stranger gets for an unknown one.
	unknown, err := app.Client.GetOrganizationWithResponse(authBG, uuid.New(), outsider.Auth())
	require.NoError(t, err)
	reference := tenancyRequireNotAMember(t, unknown.HTTPResponse, unknown.Body)

	for _, u := range []apptest.User{owner, max} {
		for _, o := range tenancyOrgScoped(t) {
			res, body := authDo(t, app, tenancyIn(t, o, u.Access, org))
			assert.Equal(t, reference, tenancyRequireNotAMember(t, res, body), "%s as %s", o, u.Name)
		}
		for _, m := range authMeOK(t, app, u.Access).Memberships {
			assert.NotEqual(t, org, m.OrganizationId, "%s: the deleted organization is gone from /auth/me", u.Name)
		}
	}
}
