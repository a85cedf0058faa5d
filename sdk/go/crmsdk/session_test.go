package crmsdk_test

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefresh_GarbageAccessToken: a refused access token with a valid refresh token is refreshed
// transparently; the call succeeds, the pair rotates and the new pair is reported to the callback.
func TestRefresh_GarbageAccessToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	var events tokenLog
	c, rec := newSDK(t, app, crmsdk.WithTokens("not-a-jwt", ada.Refresh), crmsdk.WithOrganization(ada.OrgID),
		crmsdk.WithTokenCallback(events.record))

	res, err := crmsdk.Ok(c.ListDealsWithResponse(ctx, nil))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode())

	now := c.Tokens()
	assert.NotEqual(t, ada.Refresh, now.RefreshToken, "the refresh token rotated")
	assert.NotEqual(t, "not-a-jwt", now.AccessToken)
	assert.Equal(t, []crmsdk.Tokens{now}, events.all())
	assert.Equal(t, 1, rec.count(refreshPath))
	deals := rec.exchanges("/api/v1/deals")
	require.Len(t, deals, 2, "the 401, then one retry")
	assert.Equal(t, bearer("not-a-jwt"), deals[0].Auth)
	assert.Equal(t, http.StatusUnauthorized, deals[0].Status)
	assert.Equal(t, bearer(now.AccessToken), deals[1].Auth)
	assert.Equal(t, ada.OrgID.String(), deals[1].Org)
	assert.Empty(t, rec.exchanges(refreshPath)[0].Auth, "the refresh call carries no bearer token")
}

// TestRefresh_ReplaysTheBody: a request with a body is retried with the same body, and the 401'd
// first attempt created nothing.
func TestRefresh_ReplaysTheBody(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	c, rec := newSDK(t, app, crmsdk.WithTokens("expired", ada.Refresh), crmsdk.WithOrganization(ada.OrgID))

	res, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage", Notes: apptest.Ptr("After a refresh.")}))
	require.NoError(t, err)
	assert.Equal(t, "Charles Babbage", res.JSON201.Name)
	assert.Equal(t, "After a refresh.", res.JSON201.Notes.MustGet())
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.Equal(t, 2, rec.count("/api/v1/contacts"))

	list, err := crmsdk.Ok(c.ListContactsWithResponse(ctx, nil))
	require.NoError(t, err)
	assert.EqualValues(t, 1, list.JSON200.Total, "created once")

	// A body that is not replayable by itself (no GetBody) is buffered by the SDK.
	c.SetTokens(crmsdk.Tokens{AccessToken: "expired-again", RefreshToken: c.Tokens().RefreshToken})
	raw, err := c.CreateContactWithBody(ctx, "application/json", &onceReader{s: `{"name":"Ada's contact"}`})
	require.NoError(t, err)
	parsed, err := crmsdk.Ok(client.ParseCreateContactResponse(raw))
	require.NoError(t, err)
	assert.Equal(t, "Ada's contact", parsed.JSON201.Name)
	assert.Equal(t, 2, rec.count(refreshPath))
}

// onceReader is an io.Reader http.NewRequest cannot rewind (it sets no GetBody for it).
type onceReader struct {
	s    string
	done bool
}

func (r *onceReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	return copy(p, r.s), nil
}

// TestRefresh_ExpiredAccessToken: an access token that really expired (the server's clock moved
// past its lifetime) is refreshed transparently.
func TestRefresh_ExpiredAccessToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var offset atomic.Int64
	app := apptest.NewWithOptions(t, apptest.Options{
		AccessTTL: time.Minute,
		Now:       func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
	})
	c, rec := newSDK(t, app)
	_, err := c.Register(ctx, client.RegisterRequest{Email: uniqueEmail("ada"), Password: password, Name: "Ada", OrganizationName: "Ada's"})
	require.NoError(t, err)
	before := c.Tokens()

	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Equal(t, 0, rec.count(refreshPath), "a live token is not refreshed")

	offset.Store(int64(2 * time.Minute))
	me, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	assert.Equal(t, "Ada", me.JSON200.User.Name)
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.NotEqual(t, before, c.Tokens())
}

