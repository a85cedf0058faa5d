package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// invite sends POST /organizations/{org}/invitations as actor.
func invite(t testing.TB, app *apptest.App, actor apptest.User, org uuid.UUID, email string, role client.Role) *client.CreateInvitationResponse {
	t.Helper()
	res, err := app.Client.CreateInvitationWithResponse(t.Context(), org,
		client.CreateInvitationJSONRequestBody{Email: email, Role: role}, actor.Auth())
	require.NoError(t, err)
	return res
}

// accept sends POST /invitations/accept as u.
func accept(t testing.TB, app *apptest.App, u apptest.User, token string) *client.AcceptInvitationResponse {
	t.Helper()
	res, err := app.Client.AcceptInvitationWithResponse(t.Context(), client.AcceptInvitationJSONRequestBody{Token: token}, u.Auth())
	require.NoError(t, err)
	return res
}

// invitations lists the organization's invitations (at most 100) as u, only those in status when
// it is not empty.
func invitations(t testing.TB, app *apptest.App, u apptest.User, org uuid.UUID, status client.InvitationStatus) []client.Invitation {
	t.Helper()
	params := &client.ListInvitationsParams{PageSize: apptest.Ptr[int32](100)}
	if status != "" {
		params.Status = &status
	}
	res, err := app.Client.ListInvitationsWithResponse(t.Context(), org, params, u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.EqualValues(t, len(res.JSON200.Items), res.JSON200.Total)
	return res.JSON200.Items
}

func revoke(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.RevokeInvitationResponse {
	t.Helper()
	res, err := app.Client.RevokeInvitationWithResponse(t.Context(), org, id, u.Auth())
	require.NoError(t, err)
	return res
}

// invitationNotFound asserts the one answer of an unusable token and returns it without its
// request id, to compare the answers of the different reasons.
func invitationNotFound(t *testing.T, res *client.AcceptInvitationResponse) map[string]any {
	t.Helper()
	problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "invitation_not_found")
	return withoutRequestID(t, res.Body)
}

// expire moves an invitation's expiry into the past, as 7 days of waiting would.
func expire(t *testing.T, app *apptest.App, org, id uuid.UUID) {
	t.Helper()
	tag, err := app.Pool.Exec(t.Context(),
		`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE organization_id = $1 AND id = $2`, org, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, tag.RowsAffected())
}

func TestInvitations_RoundTrip(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	grace := app.Register(t, "grace")

	before := time.Now()
	res := invite(t, app, owner, org, grace.Email, client.RoleManager)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	inv := res.JSON201
	assert.Equal(t, "/api/v1/organizations/"+org.String()+"/invitations/"+inv.Id.String(), res.HTTPResponse.Header.Get("Location"))
	assert.Equal(t, grace.Email, inv.Email)
	assert.Equal(t, client.RoleManager, inv.Role)
	assert.Equal(t, client.InvitationStatusPending, inv.Status)
	assert.Equal(t, owner.ID, inv.InvitedBy)
	assert.WithinDuration(t, before, inv.CreatedAt, time.Minute)
	assert.WithinDuration(t, inv.CreatedAt.Add(7*24*time.Hour), inv.ExpiresAt, time.Second, "valid for 7 days")
	raw, err := base64.RawURLEncoding.DecodeString(inv.Token)
	require.NoError(t, err, "the token is base64url")
	assert.GreaterOrEqual(t, len(raw)-16, 16, "at least 128 random bits besides the organization id")

	// The list shows the invitation, never its token.
	lres, err := app.Client.ListInvitationsWithResponse(t.Context(), org, nil, owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, lres.StatusCode(), "body: %s", lres.Body)
	assert.NotContains(t, string(lres.Body), inv.Token)
	assert.NotContains(t, string(lres.Body), `"token"`)
	require.Len(t, lres.JSON200.Items, 1)
	listed := lres.JSON200.Items[0]
	assert.Equal(t, client.Invitation{Id: inv.Id, Email: inv.Email, Role: inv.Role, Status: client.InvitationStatusPending,
		ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, InvitedBy: owner.ID}, listed)

	// Grace accepts, without naming the organization: the token does.
	acc := accept(t, app, grace, inv.Token)
	require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
	assert.Equal(t, client.Membership{OrganizationId: org, OrganizationName: "owner's organization", Role: client.RoleManager}, *acc.JSON200)
	assert.Equal(t, client.RoleManager, membersRoles(t, app, owner, org)[grace.ID])
	assert.Equal(t, client.RoleManager, orgsMine(t, app, grace)[org])
	got := orgsGet(t, app, grace, org)
	assert.Equal(t, http.StatusOK, got.StatusCode(), "the new member has access at once")

	assert.Empty(t, invitations(t, app, owner, org, client.InvitationStatusPending))
	accepted := invitations(t, app, owner, org, client.InvitationStatusAccepted)
	require.Len(t, accepted, 1)
	assert.Equal(t, inv.Id, accepted[0].Id)

	// A used token is done.
	invitationNotFound(t, accept(t, app, grace, inv.Token))
}

// Nobody learns from an invitation whether an email has an account: the answer to an invitation of
// a registered email and of an unknown one is the same, and the unknown one works once its owner
// registers.
func TestInvitations_AnswerIsTheSameWhetherOrNotTheEmailIsRegistered(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	registered := app.Register(t, "known")
	unknown := apptest.UniqueEmail("stranger")

	shape := func(res *client.CreateInvitationResponse) map[string]any {
		t.Helper()
		require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
		var m map[string]any
		require.NoError(t, json.Unmarshal(res.Body, &m))
		for _, k := range []string{"id", "email", "token", "created_at", "expires_at"} {
			require.Contains(t, m, k)
			delete(m, k) // differ by nature
		}
		headers := []string{}
		for k := range res.HTTPResponse.Header {
			if k != "X-Request-Id" && k != "Location" && k != "Ratelimit" && k != "Date" && k != "Content-Length" {
				headers = append(headers, k+"="+res.HTTPResponse.Header.Get(k))
			}
		}
		sort.Strings(headers)
		m["headers"] = headers
		return m
	}
	a := shape(invite(t, app, owner, org, registered.Email, client.RoleMember))
	b := shape(invite(t, app, owner, org, unknown, client.RoleMember))
	assert.Equal(t, a, b)

	// The stranger registers later, with the invited email, and accepts.
	pending := invitations(t, app, owner, org, client.InvitationStatusPending)
	require.Len(t, pending, 2)
	res := invite(t, app, owner, org, unknown, client.RoleAdmin) // a fresh token to hand over
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	stranger := registerAs(t, app, unknown, "stranger")
	acc := accept(t, app, stranger, res.JSON201.Token)
	require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
	assert.Equal(t, client.RoleAdmin, acc.JSON200.Role)
}

// registerAs registers a user with the given email.
func registerAs(t *testing.T, app *apptest.App, email, name string) apptest.User {
	t.Helper()
	u := apptest.User{Email: email, Password: "password-" + name, Name: name}
	res, err := app.Client.RegisterWithResponse(t.Context(), client.RegisterJSONRequestBody{
		Email: email, Password: u.Password, Name: name, OrganizationName: name + "'s organization",
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	u.ID, u.Access, u.Refresh, u.OrgID = res.JSON201.User.Id, res.JSON201.AccessToken, res.JSON201.RefreshToken, res.JSON201.Organization.Id
	return u
}

func TestInvitations_OwnerAndAdminInviteEveryRoleButOnlyAnOwnerInvitesAnOwner(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org := tm.App, tm.Org
	for _, actor := range []client.Role{client.RoleOwner, client.RoleAdmin} {
		for _, role := range apptest.Roles {
			u := app.Register(t, "new")
			res := invite(t, app, tm.As(t, actor), org, u.Email, role)
			if actor == client.RoleAdmin && role == client.RoleOwner {
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
				continue
			}
			require.Equal(t, http.StatusCreated, res.StatusCode(), "%s invites %s: %s", actor, role, res.Body)
			assert.Equal(t, tm.As(t, actor).ID, res.JSON201.InvitedBy)
			acc := accept(t, app, u, res.JSON201.Token)
			require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
			assert.Equal(t, role, orgsMine(t, app, u)[org])
		}
	}
	// The refused owner invitation left nothing behind.
	for _, inv := range invitations(t, app, tm.Owner, org, "") {
		assert.False(t, inv.Role == client.RoleOwner && inv.InvitedBy == tm.As(t, client.RoleAdmin).ID)
	}
}

func TestInvitations_ManagerAndMemberCannotInviteListOrRevoke(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org := tm.App, tm.Org
	email := apptest.UniqueEmail("nobody")
	pending := app.Invite(t, tm.Owner, org, apptest.UniqueEmail("pending"), client.RoleMember)
	for _, actor := range []client.Role{client.RoleManager, client.RoleMember} {
		u := tm.As(t, actor)
		for _, role := range apptest.Roles {
			res := invite(t, app, u, org, email, role)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		}
		list, err := app.Client.ListInvitationsWithResponse(t.Context(), org, nil, u.Auth())
		require.NoError(t, err)
		problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "forbidden")
		del := revoke(t, app, u, org, pending.Id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "forbidden")
	}
	// The manager and the member joined by invitations of their own (accepted); besides them only
	// the pending one.
	all := invitations(t, app, tm.Owner, org, "")
	require.Len(t, all, 3, "nothing was invited")
	pendingNow := invitations(t, app, tm.Owner, org, client.InvitationStatusPending)
	require.Len(t, pendingNow, 1, "nothing was revoked")
	assert.Equal(t, pending.Id, pendingNow[0].Id)
}

func TestInvitations_AMembersEmailIsAlreadyMember(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, u := range []apptest.User{f.Owner, f.Admin(t), f.Manager(t), f.Member(t)} {
		res := invite(t, f.App, f.Owner, f.Org, u.Email, client.RoleAdmin)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "already_member")
	}
	res := invite(t, f.App, f.Admin(t), f.Org, strings.ToUpper(f.Member(t).Email), client.RoleManager)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "already_member")
	assert.Empty(t, invitations(t, f.App, f.Owner, f.Org, client.InvitationStatusPending))
	assert.Equal(t, map[uuid.UUID]client.Role{
		f.Owner.ID: client.RoleOwner, f.Admin(t).ID: client.RoleAdmin,
		f.Manager(t).ID: client.RoleManager, f.Member(t).ID: client.RoleMember,
	}, membersRoles(t, f.App, f.Owner, f.Org))
}

