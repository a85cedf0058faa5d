package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- helpers shared by organizations_test.go and members_test.go ----

// newOrgsTeam is a team whose admin, manager and member joined at once, in that order: these tests
// count and order the organization's members.
func newOrgsTeam(t *testing.T) *apptest.Team {
	t.Helper()
	return apptest.NewTeam(t, &apptest.TeamOptions{Eager: []client.Role{client.RoleAdmin, client.RoleManager, client.RoleMember}})
}

// orgsMine returns the caller's organizations keyed by id, with their role.
func orgsMine(t testing.TB, app *apptest.App, u apptest.User) map[uuid.UUID]client.Role {
	t.Helper()
	res, err := app.Client.ListMyOrganizationsWithResponse(t.Context(), u.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	out := map[uuid.UUID]client.Role{}
	for _, o := range res.JSON200.Items {
		out[o.Id] = o.Role
	}
	return out
}

// orgsGet sends GET /organizations/{id} as u.
func orgsGet(t testing.TB, app *apptest.App, u apptest.User, org uuid.UUID) *client.GetOrganizationResponse {
	t.Helper()
	res, err := app.Client.GetOrganizationWithResponse(t.Context(), org, u.Auth())
	require.NoError(t, err)
	return res
}

// ---- GET /organizations/me ----

func TestOrganizations_MeListsEachOrganizationWithTheCallersRole(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	bob := app.Register(t, "bob")
	carol := app.Register(t, "carol")
	app.AddMember(t, bob, bob.OrgID, ada, client.RoleManager)

	res, err := app.Client.ListMyOrganizationsWithResponse(t.Context(), ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	items := res.JSON200.Items
	require.Len(t, items, 2)
	// Oldest membership first.
	assert.Equal(t, ada.OrgID, items[0].Id)
	assert.Equal(t, client.RoleOwner, items[0].Role)
	assert.Equal(t, "ada's organization", items[0].Name)
	assert.Equal(t, bob.OrgID, items[1].Id)
	assert.Equal(t, client.RoleManager, items[1].Role)
	assert.Equal(t, "bob's organization", items[1].Name)
	assert.Equal(t, "no-store", res.HTTPResponse.Header.Get("Cache-Control"))

	assert.Equal(t, map[uuid.UUID]client.Role{bob.OrgID: client.RoleOwner}, orgsMine(t, app, bob))
	assert.Equal(t, map[uuid.UUID]client.Role{carol.OrgID: client.RoleOwner}, orgsMine(t, app, carol),
		"carol sees none of the other users' organizations")
}

// ---- POST /organizations ----

func TestOrganizations_CreateMakesTheCallerOwner(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")

	res, err := app.Client.CreateOrganizationWithResponse(t.Context(),
		client.CreateOrganizationJSONRequestBody{Name: "Difference Engines GmbH"}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	org := res.JSON201
	assert.NotEqual(t, uuid.Nil, org.Id)
	assert.Equal(t, "/api/v1/organizations/"+org.Id.String(), res.HTTPResponse.Header.Get("Location"))
	assert.Equal(t, "Difference Engines GmbH", org.Name)
	assert.Equal(t, client.OrganizationSettings{MembersSeeAll: true, DefaultCurrency: "USD", Timezone: "UTC", StageProbabilities: defaultStageProbabilities}, org.Settings)
	assert.False(t, org.CreatedAt.IsZero())

	mine := orgsMine(t, app, ada)
	assert.Equal(t, map[uuid.UUID]client.Role{ada.OrgID: client.RoleOwner, org.Id: client.RoleOwner}, mine)

	got := orgsGet(t, app, ada, org.Id)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)
	assert.Equal(t, org.Name, got.JSON200.Name)

	members, err := app.Client.ListMembersWithResponse(t.Context(), org.Id, nil, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, members.StatusCode(), "body: %s", members.Body)
	require.Len(t, members.JSON200.Items, 1)
	assert.Equal(t, ada.ID, members.JSON200.Items[0].UserId)
	assert.Equal(t, client.RoleOwner, members.JSON200.Items[0].Role)
	assert.EqualValues(t, 1, members.JSON200.Total)
}

func TestOrganizations_CreateAcceptsANameOf200Characters(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	name := strings.Repeat("n", 200)
	res, err := app.Client.CreateOrganizationWithResponse(t.Context(),
		client.CreateOrganizationJSONRequestBody{Name: name}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, name, res.JSON201.Name)
}

func TestOrganizations_CreateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	tests := []struct {
		name  string
		body  string
		code  string
		field string
	}{
		{"empty name", `{"name": ""}`, "validation_failed", "name"},
		{"missing name", `{}`, "validation_failed", ""},
		{"name over 200 characters", `{"name": "` + strings.Repeat("n", 201) + `"}`, "validation_failed", "name"},
		{"unknown field", `{"name": "Acme", "plan": "gold"}`, "validation_failed", "plan"},
		{"read-only id", `{"name": "Acme", "id": "` + uuid.NewString() + `"}`, "validation_failed", "id"},
		{"name not a string", `{"name": 42}`, "validation_failed", "name"},
		{"malformed JSON", `{"name": `, "malformed_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := app.Client.CreateOrganizationWithBodyWithResponse(t.Context(),
				"application/json", strings.NewReader(tc.body), ada.Auth())
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	// Nothing was created by any of them.
	assert.Len(t, orgsMine(t, app, ada), 1)
}

// ---- GET /organizations/{id} ----

func TestOrganizations_GetIsAllowedForEveryRole(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			res := orgsGet(t, f.App, f.As(t, role), f.Org)
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, f.Org, res.JSON200.Id)
			assert.Equal(t, "owner's organization", res.JSON200.Name)
			assert.Equal(t, client.OrganizationSettings{MembersSeeAll: true, DefaultCurrency: "USD", Timezone: "UTC", StageProbabilities: defaultStageProbabilities}, res.JSON200.Settings)
		})
	}
}

