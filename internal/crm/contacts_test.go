package crm

import (
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func contactsTestPtr[T any](v T) *T { return &v }

func TestContacts_ApplyContactPatch(t *testing.T) {
	t.Parallel()
	org, me, other := uuid.New(), uuid.New(), uuid.New()
	as := func(role tenancy.Role, seeAll bool) tenancy.Membership {
		return tenancy.Membership{Principal: tenancy.Principal{UserID: me}, OrganizationID: org, Role: role,
			Settings: tenancy.Settings{MembersSeeAll: seeAll}}
	}
	cur := func(owner uuid.UUID) contactState {
		return contactState{Name: "Ada", Email: contactsTestPtr("ada@example.com"), Phone: contactsTestPtr("+1"),
			Company: contactsTestPtr("AE"), Notes: contactsTestPtr("n"), OwnerID: owner}
	}
	set := patch.Set[string]
	null := patch.Null[string]

	cases := []struct {
		name  string
		m     tenancy.Membership
		owner uuid.UUID
		patch ContactPatch
		want  func(contactState) contactState
		code  string
		kind  apperr.Kind
	}{
		{name: "empty patch keeps everything", m: as(tenancy.RoleMember, true), owner: me,
			want: func(s contactState) contactState { return s }},
		{name: "null clears optional fields", m: as(tenancy.RoleMember, true), owner: me,
			patch: ContactPatch{Email: null(), Phone: null(), Company: null(), Notes: null()},
			want: func(s contactState) contactState {
				s.Email, s.Phone, s.Company, s.Notes = nil, nil, nil, nil
				return s
			}},
		{name: "values are trimmed, notes kept as given", m: as(tenancy.RoleManager, true), owner: other,
			patch: ContactPatch{Name: set(" Grace "), Email: set(" G@x.io "), Notes: set("  keep  ")},
			want: func(s contactState) contactState {
				s.Name, s.Email, s.Notes = "Grace", contactsTestPtr("G@x.io"), contactsTestPtr("  keep  ")
				return s
			}},
		{name: "blank name", m: as(tenancy.RoleOwner, true), owner: me,
			patch: ContactPatch{Name: set("  ")}, code: "validation_failed", kind: apperr.KindInvalid},
		{name: "blank phone", m: as(tenancy.RoleOwner, true), owner: me,
			patch: ContactPatch{Phone: set(" ")}, code: "validation_failed", kind: apperr.KindInvalid},
		{name: "manager changes owner", m: as(tenancy.RoleManager, true), owner: me,
			patch: ContactPatch{OwnerID: patch.Set(other)},
			want: func(s contactState) contactState {
				s.OwnerID = other
				return s
			}},
		{name: "member cannot change owner", m: as(tenancy.RoleMember, true), owner: me,
			patch: ContactPatch{OwnerID: patch.Set(other)}, code: "forbidden", kind: apperr.KindForbidden},
		{name: "member naming the current owner is no change", m: as(tenancy.RoleMember, true), owner: me,
			patch: ContactPatch{OwnerID: patch.Set(me)}, want: func(s contactState) contactState { return s }},
		{name: "member cannot change another's contact", m: as(tenancy.RoleMember, true), owner: other,
			patch: ContactPatch{Notes: set("x")}, code: "forbidden", kind: apperr.KindForbidden},
		{name: "member cannot see another's contact", m: as(tenancy.RoleMember, false), owner: other,
			patch: ContactPatch{Notes: set("x")}, code: "not_found", kind: apperr.KindNotFound},
		{name: "admin changes another's contact", m: as(tenancy.RoleAdmin, false), owner: other,
			patch: ContactPatch{Company: set("New")},
			want: func(s contactState) contactState {
				s.Company = contactsTestPtr("New")
				return s
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := cur(tc.owner)
			got, err := applyContactPatch(tc.m, before, tc.patch)
			if tc.code != "" {
				e, ok := apperr.As(err)
				require.True(t, ok, "error %v", err)
				assert.Equal(t, tc.code, e.Code)
				assert.Equal(t, tc.kind, e.Kind)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want(cur(tc.owner)), got)
			assert.Equal(t, cur(tc.owner), before, "the current state is not modified")
		})
	}
}

func TestContacts_NewContactNormalize(t *testing.T) {
	t.Parallel()
	st, err := NewContact{Name: " Ada ", Email: contactsTestPtr(" a@b.io "), Company: contactsTestPtr(" AE "), Notes: contactsTestPtr(" n ")}.normalize()
	require.NoError(t, err)
	assert.Equal(t, "Ada", st.Name)
	assert.Equal(t, contactsTestPtr("a@b.io"), st.Email)
	assert.Equal(t, contactsTestPtr("AE"), st.Company)
	assert.Equal(t, contactsTestPtr(" n "), st.Notes)
	assert.Nil(t, st.Phone)

	for _, in := range []NewContact{{Name: " "}, {Name: "A", Phone: contactsTestPtr("\t")}, {Name: "A", Company: contactsTestPtr("")}} {
		_, err := in.normalize()
		assert.True(t, apperr.HasCode(err, "validation_failed"), "%+v: %v", in, err)
	}
}

func TestContacts_StateEquality(t *testing.T) {
	t.Parallel()
	a := contactState{Name: "A", Email: contactsTestPtr("x@y.io"), OwnerID: uuid.New()}
	b := a
	b.Email = contactsTestPtr("x@y.io")
	assert.True(t, a.equal(b), "pointers to equal strings are equal")
	b.Email = contactsTestPtr("X@y.io")
	assert.False(t, a.equal(b), "a change of case is a change")
	b.Email = nil
	assert.False(t, a.equal(b))
}