func TestInvitations_InvitingAgainReplacesThePendingInvitation(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	u := app.Register(t, "twice")
	first := app.Invite(t, owner, org, u.Email, client.RoleMember)
	second := app.Invite(t, tm.As(t, client.RoleAdmin), org, strings.ToUpper(u.Email), client.RoleManager)
	assert.NotEqual(t, first.Token, second.Token)
	assert.NotEqual(t, first.Id, second.Id)
	assert.Equal(t, u.Email, second.Email, "stored in lower case")

	pending := invitations(t, app, owner, org, client.InvitationStatusPending)
	require.Len(t, pending, 1, "one pending invitation per email")
	assert.Equal(t, second.Id, pending[0].Id)
	assert.Equal(t, client.RoleManager, pending[0].Role)
	n := 0
	for _, inv := range invitations(t, app, owner, org, "") {
		if inv.Email == u.Email {
			n++
		}
	}
	assert.Equal(t, 1, n, "the replaced invitation is gone")

	invitationNotFound(t, accept(t, app, u, first.Token))
	acc := accept(t, app, u, second.Token)
	require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
	assert.Equal(t, client.RoleManager, acc.JSON200.Role)
}

// An unknown, revoked, used or expired token, or one that is no token at all, gets one answer.
func TestInvitations_UnusableTokensAnswerTheSameNotFound(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	u := app.Register(t, "invitee")

	revoked := app.Invite(t, owner, org, u.Email, client.RoleMember)
	res := revoke(t, app, tm.As(t, client.RoleAdmin), org, revoked.Id)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	again := revoke(t, app, owner, org, revoked.Id)
	problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, revoked.Id, invitations(t, app, owner, org, client.InvitationStatusRevoked)[0].Id)

	expired := app.Invite(t, owner, org, u.Email, client.RoleMember)
	expire(t, app, org, expired.Id)
	listed := invitations(t, app, owner, org, client.InvitationStatusExpired)
	require.Len(t, listed, 1)
	assert.Equal(t, expired.Id, listed[0].Id)
	assert.Empty(t, invitations(t, app, owner, org, client.InvitationStatusPending), "an expired invitation is not pending")

	other := app.Register(t, "other")
	used := app.Invite(t, owner, org, other.Email, client.RoleMember)
	require.Equal(t, http.StatusOK, accept(t, app, other, used.Token).StatusCode())

	// A token of the right shape for the organization, and one for an organization that does not exist.
	forged := func(o uuid.UUID) string {
		raw := append(o[:], make([]byte, 32)...)
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	tokens := map[string]string{
		"revoked": revoked.Token, "expired": expired.Token, "used": used.Token,
		"unknown": forged(org), "unknown organization": forged(uuid.New()),
		"not a token": "hello", "truncated": expired.Token[:40], "padded": expired.Token + "==",
	}
	var reference map[string]any
	for name, token := range tokens {
		got := invitationNotFound(t, accept(t, app, u, token))
		if reference == nil {
			reference = got
		}
		assert.Equal(t, reference, got, "%s: the answer differs", name)
	}
	assert.NotContains(t, orgsMine(t, app, u), org)

	// Revoking the expired invitation still works; one that was accepted cannot be.
	assert.Equal(t, http.StatusNoContent, revoke(t, app, owner, org, expired.Id).StatusCode())
	usedRevoke := revoke(t, app, owner, org, used.Id)
	problemOf(t, usedRevoke.HTTPResponse, usedRevoke.Body, http.StatusNotFound, "not_found")
	unknownRevoke := revoke(t, app, owner, org, uuid.New())
	problemOf(t, unknownRevoke.HTTPResponse, unknownRevoke.Body, http.StatusNotFound, "not_found")
}