// ---- PATCH /organizations/{id} ----

func TestOrganizations_OwnerAndAdminUpdateNameAndSettings(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for i, role := range []client.Role{client.RoleOwner, client.RoleAdmin} {
		u := f.As(t, role)
		want := client.OrganizationSettings{MembersSeeAll: i%2 == 0, DefaultCurrency: []string{"EUR", "GBP"}[i], Timezone: []string{"Europe/Berlin", "America/New_York"}[i], StageProbabilities: defaultStageProbabilities}
		name := "Renamed by " + string(role)
		before := orgsGet(t, f.App, u, f.Org)
		require.Equal(t, http.StatusOK, before.StatusCode())

		res, err := f.App.Client.UpdateOrganizationWithResponse(t.Context(), f.Org, client.UpdateOrganizationJSONRequestBody{
			Name: &name,
			Settings: &client.OrganizationSettingsUpdate{
				MembersSeeAll: &want.MembersSeeAll, DefaultCurrency: &want.DefaultCurrency, Timezone: &want.Timezone,
			},
		}, u.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "%s: %s", role, res.Body)
		assert.Equal(t, name, res.JSON200.Name)
		assert.Equal(t, want, res.JSON200.Settings)
		assert.Equal(t, f.Org, res.JSON200.Id)
		assert.Equal(t, before.JSON200.CreatedAt, res.JSON200.CreatedAt)
		assert.False(t, res.JSON200.UpdatedAt.Before(before.JSON200.UpdatedAt))

		// Every member reads the new values.
		got := orgsGet(t, f.App, f.Member(t), f.Org)
		require.Equal(t, http.StatusOK, got.StatusCode())
		assert.Equal(t, name, got.JSON200.Name)
		assert.Equal(t, want, got.JSON200.Settings)
	}
}

func TestOrganizations_UpdateKeepsFieldsLeftOut(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	patch := func(body client.UpdateOrganizationJSONRequestBody) client.Organization {
		t.Helper()
		res, err := f.App.Client.UpdateOrganizationWithResponse(t.Context(), f.Org, body, f.Owner.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		return *res.JSON200
	}
	org := patch(client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("Acme"), Settings: &client.OrganizationSettingsUpdate{
		MembersSeeAll: apptest.Ptr(false), DefaultCurrency: apptest.Ptr("EUR"), Timezone: apptest.Ptr("Europe/Berlin"),
	}})
	require.Equal(t, client.OrganizationSettings{MembersSeeAll: false, DefaultCurrency: "EUR", Timezone: "Europe/Berlin", StageProbabilities: defaultStageProbabilities}, org.Settings)

	org = patch(client.UpdateOrganizationJSONRequestBody{Settings: &client.OrganizationSettingsUpdate{Timezone: apptest.Ptr("Asia/Tokyo")}})
	assert.Equal(t, "Acme", org.Name)
	assert.Equal(t, client.OrganizationSettings{MembersSeeAll: false, DefaultCurrency: "EUR", Timezone: "Asia/Tokyo", StageProbabilities: defaultStageProbabilities}, org.Settings)

	org = patch(client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("Acme Two")})
	assert.Equal(t, "Acme Two", org.Name)
	assert.Equal(t, client.OrganizationSettings{MembersSeeAll: false, DefaultCurrency: "EUR", Timezone: "Asia/Tokyo", StageProbabilities: defaultStageProbabilities}, org.Settings)

	org = patch(client.UpdateOrganizationJSONRequestBody{Settings: &client.OrganizationSettingsUpdate{MembersSeeAll: apptest.Ptr(true)}})
	assert.Equal(t, "Acme Two", org.Name)
	assert.Equal(t, client.OrganizationSettings{MembersSeeAll: true, DefaultCurrency: "EUR", Timezone: "Asia/Tokyo", StageProbabilities: defaultStageProbabilities}, org.Settings)

	got := orgsGet(t, f.App, f.Owner, f.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, org, *got.JSON200)
}

func TestOrganizations_ManagerAndMemberCannotUpdate(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, role := range []client.Role{client.RoleManager, client.RoleMember} {
		res, err := f.App.Client.UpdateOrganizationWithResponse(t.Context(), f.Org,
			client.UpdateOrganizationJSONRequestBody{Name: apptest.Ptr("Hijacked")}, f.As(t, role).Auth())
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	}
	got := orgsGet(t, f.App, f.Owner, f.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, "owner's organization", got.JSON200.Name)
}