// TestRefresh_ConcurrentCallsShareOneRefresh: five calls with a refused access token trigger
// exactly one refresh; the refresh is held back until all five 401s are in, so all of them really
// wait for the same refresh. A second refresh would present a spent refresh token, and the server
// would revoke the session.
func TestRefresh_ConcurrentCallsShareOneRefresh(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	var events tokenLog
	c, rec := newSDK(t, app, crmsdk.WithTokens("garbage", ada.Refresh), crmsdk.WithOrganization(ada.OrgID),
		crmsdk.WithTokenCallback(events.record))
	rec.beforeRefresh = func() {
		deadline := time.Now().Add(10 * time.Second)
		for rec.count401() < 5 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}

	calls := []func() (crmsdk.Response, error){
		func() (crmsdk.Response, error) { return crmsdk.Ok(c.ListDealsWithResponse(ctx, nil)) },
		func() (crmsdk.Response, error) { return crmsdk.Ok(c.ListContactsWithResponse(ctx, nil)) },
		func() (crmsdk.Response, error) { return crmsdk.Ok(c.ListTasksWithResponse(ctx, nil)) },
		func() (crmsdk.Response, error) { return crmsdk.Ok(c.GetDealSummaryWithResponse(ctx, nil)) },
		func() (crmsdk.Response, error) { return crmsdk.Ok(c.GetMeWithResponse(ctx)) },
	}
	statuses := make([]int, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() {
			res, err := call()
			errs[i] = err
			if res != nil {
				statuses[i] = res.StatusCode()
			}
		})
	}
	wg.Wait()

	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, []int{200, 200, 200, 200, 200}, statuses)
	assert.Equal(t, 1, rec.count(refreshPath), "exactly one refresh")
	assert.Equal(t, 5, rec.count401())
	assert.Len(t, events.all(), 1)
	assert.NotEqual(t, ada.Refresh, c.Tokens().RefreshToken)

	// The session survived (no reuse was detected): the rotated pair keeps working.
	_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	require.NoError(t, c.Refresh(ctx))
	assert.Equal(t, 2, rec.count(refreshPath))
}

// TestRefresh_RefusedClearsTokens: when the refresh is refused, the tokens are cleared (and the
// callback told), the original 401 is returned and the request is not retried.
func TestRefresh_RefusedClearsTokens(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	var events tokenLog
	c, rec := newSDK(t, app, crmsdk.WithTokens("garbage", "not-a-refresh-token"), crmsdk.WithOrganization(ada.OrgID),
		crmsdk.WithTokenCallback(events.record))

	res, err := crmsdk.Ok(c.ListDealsWithResponse(ctx, nil))
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusUnauthorized, pe.Status)
	assert.Equal(t, "unauthorized", pe.Code())
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
	assert.True(t, c.Tokens().IsZero())
	assert.Equal(t, []crmsdk.Tokens{{}}, events.all())
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.Equal(t, 1, rec.count("/api/v1/deals"), "no retry")

	// Without tokens, nothing is sent and nothing refreshed.
	_, err = crmsdk.Ok(c.ListDealsWithResponse(ctx, nil))
	assert.Equal(t, "unauthorized", problemOf(t, err).Code())
	assert.Empty(t, rec.exchanges("/api/v1/deals")[1].Auth)
	assert.Equal(t, 1, rec.count(refreshPath))
	assert.ErrorIs(t, c.Refresh(ctx), crmsdk.ErrNoSession)
}

// TestRefresh_ReuseOfASpentRefreshToken: after the SDK rotated the pair, presenting the old refresh
// token again (a thief's copy) revokes the session; the SDK's next call gets a 401, its refresh is
// refused and its tokens are cleared.
func TestRefresh_ReuseOfASpentRefreshToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.NewWithOptions(t, apptest.Options{RefreshReuseLeeway: -1}) // no leeway: the thief's immediate reuse revokes
	ada := app.Register(t, "ada")
	c, rec := newSDK(t, app, crmsdk.WithTokens("garbage", ada.Refresh))
	_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	require.Equal(t, 1, rec.count(refreshPath))

	thief, _ := newSDK(t, app, crmsdk.WithTokens("garbage", ada.Refresh))
	_, err = crmsdk.Ok(thief.GetMeWithResponse(ctx))
	assert.Equal(t, "unauthorized", problemOf(t, err).Code())
	assert.True(t, thief.Tokens().IsZero())

	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	assert.Equal(t, "unauthorized", problemOf(t, err).Code(), "the whole session was revoked")
	assert.True(t, c.Tokens().IsZero())
	assert.Equal(t, 2, rec.count(refreshPath))
}

// TestRefresh_NotOnPublicRoutes: a 401 from login (wrong password) is not a session problem: no
// refresh, no bearer token sent, the stored tokens stay.
func TestRefresh_NotOnPublicRoutes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	c, rec := newSDK(t, app, crmsdk.WithTokens(ada.Access, ada.Refresh), crmsdk.WithOrganization(ada.OrgID))

	_, err := c.Login(ctx, ada.Email, "wrong-password")
	assert.Equal(t, "invalid_credentials", problemOf(t, err).Code())
	assert.Equal(t, crmsdk.Tokens{AccessToken: ada.Access, RefreshToken: ada.Refresh}, c.Tokens())
	assert.Equal(t, 0, rec.count(refreshPath))
	login := rec.exchanges("/api/v1/auth/login")
	require.Len(t, login, 1)
	assert.Empty(t, login[0].Auth)
	assert.Empty(t, login[0].Org)
}