func TestInvitations_AnotherUserCannotAccept(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	grace := app.Register(t, "grace")
	inv := app.Invite(t, owner, org, grace.Email, client.RoleAdmin)

	for _, thief := range []apptest.User{app.Register(t, "thief"), tm.As(t, client.RoleMember), owner} {
		res := accept(t, app, thief, inv.Token)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "invitation_email_mismatch")
	}
	assert.Equal(t, client.RoleMember, orgsMine(t, app, tm.As(t, client.RoleMember))[org], "a member's role is unchanged")
	pending := invitations(t, app, owner, org, client.InvitationStatusPending)
	require.Len(t, pending, 1, "the invitation stays pending")

	acc := accept(t, app, grace, inv.Token)
	require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
	assert.Equal(t, client.RoleAdmin, acc.JSON200.Role)
}

// The invited email is compared case-insensitively (users' emails are stored in lower case).
func TestInvitations_EmailIsMatchedCaseInsensitively(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	email := apptest.UniqueEmail("Grace")
	local, domain, _ := strings.Cut(email, "@")
	inv := app.Invite(t, owner, org, strings.ToUpper(local[:1])+local[1:]+"@"+strings.ToUpper(domain), client.RoleMember)
	assert.Equal(t, strings.ToLower(email), inv.Email)
	grace := registerAs(t, app, strings.ToUpper(email), "grace")
	acc := accept(t, app, grace, inv.Token)
	require.Equal(t, http.StatusOK, acc.StatusCode(), "body: %s", acc.Body)
}