func TestOrganizations_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	tests := []struct {
		name  string
		body  string
		code  string
		field string
	}{
		{"unknown time zone", `{"settings": {"timezone": "Mars/Olympus"}}`, "validation_failed", "settings.timezone"},
		{"Local is not an IANA zone", `{"settings": {"timezone": "Local"}}`, "validation_failed", "settings.timezone"},
		{"path-like time zone", `{"settings": {"timezone": "../../etc/passwd"}}`, "validation_failed", "settings.timezone"},
		{"empty time zone", `{"settings": {"timezone": ""}}`, "validation_failed", "settings.timezone"},
		{"lowercase currency", `{"settings": {"default_currency": "eur"}}`, "validation_failed", "settings.default_currency"},
		{"four-letter currency", `{"settings": {"default_currency": "EURO"}}`, "validation_failed", "settings.default_currency"},
		{"members_see_all not a boolean", `{"settings": {"members_see_all": "yes"}}`, "validation_failed", "settings.members_see_all"},
		{"empty body object", `{}`, "validation_failed", ""},
		{"empty settings object", `{"settings": {}}`, "validation_failed", ""},
		{"empty name", `{"name": ""}`, "validation_failed", "name"},
		{"name over 200 characters", `{"name": "` + strings.Repeat("n", 201) + `"}`, "validation_failed", "name"},
		{"unknown field", `{"name": "Acme", "plan": "gold"}`, "validation_failed", "plan"},
		{"unknown settings field", `{"settings": {"theme": "dark"}}`, "validation_failed", "settings.theme"},
		{"read-only id", `{"id": "` + uuid.NewString() + `"}`, "validation_failed", "id"},
		{"null name", `{"name": null}`, "validation_failed", "name"},
		{"malformed JSON", `{"name": "Acme"`, "malformed_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := f.App.Client.UpdateOrganizationWithBodyWithResponse(t.Context(), f.Org,
				"application/json", strings.NewReader(tc.body), f.Owner.Auth())
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	apptest.Finally(t, func(t testing.TB) {
		got := orgsGet(t, f.App, f.Owner, f.Org)
		require.Equal(t, http.StatusOK, got.StatusCode())
		assert.Equal(t, "owner's organization", got.JSON200.Name)
		assert.Equal(t, client.OrganizationSettings{MembersSeeAll: true, DefaultCurrency: "USD", Timezone: "UTC", StageProbabilities: defaultStageProbabilities}, got.JSON200.Settings)
	})
}

// ---- DELETE /organizations/{id} ----

func TestOrganizations_OwnerDeletesAndTheOrganizationIsGoneForEveryone(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	res, err := f.App.Client.DeleteOrganizationWithResponse(t.Context(), f.Org, f.Owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Empty(t, res.Body)

	for _, role := range apptest.Roles {
		u := f.As(t, role)
		got := orgsGet(t, f.App, u, f.Org)
		problemOf(t, got.HTTPResponse, got.Body, http.StatusForbidden, "not_a_member")

		list, err := f.App.Client.ListMembersWithResponse(t.Context(), f.Org, nil, u.Auth())
		require.NoError(t, err)
		problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "not_a_member")

		assert.NotContains(t, orgsMine(t, f.App, u), f.Org, "%s still lists the organization", role)

		me, err := f.App.Client.GetMeWithResponse(t.Context(), u.Auth())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, me.StatusCode(), "body: %s", me.Body)
		for _, m := range me.JSON200.Memberships {
			assert.NotEqual(t, f.Org, m.OrganizationId, "%s: /auth/me still lists the organization", role)
		}
	}
	// Deleting it again is indistinguishable from any organization one is not a member of.
	again, err := f.App.Client.DeleteOrganizationWithResponse(t.Context(), f.Org, f.Owner.Auth())
	require.NoError(t, err)
	problemOf(t, again.HTTPResponse, again.Body, http.StatusForbidden, "not_a_member")
	// The other organizations of its members are untouched.
	assert.Equal(t, map[uuid.UUID]client.Role{f.Admin(t).OrgID: client.RoleOwner}, orgsMine(t, f.App, f.Admin(t)))
}

func TestOrganizations_OnlyTheOwnerDeletes(t *testing.T) {
	t.Parallel()
	f := newOrgsTeam(t)
	for _, role := range []client.Role{client.RoleAdmin, client.RoleManager, client.RoleMember} {
		res, err := f.App.Client.DeleteOrganizationWithResponse(t.Context(), f.Org, f.As(t, role).Auth())
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	}
	res, err := f.App.Client.DeleteOrganizationWithResponse(t.Context(), f.Org, f.Outsider(t).Auth())
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "not_a_member")

	got := orgsGet(t, f.App, f.Member(t), f.Org)
	assert.Equal(t, http.StatusOK, got.StatusCode(), "the organization survives: %s", got.Body)
}