// TestLogout: the session ends on the server and locally; the next call is a 401 without a refresh
// attempt, and the old tokens cannot resume the session.
func TestLogout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	var events tokenLog
	c, rec := newSDK(t, app, crmsdk.WithTokenCallback(events.record))
	reg, err := c.Register(ctx, client.RegisterRequest{Email: uniqueEmail("ada"), Password: password, Name: "Ada", OrganizationName: "Ada's"})
	require.NoError(t, err)
	c.SetOrganization(reg.Organization.Id)
	old := c.Tokens()

	require.NoError(t, c.Logout(ctx))
	assert.True(t, c.Tokens().IsZero())
	assert.Equal(t, []crmsdk.Tokens{old, {}}, events.all())
	logout := rec.exchanges("/api/v1/auth/logout")
	require.Len(t, logout, 1)
	assert.Equal(t, http.StatusNoContent, logout[0].Status)

	_, err = crmsdk.Ok(c.ListDealsWithResponse(ctx, nil))
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusUnauthorized, pe.Status)
	assert.Equal(t, "unauthorized", pe.Code())
	assert.Equal(t, 0, rec.count(refreshPath))

	// Logging out without a session is a no-op.
	require.NoError(t, c.Logout(ctx))
	assert.Len(t, rec.exchanges("/api/v1/auth/logout"), 1)

	// The ended session's tokens are dead: the access token is refused and so is the refresh.
	resumed, rec2 := newSDK(t, app, crmsdk.WithTokens(old.AccessToken, old.RefreshToken))
	_, err = crmsdk.Ok(resumed.GetMeWithResponse(ctx))
	assert.Equal(t, "unauthorized", problemOf(t, err).Code())
	assert.Equal(t, 1, rec2.count(refreshPath))
	assert.True(t, resumed.Tokens().IsZero())

	// Logging out of an already-ended session succeeds too.
	again, _ := newSDK(t, app, crmsdk.WithTokens(old.AccessToken, old.RefreshToken))
	require.NoError(t, again.Logout(ctx))
	assert.True(t, again.Tokens().IsZero())
}

// TestOrganizationHeader: X-Organization-Id is sent only while an organization is selected, never
// on the public auth routes, and a header the caller sets explicitly wins.
func TestOrganizationHeader(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	other := app.Register(t, "other")
	c, rec := newSDK(t, app)
	reg, err := c.Register(ctx, client.RegisterRequest{Email: uniqueEmail("ada"), Password: password, Name: "Ada", OrganizationName: "Ada's"})
	require.NoError(t, err)
	org := reg.Organization.Id

	// Register selected the new organization; uuid.Nil deselects it.
	assert.Equal(t, org, c.Organization())
	c.SetOrganization(uuid.Nil)
	_, err = crmsdk.Ok(c.GetMeWithResponse(ctx))
	require.NoError(t, err)
	_, err = crmsdk.Ok(c.ListContactsWithResponse(ctx, nil))
	assert.Equal(t, "organization_header_required", problemOf(t, err).Code())

	c.SetOrganization(org)
	assert.Equal(t, org, c.Organization())
	_, err = crmsdk.Ok(c.ListContactsWithResponse(ctx, nil))
	require.NoError(t, err)
	// The organization of the path is independent of the header.
	_, err = crmsdk.Ok(c.GetOrganizationWithResponse(ctx, org))
	require.NoError(t, err)

	// A header set by the caller for one call wins over the selected organization.
	_, err = crmsdk.Ok(c.ListContactsWithResponse(ctx, nil, apptest.Org(other.OrgID)))
	assert.Equal(t, "not_a_member", problemOf(t, err).Code())

	c.SetOrganization(uuid.Nil)
	_, err = crmsdk.Ok(c.ListContactsWithResponse(ctx, nil))
	assert.Equal(t, "organization_header_required", problemOf(t, err).Code())

	// A client created with an organization sends it from the first request on, but not on login.
	c2, rec2 := newSDK(t, app, crmsdk.WithOrganization(org))
	_, err = c2.Login(ctx, reg.User.Email, password)
	require.NoError(t, err)
	_, err = crmsdk.Ok(c2.ListContactsWithResponse(ctx, nil))
	require.NoError(t, err)

	type sent struct {
		path string
		auth bool
		org  string
	}
	var got []sent
	for _, e := range append(rec.exchanges(""), rec2.exchanges("")...) {
		got = append(got, sent{e.Path, isBearer(e.Auth), e.Org})
	}
	assert.Equal(t, []sent{
		{"/api/v1/auth/register", false, ""},
		{"/api/v1/auth/me", true, ""},
		{"/api/v1/contacts", true, ""},
		{"/api/v1/contacts", true, org.String()},
		{"/api/v1/organizations/" + org.String(), true, org.String()},
		{"/api/v1/contacts", true, other.OrgID.String()},
		{"/api/v1/contacts", true, ""},
		{"/api/v1/auth/login", false, ""},
		{"/api/v1/contacts", true, org.String()},
	}, got)
}