// Presented many times at once, a token is accepted once.
func TestInvitations_ConcurrentAcceptsJoinOnce(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	u := app.Register(t, "eager")
	inv := app.Invite(t, owner, org, u.Email, client.RoleManager)

	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := app.Client.AcceptInvitationWithResponse(t.Context(), client.AcceptInvitationJSONRequestBody{Token: inv.Token}, u.Auth())
			if assert.NoError(t, err) {
				statuses[i] = res.StatusCode()
			}
		})
	}
	wg.Wait()
	sort.Ints(statuses)
	want := []int{http.StatusOK}
	for range n - 1 {
		want = append(want, http.StatusNotFound)
	}
	assert.Equal(t, want, statuses)
	assert.Equal(t, client.RoleManager, membersRoles(t, app, owner, org)[u.ID])
}

// A pending invitation whose email became a member's some other way cannot add them twice. The API
// offers no other way today (joining is by invitation, one pending per email); the membership is
// made directly in the database to check the rule holds.
func TestInvitations_AcceptingAsAMemberIsAlreadyMember(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	u := app.Register(t, "early")
	inv := app.Invite(t, owner, org, u.Email, client.RoleAdmin)
	_, err := app.Pool.Exec(t.Context(),
		`INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, 'member')`, org, u.ID)
	require.NoError(t, err)

	res := accept(t, app, u, inv.Token)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "already_member")
	assert.Equal(t, client.RoleMember, orgsMine(t, app, u)[org], "the role is unchanged")
	assert.Len(t, invitations(t, app, owner, org, client.InvitationStatusPending), 1, "the invitation was not used")
}

