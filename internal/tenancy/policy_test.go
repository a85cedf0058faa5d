package tenancy

import (
	"testing"

	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expected is DESIGN.md §5, written out independently of the policy table it checks: one row per
// action, the roles that may do it. A role absent from a row may not.
var expected = map[Action][]Role{
	ReadRecords:        {RoleOwner, RoleAdmin, RoleManager, RoleMember},
	CreateRecords:      {RoleOwner, RoleAdmin, RoleManager, RoleMember},
	ModifyAnyRecord:    {RoleOwner, RoleAdmin, RoleManager},
	AssignRecordOwner:  {RoleOwner, RoleAdmin, RoleManager},
	RollbackDealStage:  {RoleOwner, RoleAdmin},
	ManageSettings:     {RoleOwner, RoleAdmin},
	ManageMembers:      {RoleOwner, RoleAdmin},
	InviteMembers:      {RoleOwner, RoleAdmin},
	ManageOwners:       {RoleOwner},
	ManageWebhooks:     {RoleOwner, RoleAdmin},
	DeleteOrganization: {RoleOwner},
}

func allowed(a Action, r Role) bool {
	for _, x := range expected[a] {
		if x == r {
			return true
		}
	}
	return false
}

func TestPolicy_MatchesDesignTableForEveryRoleAndAction(t *testing.T) {
	t.Parallel()
	require.Len(t, Actions(), len(expected), "every action of the policy needs a row in the expected table")
	require.Equal(t, []Role{RoleOwner, RoleAdmin, RoleManager, RoleMember}, Roles())
	for _, a := range Actions() {
		_, ok := expected[a]
		require.True(t, ok, "action %q has no row in the expected table", a)
		for _, r := range Roles() {
			want := allowed(a, r)
			t.Run(string(a)+"/"+string(r), func(t *testing.T) {
				t.Parallel()
				assert.Equal(t, want, Can(r, a))
				m := Membership{Role: r}
				assert.Equal(t, want, m.Can(a))
				err := m.Require(a)
				if want {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, apperr.ErrForbidden)
				}
			})
		}
	}
}

func TestPolicy_ActionsAreDistinct(t *testing.T) {
	t.Parallel()
	seen := map[Action]bool{}
	for _, a := range Actions() {
		assert.False(t, seen[a], "action %q listed twice", a)
		seen[a] = true
	}
}

func TestPolicy_RolesAreOrderedByPower(t *testing.T) {
	t.Parallel()
	// A more powerful role may do everything a less powerful one may.
	roles := Roles()
	for i := 1; i < len(roles); i++ {
		stronger, weaker := roles[i-1], roles[i]
		for _, a := range Actions() {
			if Can(weaker, a) {
				assert.True(t, Can(stronger, a), "%s may %s but %s may not", weaker, a, stronger)
			}
		}
	}
}

func TestPolicy_UnknownRoleOrActionMayDoNothing(t *testing.T) {
	t.Parallel()
	for _, r := range []Role{"", "Owner", "OWNER", "superuser", "owner "} {
		for _, a := range Actions() {
			assert.False(t, Can(r, a), "role %q action %q", r, a)
			assert.ErrorIs(t, Membership{Role: r}.Require(a), apperr.ErrForbidden)
		}
	}
	for _, r := range Roles() {
		assert.False(t, Can(r, Action("")), "role %q empty action", r)
		assert.False(t, Can(r, Action("drop_database")), "role %q unknown action", r)
	}
}

func TestContext_MissingPrincipalOrMembershipFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, err := PrincipalFrom(ctx)
	assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	_, err = MembershipFrom(ctx)
	assert.ErrorIs(t, err, apperr.ErrNotAMember)

	p := Principal{}
	m := Membership{Principal: p, Role: RoleAdmin}
	ctx = WithMembership(WithPrincipal(ctx, p), m)
	gotP, err := PrincipalFrom(ctx)
	require.NoError(t, err)
	assert.Equal(t, p, gotP)
	gotM, err := MembershipFrom(ctx)
	require.NoError(t, err)
	assert.Equal(t, m, gotM)
}
