package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
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

// membersRoles returns every member of org with their role, as seen by u.
func membersRoles(t testing.TB, app *apptest.App, u apptest.User, org uuid.UUID) map[uuid.UUID]client.Role {
	t.Helper()
	res, err := app.Client.ListMembersWithResponse(t.Context(), org,
		&client.ListMembersParams{PageSize: apptest.Ptr[int32](100)}, u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	out := map[uuid.UUID]client.Role{}
	for _, m := range res.JSON200.Items {
		out[m.UserId] = m.Role
	}
	require.EqualValues(t, len(out), res.JSON200.Total)
	return out
}

func membersPatch(t testing.TB, app *apptest.App, actor apptest.User, org, target uuid.UUID, role client.Role) *client.UpdateMemberResponse {
	t.Helper()
	res, err := app.Client.UpdateMemberWithResponse(t.Context(), org, target,
		client.UpdateMemberJSONRequestBody{Role: role}, actor.Auth())
	require.NoError(t, err)
	return res
}

func membersRemove(t testing.TB, app *apptest.App, actor apptest.User, org, target uuid.UUID) *client.RemoveMemberResponse {
	t.Helper()
	res, err := app.Client.RemoveMemberWithResponse(t.Context(), org, target, actor.Auth())
	require.NoError(t, err)
	return res
}

func membersOwnerCount(t testing.TB, app *apptest.App, org uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM organization_members WHERE organization_id = $1 AND role = 'owner'`, org).Scan(&n))
	return n
}

// ---- GET members ----

func TestMembers_EveryRoleListsMembers(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	want := map[uuid.UUID]client.Role{
		f.Owner.ID: client.RoleOwner, f.Admin(t).ID: client.RoleAdmin,
		f.Manager(t).ID: client.RoleManager, f.Member(t).ID: client.RoleMember,
	}
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			res, err := f.App.Client.ListMembersWithResponse(t.Context(), f.Org, nil, f.As(t, role).Auth())
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			list := res.JSON200
			assert.EqualValues(t, 4, list.Total)
			assert.EqualValues(t, 1, list.Page)
			assert.EqualValues(t, 20, list.PageSize, "default page size")
			require.Len(t, list.Items, 4)
			got := map[uuid.UUID]client.Role{}
			for _, m := range list.Items {
				got[m.UserId] = m.Role
				assert.False(t, m.JoinedAt.IsZero())
			}
			assert.Equal(t, want, got)
			// Oldest membership first: the founder, then in the order they were added.
			assert.Equal(t, []uuid.UUID{f.Owner.ID, f.Admin(t).ID, f.Manager(t).ID, f.Member(t).ID},
				[]uuid.UUID{list.Items[0].UserId, list.Items[1].UserId, list.Items[2].UserId, list.Items[3].UserId})
			assert.Equal(t, f.Admin(t).Email, list.Items[1].Email)
			assert.Equal(t, "admin", list.Items[1].Name)
		})
	}
	res, err := f.App.Client.ListMembersWithResponse(t.Context(), f.Org, nil, f.Outsider(t).Auth())
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "not_a_member")

	res, err = f.App.Client.ListMembersWithResponse(t.Context(), f.Org, nil)
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusUnauthorized, "unauthorized")
}

func TestMembers_ListPaginatesStablyAndPastTheEndIsEmptyWithTotal(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for i := range 3 {
		u := f.App.Register(t, fmt.Sprintf("extra%d", i))
		f.App.AddMember(t, f.Owner, f.Org, u, client.RoleMember)
	}
	const total = 7
	page := func(p, size int32) client.MemberList {
		t.Helper()
		res, err := f.App.Client.ListMembersWithResponse(t.Context(), f.Org,
			&client.ListMembersParams{Page: &p, PageSize: &size}, f.Member(t).Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, p, res.JSON200.Page)
		assert.Equal(t, size, res.JSON200.PageSize)
		assert.EqualValues(t, total, res.JSON200.Total, "page %d", p)
		return *res.JSON200
	}
	all := page(1, 100).Items
	require.Len(t, all, total)

	var walked []uuid.UUID
	for p, want := range map[int32]int{1: 3, 2: 3, 3: 1} {
		assert.Len(t, page(p, 3).Items, want, "page %d", p)
	}
	for p := int32(1); p <= 3; p++ {
		for _, m := range page(p, 3).Items {
			walked = append(walked, m.UserId)
		}
	}
	want := make([]uuid.UUID, len(all))
	for i, m := range all {
		want[i] = m.UserId
	}
	assert.Equal(t, want, walked, "pages concatenate to the full list, in order, without duplicates")

	for _, p := range []int32{4, 5, 1000, 1000000} {
		beyond := page(p, 3)
		assert.Empty(t, beyond.Items, "page %d", p)
		assert.NotNil(t, beyond.Items, "items is [] not null")
	}
	assert.Len(t, page(1, 1).Items, 1)
	assert.Len(t, page(7, 1).Items, 1)
	assert.Empty(t, page(8, 1).Items)
}

func TestMembers_ListRejectsBadPageParameters(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	base := "/api/v1/organizations/" + f.Org.String() + "/members"
	for _, q := range []struct{ query, field string }{
		{"page_size=101", "page_size"},
		{"page_size=1000", "page_size"},
		{"page_size=0", "page_size"},
		{"page_size=-1", "page_size"},
		{"page_size=ten", "page_size"},
		{"page=0", "page"},
		{"page=-3", "page"},
		{"page=1000001", "page"},
		{"page=first", "page"},
	} {
		t.Run(q.query, func(t *testing.T) {
			t.Parallel()
			res, body := f.App.Do(t, apptest.Request{Path: base + "?" + q.query, Token: f.Owner.Access})
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			require.NotEmpty(t, fieldsOf(p))
			assert.True(t, strings.HasPrefix(fieldsOf(p)[0], q.field), "fields: %v", fieldsOf(p))
		})
	}
	res, body := f.App.Do(t, apptest.Request{Path: base + "?page_size=100", Token: f.Owner.Access})
	assert.Equal(t, http.StatusOK, res.StatusCode, "page_size 100 is the maximum and allowed: %s", body)
}

// Joining is by invitation: see invitations_test.go.

// ---- PATCH members/{user_id} ----

func TestMembers_OwnerAndAdminChangeRoles(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	steps := []struct {
		actor  apptest.User
		target apptest.User
		role   client.Role
	}{
		{f.Owner, f.Member(t), client.RoleManager},
		{f.Owner, f.Member(t), client.RoleAdmin},
		{f.Owner, f.Member(t), client.RoleMember},
		{f.Admin(t), f.Manager(t), client.RoleMember},
		{f.Admin(t), f.Manager(t), client.RoleAdmin}, // an admin may make another admin
		{f.Admin(t), f.Manager(t), client.RoleManager},
		{f.Owner, f.Admin(t), client.RoleManager},
	}
	for _, s := range steps {
		res := membersPatch(t, f.App, s.actor, f.Org, s.target.ID, s.role)
		require.Equal(t, http.StatusOK, res.StatusCode(), "%s sets %s to %s: %s", s.actor.Name, s.target.Name, s.role, res.Body)
		assert.Equal(t, s.target.ID, res.JSON200.UserId)
		assert.Equal(t, s.role, res.JSON200.Role)
		assert.Equal(t, s.target.Email, res.JSON200.Email)
		assert.Equal(t, s.role, membersRoles(t, f.App, f.Owner, f.Org)[s.target.ID])
		assert.Equal(t, s.role, orgsMine(t, f.App, s.target)[f.Org])
	}
	// Setting the role a member already has is a harmless no-op.
	res := membersPatch(t, f.App, f.Owner, f.Org, f.Member(t).ID, client.RoleMember)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, client.RoleMember, res.JSON200.Role)
}

func TestMembers_NewRoleTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	rename := func(u apptest.User) int {
		res, err := f.App.Client.UpdateOrganizationWithResponse(t.Context(), f.Org,
			client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("By " + u.Name)}, u.Auth())
		require.NoError(t, err)
		return res.StatusCode()
	}
	require.Equal(t, http.StatusForbidden, rename(f.Member(t)))
	require.Equal(t, http.StatusOK, membersPatch(t, f.App, f.Owner, f.Org, f.Member(t).ID, client.RoleAdmin).StatusCode())
	assert.Equal(t, http.StatusOK, rename(f.Member(t)), "the promotion applies to the existing token")
	require.Equal(t, http.StatusOK, membersPatch(t, f.App, f.Owner, f.Org, f.Admin(t).ID, client.RoleMember).StatusCode())
	assert.Equal(t, http.StatusForbidden, rename(f.Admin(t)), "the demotion applies to the existing token")
}

func TestMembers_AdminCannotChangeAnOwnersRole(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, role := range apptest.Roles {
		res := membersPatch(t, f.App, f.Admin(t), f.Org, f.Owner.ID, role)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
	}
	assert.Equal(t, client.RoleOwner, membersRoles(t, f.App, f.Owner, f.Org)[f.Owner.ID])
}

func TestMembers_AdminCannotPromoteAnyoneToOwner(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	other := f.App.Register(t, "admin2")
	f.App.AddMember(t, f.Owner, f.Org, other, client.RoleAdmin)
	for _, target := range []apptest.User{f.Manager(t), f.Member(t), other} {
		res := membersPatch(t, f.App, f.Admin(t), f.Org, target.ID, client.RoleOwner)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
	}
	assert.Equal(t, 1, membersOwnerCount(t, f.App, f.Org))
}

func TestMembers_OwnerGrantsAndRevokesTheOwnerRole(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	res := membersPatch(t, f.App, f.Owner, f.Org, f.Admin(t).ID, client.RoleOwner)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, client.RoleOwner, res.JSON200.Role)
	assert.Equal(t, 2, membersOwnerCount(t, f.App, f.Org))

	// The new owner can do owner things at once, e.g. grant the owner role itself.
	res = membersPatch(t, f.App, f.Admin(t), f.Org, f.Manager(t).ID, client.RoleOwner)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)

	// And revoke it (change an owner to any other role).
	for _, role := range []client.Role{client.RoleAdmin, client.RoleMember} {
		res = membersPatch(t, f.App, f.Owner, f.Org, f.Manager(t).ID, role)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, role, res.JSON200.Role)
	}
	assert.Equal(t, 2, membersOwnerCount(t, f.App, f.Org))
}

func TestMembers_OneOfTwoOwnersDemotesTheOtherButNotTheLastOne(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	require.Equal(t, http.StatusOK, membersPatch(t, f.App, f.Owner, f.Org, f.Admin(t).ID, client.RoleOwner).StatusCode())

	// The second owner demotes the founder.
	res := membersPatch(t, f.App, f.Admin(t), f.Org, f.Owner.ID, client.RoleMember)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, client.RoleMember, res.JSON200.Role)
	assert.Equal(t, 1, membersOwnerCount(t, f.App, f.Org))

	// The demoted founder now has no say over the remaining owner.
	res = membersPatch(t, f.App, f.Owner, f.Org, f.Admin(t).ID, client.RoleMember)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	// And the last owner cannot demote themselves.
	res = membersPatch(t, f.App, f.Admin(t), f.Org, f.Admin(t).ID, client.RoleAdmin)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "own_role")
	assert.Equal(t, 1, membersOwnerCount(t, f.App, f.Org))
	assert.Equal(t, client.RoleOwner, membersRoles(t, f.App, f.Admin(t), f.Org)[f.Admin(t).ID])
}

func TestMembers_NobodyChangesTheirOwnRole(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	// A second owner, so that "last owner" is not what stops the founder.
	co := f.App.Register(t, "co-owner")
	f.App.AddMember(t, f.Owner, f.Org, co, client.RoleOwner)
	tests := []struct {
		actor apptest.User
		role  client.Role
		code  string
	}{
		{f.Owner, client.RoleAdmin, "own_role"},
		{f.Owner, client.RoleOwner, "own_role"},
		{co, client.RoleMember, "own_role"},
		{f.Admin(t), client.RoleManager, "own_role"},
		{f.Admin(t), client.RoleOwner, "own_role"},
		{f.Admin(t), client.RoleAdmin, "own_role"},
		{f.Manager(t), client.RoleAdmin, "forbidden"},
		{f.Member(t), client.RoleOwner, "forbidden"},
	}
	for _, tc := range tests {
		res := membersPatch(t, f.App, tc.actor, f.Org, tc.actor.ID, tc.role)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, tc.code)
	}
	assert.Equal(t, map[uuid.UUID]client.Role{
		f.Owner.ID: client.RoleOwner, f.Admin(t).ID: client.RoleAdmin, f.Manager(t).ID: client.RoleManager,
		f.Member(t).ID: client.RoleMember, co.ID: client.RoleOwner,
	}, membersRoles(t, f.App, f.Owner, f.Org))
}

func TestMembers_ChangeRoleOfNonMemberIsNotFound(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, target := range []uuid.UUID{f.Outsider(t).ID, uuid.New()} {
		for _, actor := range []apptest.User{f.Owner, f.Admin(t)} {
			res := membersPatch(t, f.App, actor, f.Org, target, client.RoleManager)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "not_found")
		}
	}
	assert.NotContains(t, orgsMine(t, f.App, f.Outsider(t)), f.Org)
}

func TestMembers_ManagerAndMemberCannotChangeRoles(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, actor := range []apptest.User{f.Manager(t), f.Member(t)} {
		for _, target := range []apptest.User{f.Owner, f.Admin(t), f.Manager(t), f.Member(t)} {
			if target.ID == actor.ID {
				continue
			}
			for _, role := range apptest.Roles {
				res := membersPatch(t, f.App, actor, f.Org, target.ID, role)
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
			}
		}
	}
	assert.Equal(t, map[uuid.UUID]client.Role{
		f.Owner.ID: client.RoleOwner, f.Admin(t).ID: client.RoleAdmin,
		f.Manager(t).ID: client.RoleManager, f.Member(t).ID: client.RoleMember,
	}, membersRoles(t, f.App, f.Owner, f.Org))
}

func TestMembers_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, tc := range []struct{ name, body, code, field string }{
		{"unknown role", `{"role": "king"}`, "validation_failed", "role"},
		{"uppercase role", `{"role": "ADMIN"}`, "validation_failed", "role"},
		{"missing role", `{}`, "validation_failed", ""},
		{"unknown field", `{"role": "admin", "email": "x@example.com"}`, "validation_failed", "email"},
		{"malformed JSON", `{"role"`, "malformed_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := f.App.Client.UpdateMemberWithBodyWithResponse(t.Context(), f.Org, f.Member(t).ID,
				"application/json", strings.NewReader(tc.body), f.Owner.Auth())
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	apptest.Finally(t, func(t testing.TB) {
		assert.Equal(t, client.RoleMember, membersRoles(t, f.App, f.Owner, f.Org)[f.Member(t).ID])
	})
}

// ---- DELETE members/{user_id} ----

func TestMembers_OwnerAndAdminRemoveMembers(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	admin2 := f.App.Register(t, "admin2")
	f.App.AddMember(t, f.Owner, f.Org, admin2, client.RoleAdmin)
	steps := []struct{ actor, target apptest.User }{
		{f.Admin(t), f.Member(t)},
		{f.Admin(t), admin2}, // an admin may remove another admin
		{f.Owner, f.Manager(t)},
		{f.Owner, f.Admin(t)},
	}
	for _, s := range steps {
		res := membersRemove(t, f.App, s.actor, f.Org, s.target.ID)
		require.Equal(t, http.StatusNoContent, res.StatusCode(), "%s removes %s: %s", s.actor.Name, s.target.Name, res.Body)
		assert.Empty(t, res.Body)
		assert.NotContains(t, membersRoles(t, f.App, f.Owner, f.Org), s.target.ID)
		assert.NotContains(t, orgsMine(t, f.App, s.target), f.Org)
	}
	assert.Equal(t, map[uuid.UUID]client.Role{f.Owner.ID: client.RoleOwner}, membersRoles(t, f.App, f.Owner, f.Org))

	// A removed user can be added again.
	f.App.AddMember(t, f.Owner, f.Org, f.Member(t), client.RoleManager)
	assert.Equal(t, client.RoleManager, orgsMine(t, f.App, f.Member(t))[f.Org])
}

func TestMembers_AdminCannotRemoveAnOwner(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	co := f.App.Register(t, "co-owner")
	f.App.AddMember(t, f.Owner, f.Org, co, client.RoleOwner)
	for _, target := range []apptest.User{f.Owner, co} {
		res := membersRemove(t, f.App, f.Admin(t), f.Org, target.ID)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
	}
	assert.Equal(t, 2, membersOwnerCount(t, f.App, f.Org))
	// An owner may remove another owner.
	res := membersRemove(t, f.App, co, f.Org, f.Owner.ID)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, 1, membersOwnerCount(t, f.App, f.Org))
}

func TestMembers_AnyMemberMayLeave(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, role := range []client.Role{client.RoleMember, client.RoleManager, client.RoleAdmin} {
		u := f.As(t, role)
		res := membersRemove(t, f.App, u, f.Org, u.ID)
		require.Equal(t, http.StatusNoContent, res.StatusCode(), "%s leaves: %s", role, res.Body)
		assert.NotContains(t, orgsMine(t, f.App, u), f.Org)
		got := orgsGet(t, f.App, u, f.Org)
		problemOf(t, got.HTTPResponse, got.Body, http.StatusForbidden, "not_a_member")
	}
	assert.Equal(t, map[uuid.UUID]client.Role{f.Owner.ID: client.RoleOwner}, membersRoles(t, f.App, f.Owner, f.Org))
}

func TestMembers_LastOwnerCannotLeaveButAnOwnerAmongTwoCan(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	res := membersRemove(t, f.App, f.Owner, f.Org, f.Owner.ID)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "last_owner")
	assert.Equal(t, client.RoleOwner, orgsMine(t, f.App, f.Owner)[f.Org])

	co := f.App.Register(t, "co-owner")
	f.App.AddMember(t, f.Owner, f.Org, co, client.RoleOwner)
	res = membersRemove(t, f.App, f.Owner, f.Org, f.Owner.ID)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.NotContains(t, orgsMine(t, f.App, f.Owner), f.Org)

	// Now co is the last owner: they can neither leave nor be removed by anyone.
	res = membersRemove(t, f.App, co, f.Org, co.ID)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "last_owner")
	res = membersRemove(t, f.App, f.Admin(t), f.Org, co.ID)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "owner_role_forbidden")
	assert.Equal(t, 1, membersOwnerCount(t, f.App, f.Org))
	assert.Equal(t, client.RoleOwner, membersRoles(t, f.App, co, f.Org)[co.ID])
}

func TestMembers_RemovedUserLosesAccessAtOnce(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, victim := range []apptest.User{f.Member(t), f.Manager(t), f.Admin(t)} {
		// The victim's token works right before...
		before := orgsGet(t, f.App, victim, f.Org)
		require.Equal(t, http.StatusOK, before.StatusCode())

		res := membersRemove(t, f.App, f.Owner, f.Org, victim.ID)
		require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)

		// ...and the same token is refused right after, on every organization route.
		got := orgsGet(t, f.App, victim, f.Org)
		problemOf(t, got.HTTPResponse, got.Body, http.StatusForbidden, "not_a_member")
		list, err := f.App.Client.ListMembersWithResponse(t.Context(), f.Org, nil, victim.Auth())
		require.NoError(t, err)
		problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "not_a_member")
		upd, err := f.App.Client.UpdateOrganizationWithResponse(t.Context(), f.Org,
			client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("revenge")}, victim.Auth())
		require.NoError(t, err)
		problemOf(t, upd.HTTPResponse, upd.Body, http.StatusForbidden, "not_a_member")
		add := invite(t, f.App, victim, f.Org, victim.Email, client.RoleAdmin)
		problemOf(t, add.HTTPResponse, add.Body, http.StatusForbidden, "not_a_member")
		again := membersRemove(t, f.App, victim, f.Org, victim.ID)
		problemOf(t, again.HTTPResponse, again.Body, http.StatusForbidden, "not_a_member")

		// The session itself is still alive for the victim's other organizations.
		mine := orgsMine(t, f.App, victim)
		assert.NotContains(t, mine, f.Org)
		assert.Contains(t, mine, victim.OrgID)
	}
	got := orgsGet(t, f.App, f.Owner, f.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, "owner's organization", got.JSON200.Name)
}

func TestMembers_ManagerAndMemberCannotRemoveOthers(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, actor := range []apptest.User{f.Manager(t), f.Member(t)} {
		for _, target := range []apptest.User{f.Owner, f.Admin(t), f.Manager(t), f.Member(t)} {
			if target.ID == actor.ID {
				continue
			}
			res := membersRemove(t, f.App, actor, f.Org, target.ID)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		}
		// Not even someone who is not a member: the role check comes first.
		res := membersRemove(t, f.App, actor, f.Org, uuid.New())
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	}
	assert.Len(t, membersRoles(t, f.App, f.Owner, f.Org), 4)
}

func TestMembers_RemoveNonMemberIsNotFound(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, actor := range []apptest.User{f.Owner, f.Admin(t)} {
		for _, target := range []uuid.UUID{f.Outsider(t).ID, uuid.New()} {
			res := membersRemove(t, f.App, actor, f.Org, target)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "not_found")
		}
	}
	// The outsider keeps their own organization.
	assert.Equal(t, client.RoleOwner, orgsMine(t, f.App, f.Outsider(t))[f.Outsider(t).OrgID])
}

// ---- tenant isolation ----

func TestMembers_OwnerOfOneOrganizationCannotTouchAnothers(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada") // owner of A
	bob := app.Register(t, "bob") // owner of B
	bobsMember := app.Register(t, "bobs-member")
	app.AddMember(t, bob, bob.OrgID, bobsMember, client.RoleMember)
	orgA, orgB := ada.OrgID, bob.OrgID

	notAMember := func(res *http.Response, body []byte) {
		t.Helper()
		problemOf(t, res, body, http.StatusForbidden, "not_a_member")
	}
	list, err := app.Client.ListMembersWithResponse(t.Context(), orgB, nil, ada.Auth())
	require.NoError(t, err)
	notAMember(list.HTTPResponse, list.Body)
	add := invite(t, app, ada, orgB, ada.Email, client.RoleOwner)
	notAMember(add.HTTPResponse, add.Body)
	for _, target := range []uuid.UUID{bob.ID, bobsMember.ID} {
		upd := membersPatch(t, app, ada, orgB, target, client.RoleMember)
		notAMember(upd.HTTPResponse, upd.Body)
		del := membersRemove(t, app, ada, orgB, target)
		notAMember(del.HTTPResponse, del.Body)
	}
	get := orgsGet(t, app, ada, orgB)
	notAMember(get.HTTPResponse, get.Body)
	patch, err := app.Client.UpdateOrganizationWithResponse(t.Context(), orgB,
		client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("Taken")}, ada.Auth())
	require.NoError(t, err)
	notAMember(patch.HTTPResponse, patch.Body)
	delOrg, err := app.Client.DeleteOrganizationWithResponse(t.Context(), orgB, ada.Auth())
	require.NoError(t, err)
	notAMember(delOrg.HTTPResponse, delOrg.Body)

	// B's members addressed through A, where ada IS the owner, are simply not there.
	upd := membersPatch(t, app, ada, orgA, bobsMember.ID, client.RoleAdmin)
	problemOf(t, upd.HTTPResponse, upd.Body, http.StatusNotFound, "not_found")
	del := membersRemove(t, app, ada, orgA, bob.ID)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")

	// Nothing of B appears in A's answers, and B is intact.
	assert.Equal(t, map[uuid.UUID]client.Role{ada.ID: client.RoleOwner}, membersRoles(t, app, ada, orgA))
	assert.Equal(t, map[uuid.UUID]client.Role{orgA: client.RoleOwner}, orgsMine(t, app, ada))
	assert.Equal(t, map[uuid.UUID]client.Role{bob.ID: client.RoleOwner, bobsMember.ID: client.RoleMember},
		membersRoles(t, app, bob, orgB))
	gotB := orgsGet(t, app, bob, orgB)
	require.Equal(t, http.StatusOK, gotB.StatusCode())
	assert.Equal(t, "bob's organization", gotB.JSON200.Name)
}

// ---- the role matrix ----

// TestMembers_RoleMatrix drives every organization and member operation as each role against the
// expected answer of DESIGN.md §5, then checks the operation had (or did not have) its effect.
func TestMembers_RoleMatrix(t *testing.T) {
	t.Parallel()
	type want struct {
		status int
		code   string // for refusals
	}
	ok200, ok201, ok204 := want{status: 200}, want{status: 201}, want{status: 204}
	forbidden := want{http.StatusForbidden, "forbidden"}
	ownerOnly := want{http.StatusForbidden, "owner_role_forbidden"}

	// world is a fresh organization of the founding owner, with the actor in the role under test,
	// and a registered user the operation may use as its target.
	type world struct {
		app     *apptest.App
		org     uuid.UUID
		founder apptest.User
		actor   apptest.User
		target  apptest.User
	}
	// newTarget makes w.target a member with role, unless role is "".
	newTarget := func(t *testing.T, w world, role client.Role) apptest.User {
		if role != "" {
			w.app.AddMember(t, w.founder, w.org, w.target, role)
		}
		return w.target
	}
	ops := []struct {
		name string
		// run performs the operation as the actor and checks its effect (allowed) or its absence.
		run    func(t *testing.T, w world) (*http.Response, []byte, func(allowed bool))
		expect map[client.Role]want
	}{
		{"get organization", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res := orgsGet(t, w.app, w.actor, w.org)
			return res.HTTPResponse, res.Body, func(bool) {}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ok200, client.RoleManager: ok200, client.RoleMember: ok200}},

		{"update settings", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res, err := w.app.Client.UpdateOrganizationWithResponse(t.Context(), w.org, client.UpdateOrganizationJSONRequestBody{
				Name: apptest.Ptr("Changed"), Settings: &client.OrganizationSettingsUpdate{MembersSeeAll: apptest.Ptr(false)},
			}, w.actor.Auth())
			require.NoError(t, err)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				got := orgsGet(t, w.app, w.founder, w.org)
				require.Equal(t, http.StatusOK, got.StatusCode())
				assert.Equal(t, allowed, got.JSON200.Name == "Changed")
				assert.Equal(t, !allowed, got.JSON200.Settings.MembersSeeAll)
			}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ok200, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"list members", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res, err := w.app.Client.ListMembersWithResponse(t.Context(), w.org, nil, w.actor.Auth())
			require.NoError(t, err)
			return res.HTTPResponse, res.Body, func(bool) {}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ok200, client.RoleManager: ok200, client.RoleMember: ok200}},

		{"invite a member", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, "")
			res := invite(t, w.app, w.actor, w.org, u.Email, client.RoleManager)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				if allowed {
					w.app.AcceptInvitation(t, u, res.JSON201.Token)
				}
				role, in := membersRoles(t, w.app, w.founder, w.org)[u.ID]
				assert.Equal(t, allowed, in)
				if allowed {
					assert.Equal(t, client.RoleManager, role)
				}
			}
		}, map[client.Role]want{client.RoleOwner: ok201, client.RoleAdmin: ok201, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"invite an owner", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, "")
			res := invite(t, w.app, w.actor, w.org, u.Email, client.RoleOwner)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				if allowed {
					w.app.AcceptInvitation(t, u, res.JSON201.Token)
				}
				role, in := membersRoles(t, w.app, w.founder, w.org)[u.ID]
				assert.Equal(t, allowed, in)
				if allowed {
					assert.Equal(t, client.RoleOwner, role)
				}
			}
		}, map[client.Role]want{client.RoleOwner: ok201, client.RoleAdmin: ownerOnly, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"change a role", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, client.RoleMember)
			res := membersPatch(t, w.app, w.actor, w.org, u.ID, client.RoleManager)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				want := map[bool]client.Role{true: client.RoleManager, false: client.RoleMember}[allowed]
				assert.Equal(t, want, membersRoles(t, w.app, w.founder, w.org)[u.ID])
			}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ok200, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"grant owner", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, client.RoleAdmin)
			res := membersPatch(t, w.app, w.actor, w.org, u.ID, client.RoleOwner)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				want := map[bool]client.Role{true: client.RoleOwner, false: client.RoleAdmin}[allowed]
				assert.Equal(t, want, membersRoles(t, w.app, w.founder, w.org)[u.ID])
			}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ownerOnly, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"revoke owner", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, client.RoleOwner)
			res := membersPatch(t, w.app, w.actor, w.org, u.ID, client.RoleAdmin)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				want := map[bool]client.Role{true: client.RoleAdmin, false: client.RoleOwner}[allowed]
				assert.Equal(t, want, membersRoles(t, w.app, w.founder, w.org)[u.ID])
			}
		}, map[client.Role]want{client.RoleOwner: ok200, client.RoleAdmin: ownerOnly, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"change own role", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res := membersPatch(t, w.app, w.actor, w.org, w.actor.ID, client.RoleMember)
			return res.HTTPResponse, res.Body, func(bool) {}
		}, map[client.Role]want{
			client.RoleOwner: {http.StatusForbidden, "own_role"}, client.RoleAdmin: {http.StatusForbidden, "own_role"},
			client.RoleManager: forbidden, client.RoleMember: forbidden,
		}},

		{"remove member", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, client.RoleMember)
			res := membersRemove(t, w.app, w.actor, w.org, u.ID)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				assert.Equal(t, !allowed, membersRoles(t, w.app, w.founder, w.org)[u.ID] == client.RoleMember)
			}
		}, map[client.Role]want{client.RoleOwner: ok204, client.RoleAdmin: ok204, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"remove owner", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			u := newTarget(t, w, client.RoleOwner)
			res := membersRemove(t, w.app, w.actor, w.org, u.ID)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				assert.Equal(t, !allowed, membersRoles(t, w.app, w.founder, w.org)[u.ID] == client.RoleOwner)
			}
		}, map[client.Role]want{client.RoleOwner: ok204, client.RoleAdmin: ownerOnly, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"delete organization", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res, err := w.app.Client.DeleteOrganizationWithResponse(t.Context(), w.org, w.actor.Auth())
			require.NoError(t, err)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				got := orgsGet(t, w.app, w.founder, w.org)
				assert.Equal(t, map[bool]int{true: http.StatusForbidden, false: http.StatusOK}[allowed], got.StatusCode())
			}
		}, map[client.Role]want{client.RoleOwner: ok204, client.RoleAdmin: forbidden, client.RoleManager: forbidden, client.RoleMember: forbidden}},

		{"leave", func(t *testing.T, w world) (*http.Response, []byte, func(bool)) {
			res := membersRemove(t, w.app, w.actor, w.org, w.actor.ID)
			return res.HTTPResponse, res.Body, func(allowed bool) {
				_, in := orgsMine(t, w.app, w.actor)[w.org]
				assert.Equal(t, !allowed, in)
			}
		}, map[client.Role]want{client.RoleOwner: ok204, client.RoleAdmin: ok204, client.RoleManager: ok204, client.RoleMember: ok204}},
	}

	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			// One server and three users per role; every operation gets an organization of its own.
			app := apptest.New(t)
			founder := app.Register(t, "founder")
			actor := app.Register(t, "actor-"+string(role))
			target := app.Register(t, "target")
			for _, op := range ops {
				want, ok := op.expect[role]
				require.True(t, ok, "%s has no expectation for %s", op.name, role)
				t.Run(op.name, func(t *testing.T) {
					t.Parallel()
					created, err := app.Client.CreateOrganizationWithResponse(t.Context(),
						client.CreateOrganizationJSONRequestBody{Name: op.name}, founder.Auth())
					require.NoError(t, err)
					require.Equal(t, http.StatusCreated, created.StatusCode(), "body: %s", created.Body)
					w := world{app: app, org: created.JSON201.Id, founder: founder, actor: actor, target: target}
					// The actor is a second owner when role is owner, so that "last owner" never interferes.
					app.AddMember(t, founder, w.org, actor, role)

					res, body, check := op.run(t, w)
					if want.status < 300 {
						require.Equal(t, want.status, res.StatusCode, "body: %s", body)
					} else {
						problemOf(t, res, body, want.status, want.code)
					}
					check(want.status < 300)
				})
			}
		})
	}
}

// ---- concurrency ----

// TestMembers_ConcurrentMutualDemotionNeverLeavesNoOwner lets two owners demote each other at the
// same moment, again and again on fresh organizations: exactly one wins and an owner always remains.
func TestMembers_ConcurrentMutualDemotionNeverLeavesNoOwner(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	conflicts := 0
	for i := range 10 {
		created, err := app.Client.CreateOrganizationWithResponse(t.Context(),
			client.CreateOrganizationJSONRequestBody{Name: fmt.Sprintf("race %d", i)}, ada.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, created.StatusCode(), "body: %s", created.Body)
		org := created.JSON201.Id
		app.AddMember(t, ada, org, bob, client.RoleOwner)

		results := membersRace(t, []apptest.User{ada, bob}, func(actor, other apptest.User) (*http.Response, []byte, error) {
			res, err := app.Client.UpdateMemberWithResponse(t.Context(), org, other.ID,
				client.UpdateMemberJSONRequestBody{Role: client.RoleAdmin}, actor.Auth())
			if err != nil {
				return nil, nil, err
			}
			return res.HTTPResponse, res.Body, nil
		}, nil)
		wins := 0
		for _, r := range results {
			switch r.status {
			case http.StatusOK:
				wins++
			case http.StatusConflict:
				conflicts++
				assert.Equal(t, "last_owner", r.code)
			case http.StatusForbidden:
				// The loser was demoted before its own request resolved its role: it is no longer
				// an owner and may not touch one.
				assert.Equal(t, "owner_role_forbidden", r.code)
			default:
				t.Errorf("round %d: unexpected status %d: %s", i, r.status, r.body)
			}
		}
		assert.Equal(t, 1, wins, "round %d: exactly one demotion succeeds", i)
		assert.Equal(t, 1, membersOwnerCount(t, app, org), "round %d: one owner remains", i)
	}
	t.Logf("%d of 10 rounds were decided by the last-owner check", conflicts)
}

// TestMembers_SimultaneousOwnerRemovalsKeepTheLastOwner makes the race certain: the test itself
// holds the owner rows locked until both requests are waiting on them, so both callers are still
// owners when their requests resolve their role. One wins; the other must get 409 last_owner.
func TestMembers_SimultaneousOwnerRemovalsKeepTheLastOwner(t *testing.T) {
	t.Parallel()
	type op = func(app *apptest.App, org uuid.UUID, actor, other apptest.User) (*http.Response, []byte, error)
	tests := []struct {
		name string
		win  int
		op   op
	}{
		{"demote each other", http.StatusOK, func(app *apptest.App, org uuid.UUID, actor, other apptest.User) (*http.Response, []byte, error) {
			res, err := app.Client.UpdateMemberWithResponse(t.Context(), org, other.ID,
				client.UpdateMemberJSONRequestBody{Role: client.RoleMember}, actor.Auth())
			if err != nil {
				return nil, nil, err
			}
			return res.HTTPResponse, res.Body, nil
		}},
		{"remove each other", http.StatusNoContent, func(app *apptest.App, org uuid.UUID, actor, other apptest.User) (*http.Response, []byte, error) {
			res, err := app.Client.RemoveMemberWithResponse(t.Context(), org, other.ID, actor.Auth())
			if err != nil {
				return nil, nil, err
			}
			return res.HTTPResponse, res.Body, nil
		}},
		{"both leave", http.StatusNoContent, func(app *apptest.App, org uuid.UUID, actor, _ apptest.User) (*http.Response, []byte, error) {
			res, err := app.Client.RemoveMemberWithResponse(t.Context(), org, actor.ID, actor.Auth())
			if err != nil {
				return nil, nil, err
			}
			return res.HTTPResponse, res.Body, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := apptest.New(t)
			ada := app.Register(t, "ada")
			bob := app.Register(t, "bob")
			org := ada.OrgID
			app.AddMember(t, ada, org, bob, client.RoleOwner)

			ctx := t.Context()
			tx, err := app.Pool.Begin(ctx)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, `SELECT 1 FROM organization_members WHERE organization_id = $1 AND role = 'owner' FOR UPDATE`, org)
			if err != nil {
				_ = tx.Rollback(ctx)
				require.NoError(t, err)
			}
			gate := func() {
				// Release the owner rows once both requests wait for them (or on failure).
				defer func() { _ = tx.Rollback(ctx) }()
				deadline := time.Now().Add(15 * time.Second)
				for {
					var waiting int
					require.NoError(t, app.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
						WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
					if waiting >= 2 {
						return
					}
					require.True(t, time.Now().Before(deadline), "the requests never reached the owner lock")
					time.Sleep(5 * time.Millisecond)
				}
			}
			results := membersRace(t, []apptest.User{ada, bob}, func(actor, other apptest.User) (*http.Response, []byte, error) {
				return tc.op(app, org, actor, other)
			}, gate)
			assert.ElementsMatch(t, []int{tc.win, http.StatusConflict}, []int{results[0].status, results[1].status},
				"results: %+v", results)
			for _, r := range results {
				if r.status == http.StatusConflict {
					assert.Equal(t, "last_owner", r.code)
				}
			}
			assert.Equal(t, 1, membersOwnerCount(t, app, org))
		})
	}
}

type membersRaceResult struct {
	status int
	code   string
	body   string
}

// membersRace runs op for both users (each acting on the other) at the same moment and returns
// the answers; gate, if given, runs while the requests are in flight.
func membersRace(t *testing.T, users []apptest.User,
	op func(actor, other apptest.User) (*http.Response, []byte, error), gate func(),
) []membersRaceResult {
	t.Helper()
	require.Len(t, users, 2)
	results := make([]membersRaceResult, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, body, err := op(users[i], users[1-i])
			if err != nil {
				errs[i] = err
				return
			}
			results[i] = membersRaceResult{status: res.StatusCode, body: string(body)}
			var p client.Problem
			if res.StatusCode >= 400 && json.Unmarshal(body, &p) == nil {
				results[i].code = p.Code
			}
		}()
	}
	close(start)
	if gate != nil {
		gate()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return results
}