// Only the token's hash is kept: not in the invitation, and not in an idempotency key's stored
// answer either (the creation ignores Idempotency-Key; sending one twice invites twice).
func TestInvitations_TheTokenIsNeverStored(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	email := apptest.UniqueEmail("secret")
	body := apptest.JSON(t, map[string]any{"email": email, "role": "member"})
	key := http.Header{"Idempotency-Key": {uuid.NewString()}}
	var tokens []string
	for range 2 {
		res, raw := app.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/organizations/" + org.String() + "/invitations",
			Body: body, Token: owner.Access, Header: key})
		require.Equal(t, http.StatusCreated, res.StatusCode, "body: %s", raw)
		assert.Empty(t, res.Header.Get("Idempotent-Replayed"), "never a replay")
		var inv client.InvitationWithToken
		require.NoError(t, json.Unmarshal(raw, &inv))
		tokens = append(tokens, inv.Token)
	}
	require.NotEqual(t, tokens[0], tokens[1])

	for i, token := range tokens {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		require.NoError(t, err)
		sum := sha256.Sum256(raw)
		var everywhere int
		require.NoError(t, app.Pool.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM invitations i WHERE strpos(i::text, $1) > 0) +
			(SELECT count(*) FROM idempotency_keys k WHERE strpos(k::text, $1) > 0 OR strpos(convert_from(coalesce(k.response_body, ''), 'UTF8'), $1) > 0)`,
			token).Scan(&everywhere))
		assert.Zero(t, everywhere, "the token is stored nowhere")
		var hashed int
		require.NoError(t, app.Pool.QueryRow(t.Context(),
			`SELECT count(*) FROM invitations WHERE organization_id = $1 AND token_hash = $2`, org, sum[:]).Scan(&hashed))
		assert.Equal(t, i, hashed, "the hash of the last token is, the replaced one's is gone")
	}
	u := registerAs(t, app, email, "secret")
	invitationNotFound(t, accept(t, app, u, tokens[0]))
	assert.Equal(t, http.StatusOK, accept(t, app, u, tokens[1]).StatusCode(), "the last answer's token works")
}

func TestInvitations_ListPagesByCursorAndFiltersByStatus(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	var ids []uuid.UUID // newest first
	for range 5 {
		inv := app.Invite(t, owner, org, apptest.UniqueEmail("page"), client.RoleMember)
		ids = append([]uuid.UUID{inv.Id}, ids...)
	}
	require.Equal(t, http.StatusNoContent, revoke(t, app, owner, org, ids[0]).StatusCode())

	var walked []uuid.UUID
	params := &client.ListInvitationsParams{PageSize: apptest.Ptr[int32](2)}
	for range 10 {
		res, err := app.Client.ListInvitationsWithResponse(t.Context(), org, params, owner.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.EqualValues(t, 5, res.JSON200.Total)
		for _, inv := range res.JSON200.Items {
			walked = append(walked, inv.Id)
		}
		if res.JSON200.NextCursor == nil {
			break
		}
		params.Cursor = res.JSON200.NextCursor
	}
	assert.Equal(t, ids, walked, "newest first, each once")

	pending := invitations(t, app, owner, org, client.InvitationStatusPending)
	assert.Len(t, pending, 4)
	revoked := invitations(t, app, owner, org, client.InvitationStatusRevoked)
	require.Len(t, revoked, 1)
	assert.Equal(t, ids[0], revoked[0].Id)
	assert.Equal(t, client.InvitationStatusRevoked, revoked[0].Status)

	// A cursor belongs to its filter.
	res, err := app.Client.ListInvitationsWithResponse(t.Context(), org, &client.ListInvitationsParams{PageSize: apptest.Ptr[int32](1)}, owner.Auth())
	require.NoError(t, err)
	require.NotNil(t, res.JSON200.NextCursor)
	st := client.InvitationStatusPending
	bad, err := app.Client.ListInvitationsWithResponse(t.Context(), org,
		&client.ListInvitationsParams{PageSize: apptest.Ptr[int32](1), Status: &st, Cursor: res.JSON200.NextCursor}, owner.Auth())
	require.NoError(t, err)
	problemOf(t, bad.HTTPResponse, bad.Body, http.StatusBadRequest, "invalid_cursor")

	for _, q := range []string{"status=gone", "page_size=101", "page=0"} {
		r, body := app.Do(t, apptest.Request{Path: "/api/v1/organizations/" + org.String() + "/invitations?" + q, Token: owner.Access})
		problemOf(t, r, body, http.StatusBadRequest, "validation_failed")
	}
}

func TestInvitations_RejectInvalidBodies(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	email := apptest.UniqueEmail("body")
	for _, tc := range []struct {
		name, body, code, field string
	}{
		{"unknown role", `{"email": "` + email + `", "role": "superuser"}`, "validation_failed", "role"},
		{"missing role", `{"email": "` + email + `"}`, "validation_failed", ""},
		{"missing email", `{"role": "member"}`, "validation_failed", ""},
		{"not an email", `{"email": "nobody", "role": "member"}`, "validation_failed", "email"},
		{"read-only field", `{"email": "` + email + `", "role": "member", "token": "mine"}`, "validation_failed", "token"},
		{"malformed JSON", `{"email": `, "malformed_request", ""},
	} {
		t.Run("invite/"+tc.name, func(t *testing.T) {
			res, err := app.Client.CreateInvitationWithBodyWithResponse(t.Context(), org, "application/json", strings.NewReader(tc.body), owner.Auth())
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	for _, tc := range []struct{ name, body, code string }{
		{"empty token", `{"token": ""}`, "validation_failed"},
		{"missing token", `{}`, "validation_failed"},
		{"long token", `{"token": "` + strings.Repeat("a", 201) + `"}`, "validation_failed"},
		{"unknown field", `{"token": "x", "organization_id": "` + org.String() + `"}`, "validation_failed"},
		{"malformed JSON", `{"token"`, "malformed_request"},
	} {
		t.Run("accept/"+tc.name, func(t *testing.T) {
			res, err := app.Client.AcceptInvitationWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(tc.body), owner.Auth())
			require.NoError(t, err)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
		})
	}
	assert.Empty(t, invitations(t, app, owner, org, ""))
}

func TestInvitations_OtherOrganizationsInvitationsAreOutOfReach(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada, bob := app.Register(t, "ada"), app.Register(t, "bob")
	bobs := app.Invite(t, bob, bob.OrgID, apptest.UniqueEmail("bobs"), client.RoleMember)

	list, err := app.Client.ListInvitationsWithResponse(t.Context(), bob.OrgID, nil, ada.Auth())
	require.NoError(t, err)
	problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "not_a_member")
	res := invite(t, app, ada, bob.OrgID, ada.Email, client.RoleOwner)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "not_a_member")
	del := revoke(t, app, ada, bob.OrgID, bobs.Id)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "not_a_member")
	// Through ada's own organization, bob's invitation does not exist.
	del = revoke(t, app, ada, ada.OrgID, bobs.Id)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
	assert.Empty(t, invitations(t, app, ada, ada.OrgID, ""))

	got := invitations(t, app, bob, bob.OrgID, client.InvitationStatusPending)
	require.Len(t, got, 1, "bob's invitation is untouched")
	assert.Equal(t, bobs.Id, got[0].Id)
}

// Invitations of one email sent at the same time leave one pending invitation, and only one of the
// tokens they answered works.
func TestInvitations_ConcurrentInvitationsOfOneEmailLeaveOne(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	u := app.Register(t, "popular")

	const n = 8
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := app.Client.CreateInvitationWithResponse(t.Context(), org,
				client.CreateInvitationJSONRequestBody{Email: u.Email, Role: client.RoleMember}, owner.Auth())
			if assert.NoError(t, err) && assert.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body) {
				tokens[i] = res.JSON201.Token
			}
		})
	}
	wg.Wait()
	require.Len(t, invitations(t, app, owner, org, client.InvitationStatusPending), 1)

	accepted := 0
	for _, token := range tokens {
		res := accept(t, app, u, token)
		switch res.StatusCode() {
		case http.StatusOK:
			accepted++
		default:
			invitationNotFound(t, res)
		}
	}
	assert.Equal(t, 1, accepted)
	assert.Equal(t, client.RoleMember, orgsMine(t, app, u)[org])
}

// A pending owner invitation is a grant of the owner role on its way: an admin can neither replace
// it by inviting the email again nor revoke it; an owner can.
func TestInvitations_OnlyAnOwnerReplacesOrRevokesAnOwnerInvitation(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, owner, org, admin := tm.App, tm.Owner, tm.Org, tm.As(t, client.RoleAdmin)
	heir := app.Register(t, "heir")
	inv := app.Invite(t, owner, org, heir.Email, client.RoleOwner)

	res := invite(t, app, admin, org, heir.Email, client.RoleMember)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
	del := revoke(t, app, admin, org, inv.Id)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "owner_role_forbidden")
	for _, m := range []client.Role{client.RoleManager, client.RoleMember} {
		del := revoke(t, app, tm.As(t, m), org, inv.Id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "forbidden")
	}
	pending := invitations(t, app, owner, org, client.InvitationStatusPending)
	require.Len(t, pending, 1, "the owner invitation is untouched")
	assert.Equal(t, inv.Id, pending[0].Id)
	assert.Equal(t, client.RoleOwner, pending[0].Role)

	// The owner replaces it; the admin may then revoke the (member) invitation that replaced it.
	again := app.Invite(t, owner, org, heir.Email, client.RoleMember)
	invitationNotFound(t, accept(t, app, heir, inv.Token))
	require.Equal(t, http.StatusNoContent, revoke(t, app, admin, org, again.Id).StatusCode())

	last := app.Invite(t, owner, org, heir.Email, client.RoleOwner)
	require.Equal(t, http.StatusNoContent, revoke(t, app, owner, org, last.Id).StatusCode())
	invitationNotFound(t, accept(t, app, heir, last.Token))
}
