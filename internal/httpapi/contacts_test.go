package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- helpers ----

// contactsTeam is a team (users registered on first use) with the contact calls of this file.
type contactsTeam struct{ *apptest.Team }

func newContactsTeam(t *testing.T) contactsTeam {
	t.Helper()
	return contactsTeam{apptest.NewTeam(t, nil)}
}

func (f contactsTeam) get(t testing.TB, u apptest.User, org, id uuid.UUID) *client.GetContactResponse {
	t.Helper()
	res, err := f.App.Client.GetContactWithResponse(t.Context(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f contactsTeam) create(t testing.TB, u apptest.User, org uuid.UUID, body client.ContactCreate) *client.CreateContactResponse {
	t.Helper()
	res, err := f.App.Client.CreateContactWithResponse(t.Context(), body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f contactsTeam) patch(t testing.TB, u apptest.User, org, id uuid.UUID, body client.ContactUpdate) *client.UpdateContactResponse {
	t.Helper()
	res, err := f.App.Client.UpdateContactWithResponse(t.Context(), id, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f contactsTeam) del(t testing.TB, u apptest.User, org, id uuid.UUID) *client.DeleteContactResponse {
	t.Helper()
	res, err := f.App.Client.DeleteContactWithResponse(t.Context(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

// list fetches a page and fails unless it answers 200.
func (f contactsTeam) list(t testing.TB, u apptest.User, org uuid.UUID, p client.ListContactsParams) client.ContactList {
	t.Helper()
	res, err := f.App.Client.ListContactsWithResponse(t.Context(), &p, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

// stored reads a contact straight from the database: name and email, and whether it exists.
func (f contactsTeam) stored(t testing.TB, org, id uuid.UUID) (name string, email *string, owner uuid.UUID, ok bool) {
	t.Helper()
	err := f.App.Pool.QueryRow(t.Context(), `SELECT name, email, owner_id FROM contacts WHERE organization_id = $1 AND id = $2`, org, id).
		Scan(&name, &email, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, uuid.Nil, false
	}
	require.NoError(t, err)
	return name, email, owner, true
}

func (f contactsTeam) count(t testing.TB, org uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, f.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM contacts WHERE organization_id = $1`, org).Scan(&n))
	return n
}

// addDeal puts a deal on the contact through the API (the deals handlers).
func (f contactsTeam) addDeal(t testing.TB, u apptest.User, contact uuid.UUID) uuid.UUID {
	t.Helper()
	return f.App.CreateDeal(t, u, f.Org, client.DealCreate{ContactId: contact, Title: "Deal for " + contact.String()[:8]}).Id
}

func contactsIDs(items []client.Contact) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, c := range items {
		out[i] = c.Id
	}
	return out
}

func contactsStr(n nullable.Nullable[string]) *string {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	v := n.MustGet()
	return &v
}

// ---- POST /contacts ----

func TestContacts_CreateReturnsTheContactWithLocationOwnedByTheCaller(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	before := time.Now().Add(-time.Minute)
	res := f.create(t, f.Member(t), f.Org, client.ContactCreate{
		Name: "  Charles Babbage ", Email: apptest.Ptr(" Charles@Example.com "), Phone: apptest.Ptr("+44 20 7946 0000"),
		Company: apptest.Ptr("Difference Engines"), Notes: apptest.Ptr("Met at the Royal Society."),
	})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	c := *res.JSON201
	assert.Equal(t, "/api/v1/contacts/"+c.Id.String(), res.HTTPResponse.Header.Get("Location"))
	assert.Equal(t, byte(7), c.Id[6]>>4, "ids are UUIDv7")
	assert.Equal(t, f.Member(t).ID, c.OwnerId)
	assert.Equal(t, "Charles Babbage", c.Name, "name is trimmed")
	assert.Equal(t, apptest.Ptr("Charles@Example.com"), contactsStr(c.Email), "email is trimmed, case kept")
	assert.Equal(t, apptest.Ptr("+44 20 7946 0000"), contactsStr(c.Phone))
	assert.Equal(t, apptest.Ptr("Difference Engines"), contactsStr(c.Company))
	assert.Equal(t, apptest.Ptr("Met at the Royal Society."), contactsStr(c.Notes))
	assert.True(t, c.CreatedAt.After(before))
	assert.Equal(t, c.CreatedAt, c.UpdatedAt)
	assert.Equal(t, time.UTC, c.CreatedAt.Location())

	got := f.get(t, f.Owner, f.Org, c.Id)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)
	assert.Equal(t, c, *got.JSON200)
}

func TestContacts_CreateWithOnlyANameAnswersNullOptionalFields(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	res := f.create(t, f.Owner, f.Org, client.ContactCreate{Name: "Ada"})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(res.Body, &raw))
	for _, k := range []string{"email", "phone", "company", "notes"} {
		v, present := raw[k]
		assert.True(t, present, "%s is present", k)
		assert.Nil(t, v, "%s is null", k)
	}
}

func TestContacts_CreateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	cases := []struct {
		name, body, code, field string
	}{
		{"missing name", `{"email":"a@example.com"}`, "validation_failed", "name"},
		{"empty name", `{"name":""}`, "validation_failed", "name"},
		{"blank name", `{"name":"   "}`, "validation_failed", "name"},
		{"name too long", `{"name":"` + strings.Repeat("x", 201) + `"}`, "validation_failed", "name"},
		{"name null", `{"name":null}`, "validation_failed", "name"},
		{"bad email", `{"name":"A","email":"not-an-email"}`, "validation_failed", "email"},
		{"email with display name", `{"name":"A","email":"Ada <ada@example.com>"}`, "validation_failed", "email"},
		{"email too long", `{"name":"A","email":"` + strings.Repeat("a", 250) + `@example.com"}`, "validation_failed", "email"},
		{"blank phone", `{"name":"A","phone":"  "}`, "validation_failed", "phone"},
		{"empty company", `{"name":"A","company":""}`, "validation_failed", "company"},
		{"notes too long", `{"name":"A","notes":"` + strings.Repeat("n", 5001) + `"}`, "validation_failed", "notes"},
		{"owner_id not a uuid", `{"name":"A","owner_id":"nope"}`, "validation_failed", "owner_id"},
		{"unknown field", `{"name":"A","vip":true}`, "validation_failed", "vip"},
		{"read-only id", `{"name":"A","id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4"}`, "validation_failed", "id"},
		{"read-only created_at", `{"name":"A","created_at":"2026-01-01T00:00:00Z"}`, "validation_failed", "created_at"},
		{"wrong type", `{"name":42}`, "validation_failed", "name"},
		{"not an object", `[]`, "validation_failed", ""},
		{"malformed json", `{"name":`, "malformed_request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.App.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts", Body: []byte(tc.body),
				Token: f.Owner.Access, Org: f.Org})
			p := problemOf(t, res, body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	assert.Equal(t, 0, f.count(t, f.Org), "nothing was created")
}

func TestContacts_ManagersAndAboveAssignTheOwnerOfANewContact(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		t.Run(string(role), func(t *testing.T) {
			res := f.create(t, f.As(t, role), f.Org, client.ContactCreate{Name: "For member", OwnerId: apptest.Ptr(f.Member(t).ID)})
			require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, f.Member(t).ID, res.JSON201.OwnerId)
		})
	}
}

func TestContacts_MemberCannotCreateForSomeoneElse(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	res := f.create(t, f.Member(t), f.Org, client.ContactCreate{Name: "Not mine", OwnerId: apptest.Ptr(f.Member2(t).ID)})
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	assert.Equal(t, 0, f.count(t, f.Org))

	own := f.create(t, f.Member(t), f.Org, client.ContactCreate{Name: "Mine", OwnerId: apptest.Ptr(f.Member(t).ID)})
	require.Equal(t, http.StatusCreated, own.StatusCode(), "body: %s", own.Body)
	assert.Equal(t, f.Member(t).ID, own.JSON201.OwnerId)
}

func TestContacts_CreateWithOwnerOutsideTheOrganizationIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	foreign := f.create(t, f.Manager(t), f.Org, client.ContactCreate{Name: "X", OwnerId: apptest.Ptr(f.Outsider(t).ID)})
	p := problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, []string{"owner_id"}, fieldsOf(p))
	unknown := f.create(t, f.Manager(t), f.Org, client.ContactCreate{Name: "X", OwnerId: apptest.Ptr(uuid.New())})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, withoutRequestID(t, foreign.Body), withoutRequestID(t, unknown.Body), "foreign and unknown ids are answered alike")
	assert.Equal(t, 0, f.count(t, f.Org))
}

func TestContacts_EmailIsUniquePerOrganizationCaseInsensitively(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	first := f.App.CreateContact(t, f.Member(t), f.Org, client.ContactCreate{Name: "Ada", Email: apptest.Ptr("Ada@Example.com")})

	for _, email := range []string{"Ada@Example.com", "ada@example.com", " ADA@EXAMPLE.COM "} {
		for _, u := range []apptest.User{f.Owner, f.Member2(t)} {
			res := f.create(t, u, f.Org, client.ContactCreate{Name: "Ada again", Email: &email})
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
			require.NotNil(t, p.ExistingId, "body: %s", res.Body)
			assert.Equal(t, first.Id, *p.ExistingId)
		}
	}
	assert.Equal(t, 1, f.count(t, f.Org))

	// The same email in another organization is a different contact.
	other := f.create(t, f.Outsider(t), f.Outsider(t).OrgID, client.ContactCreate{Name: "Ada", Email: apptest.Ptr("ada@example.com")})
	require.Equal(t, http.StatusCreated, other.StatusCode(), "body: %s", other.Body)
	assert.NotEqual(t, first.Id, other.JSON201.Id)

	// Contacts without email do not collide.
	f.App.NewContact(t, f.Owner, f.Org, "No email 1")
	f.App.NewContact(t, f.Owner, f.Org, "No email 2")
}

func TestContacts_EmailTakenEvenWhenTheOtherContactIsInvisible(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	f.MembersSeeAll(t, false)
	theirs := f.App.CreateContact(t, f.Member2(t), f.Org, client.ContactCreate{Name: "B", Email: apptest.Ptr("b@example.com")})
	res := f.create(t, f.Member(t), f.Org, client.ContactCreate{Name: "B", Email: apptest.Ptr("B@example.com")})
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
	assert.Nil(t, p.ExistingId, "the id of a contact the caller cannot see is not told (issue 8.5)")
	res = f.create(t, f.Member2(t), f.Org, client.ContactCreate{Name: "B", Email: apptest.Ptr("B@example.com")})
	p = problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
	require.NotNil(t, p.ExistingId, "its owner sees it")
	assert.Equal(t, theirs.Id, *p.ExistingId)
}

func TestContacts_ConcurrentCreatesWithTheSameEmailLeaveOneContact(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	const n = 8
	users := []apptest.User{f.Owner, f.Admin(t), f.Manager(t), f.Member(t), f.Member2(t)}
	results := make([]*client.CreateContactResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := f.App.Client.CreateContactWithResponse(t.Context(),
				client.ContactCreate{Name: fmt.Sprintf("Racer %d", i), Email: apptest.Ptr(fmt.Sprintf("RACE@example.com%s", strings.Repeat(" ", i%2)))},
				users[i%len(users)].In(f.Org)...)
			assert.NoError(t, err)
			results[i] = res
		}()
	}
	close(start)
	wg.Wait()
	var winner uuid.UUID
	var conflicts []client.Problem
	for _, res := range results {
		require.NotNil(t, res)
		switch res.StatusCode() {
		case http.StatusCreated:
			require.Equal(t, uuid.Nil, winner, "only one create may win")
			winner = res.JSON201.Id
		case http.StatusConflict:
			conflicts = append(conflicts, problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken"))
		default:
			t.Fatalf("unexpected status %d: %s", res.StatusCode(), res.Body)
		}
	}
	require.NotEqual(t, uuid.Nil, winner)
	require.Len(t, conflicts, n-1)
	for _, p := range conflicts {
		require.NotNil(t, p.ExistingId)
		assert.Equal(t, winner, *p.ExistingId)
	}
	assert.Equal(t, 1, f.count(t, f.Org))
}

// ---- GET /contacts/{id} ----

func TestContacts_GetUnknownAndForeignContactsAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	foreign := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "Foreign")

	unknown := f.get(t, f.Owner, f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.get(t, f.Owner, f.Org, foreign.Id)
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	assert.NotContains(t, string(other.Body), "Foreign")
}

func TestContacts_EveryRoleReadsContacts(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Member2(t), f.Org, "Shared")
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			got := f.get(t, f.As(t, role), f.Org, c.Id)
			require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)
			assert.Equal(t, c, *got.JSON200)
			list := f.list(t, f.As(t, role), f.Org, client.ListContactsParams{})
			assert.Equal(t, []uuid.UUID{c.Id}, contactsIDs(list.Items))
		})
	}
}

// ---- GET /contacts ----

func TestContacts_ListDefaultsToNewestFirstWithPageDefaults(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	var ids []uuid.UUID
	for i := range 3 {
		ids = append(ids, f.App.NewContact(t, f.Owner, f.Org, fmt.Sprintf("C%d", i)).Id)
	}
	list := f.list(t, f.Member(t), f.Org, client.ListContactsParams{})
	assert.EqualValues(t, 3, list.Total)
	assert.EqualValues(t, 1, list.Page)
	assert.EqualValues(t, 20, list.PageSize)
	assert.Equal(t, []uuid.UUID{ids[2], ids[1], ids[0]}, contactsIDs(list.Items))

	asc := f.list(t, f.Member(t), f.Org, client.ListContactsParams{Order: apptest.Ptr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, ids, contactsIDs(asc.Items))
}

func TestContacts_ListOrdersByNameCaseInsensitivelyWithIDTieBreak(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	b1 := f.App.NewContact(t, f.Owner, f.Org, "bob").Id
	a := f.App.NewContact(t, f.Owner, f.Org, "Alice").Id
	b2 := f.App.NewContact(t, f.Owner, f.Org, "Bob").Id
	c := f.App.NewContact(t, f.Owner, f.Org, "carol").Id
	// b1 < b2 (UUIDv7 made in order): equal lower(name) breaks ties by id in the sort direction.
	asc := f.list(t, f.Owner, f.Org, client.ListContactsParams{OrderBy: apptest.Ptr(client.ListContactsParamsOrderByName), Order: apptest.Ptr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, []uuid.UUID{a, b1, b2, c}, contactsIDs(asc.Items))
	desc := f.list(t, f.Owner, f.Org, client.ListContactsParams{OrderBy: apptest.Ptr(client.ListContactsParamsOrderByName), Order: apptest.Ptr(client.ListContactsParamsOrderDesc)})
	assert.Equal(t, []uuid.UUID{c, b2, b1, a}, contactsIDs(desc.Items))
	byDefaultDesc := f.list(t, f.Owner, f.Org, client.ListContactsParams{OrderBy: apptest.Ptr(client.ListContactsParamsOrderByName)})
	assert.Equal(t, contactsIDs(desc.Items), contactsIDs(byDefaultDesc.Items))
}

func TestContacts_PagingThroughAllContactsYieldsEachExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	const total = 13
	want := map[uuid.UUID]bool{}
	for i := range total {
		want[f.App.NewContact(t, f.Owner, f.Org, fmt.Sprintf("Same %d", i%2)).Id] = true
	}
	// Identical created_at for all: only the id tie-break keeps the pages stable.
	_, err := f.App.Pool.Exec(t.Context(), `UPDATE contacts SET created_at = '2026-01-01T00:00:00Z' WHERE organization_id = $1`, f.Org)
	require.NoError(t, err)

	for _, orderBy := range []client.ListContactsParamsOrderBy{client.ListContactsParamsOrderByCreatedAt, client.ListContactsParamsOrderByName} {
		for _, order := range []client.ListContactsParamsOrder{client.ListContactsParamsOrderAsc, client.ListContactsParamsOrderDesc} {
			t.Run(string(orderBy)+"_"+string(order), func(t *testing.T) {
				seen := map[uuid.UUID]int{}
				var walked []uuid.UUID
				size := int32(4)
				for page := int32(1); page <= 4; page++ {
					l := f.list(t, f.Member(t), f.Org, client.ListContactsParams{Page: &page, PageSize: &size, OrderBy: &orderBy, Order: &order})
					assert.EqualValues(t, total, l.Total)
					assert.Equal(t, page, l.Page)
					assert.Equal(t, size, l.PageSize)
					for _, c := range l.Items {
						seen[c.Id]++
						walked = append(walked, c.Id)
					}
				}
				assert.Len(t, walked, total)
				for id := range want {
					assert.Equal(t, 1, seen[id], "contact %s seen once", id)
				}
				all := f.list(t, f.Member(t), f.Org, client.ListContactsParams{PageSize: apptest.Ptr(int32(100)), OrderBy: &orderBy, Order: &order})
				assert.Equal(t, contactsIDs(all.Items), walked, "pages concatenate to the full ordering")
			})
		}
	}

	past := f.list(t, f.Member(t), f.Org, client.ListContactsParams{Page: apptest.Ptr(int32(9)), PageSize: apptest.Ptr(int32(5))})
	assert.Empty(t, past.Items)
	assert.NotNil(t, past.Items, "items is [] not null")
	assert.EqualValues(t, total, past.Total, "past the last page the total is still reported")
	assert.EqualValues(t, 9, past.Page)
}

func TestContacts_SearchMatchesNameEmailOrPhoneCaseInsensitively(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	byName := f.App.NewContact(t, f.Owner, f.Org, "Grace Hopper").Id
	byEmail := f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "X", Email: apptest.Ptr("HOPPER.fan@example.com")}).Id
	byPhone := f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "Y", Phone: apptest.Ptr("+1 555 0199")}).Id
	f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "Z", Company: apptest.Ptr("Hopper Inc"), Notes: apptest.Ptr("hopper")})

	l := f.list(t, f.Member(t), f.Org, client.ListContactsParams{Search: apptest.Ptr("hOpPeR"), Order: apptest.Ptr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, []uuid.UUID{byName, byEmail}, contactsIDs(l.Items), "company and notes are not searched")
	assert.EqualValues(t, 2, l.Total)
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{Search: apptest.Ptr("555 01")})
	assert.Equal(t, []uuid.UUID{byPhone}, contactsIDs(l.Items))
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{Search: apptest.Ptr("nobody")})
	assert.Empty(t, l.Items)
	assert.EqualValues(t, 0, l.Total)
}

func TestContacts_SearchTreatsPercentUnderscoreAndBackslashLiterally(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	pct := f.App.NewContact(t, f.Owner, f.Org, "Discount 50%").Id
	f.App.NewContact(t, f.Owner, f.Org, "Order 500")
	under := f.App.NewContact(t, f.Owner, f.Org, "a_b").Id
	f.App.NewContact(t, f.Owner, f.Org, "axb")
	back := f.App.NewContact(t, f.Owner, f.Org, `c\d`).Id
	f.App.NewContact(t, f.Owner, f.Org, "cd")

	cases := []struct {
		search string
		want   []uuid.UUID
	}{
		{"50%", []uuid.UUID{pct}},
		{"%", []uuid.UUID{pct}},
		{"a_b", []uuid.UUID{under}},
		{"_", []uuid.UUID{under}},
		{`c\d`, []uuid.UUID{back}},
		{`\`, []uuid.UUID{back}},
	}
	for _, tc := range cases {
		t.Run(tc.search, func(t *testing.T) {
			l := f.list(t, f.Owner, f.Org, client.ListContactsParams{Search: &tc.search})
			assert.Equal(t, tc.want, contactsIDs(l.Items))
			assert.EqualValues(t, len(tc.want), l.Total)
		})
	}
}

func TestContacts_ListFiltersByOwner(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	mine := f.App.NewContact(t, f.Member(t), f.Org, "Mine").Id
	theirs := f.App.NewContact(t, f.Member2(t), f.Org, "Theirs").Id
	f.App.NewContact(t, f.Owner, f.Org, "Owner's")

	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		l := f.list(t, f.As(t, role), f.Org, client.ListContactsParams{OwnerId: apptest.Ptr(f.Member2(t).ID)})
		assert.Equal(t, []uuid.UUID{theirs}, contactsIDs(l.Items), string(role))
		assert.EqualValues(t, 1, l.Total)
	}
	l := f.list(t, f.Member(t), f.Org, client.ListContactsParams{OwnerId: apptest.Ptr(f.Member(t).ID)})
	assert.Equal(t, []uuid.UUID{mine}, contactsIDs(l.Items))
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{})
	assert.Len(t, l.Items, 3, "members see everyone's contacts by default")
}

func TestContacts_MemberCannotFilterByAnotherOwner(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	f.App.NewContact(t, f.Member2(t), f.Org, "Theirs")
	for _, owner := range []uuid.UUID{f.Member2(t).ID, f.Owner.ID, uuid.New()} {
		res, err := f.App.Client.ListContactsWithResponse(t.Context(), &client.ListContactsParams{OwnerId: &owner}, f.Member(t).In(f.Org)...)
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		assert.NotContains(t, string(res.Body), "Theirs")
	}
}

func TestContacts_ListRejectsBadParameters(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	cases := []struct{ query, field string }{
		{"page=0", "page"},
		{"page=x", "page"},
		{"page_size=0", "page_size"},
		{"page_size=101", "page_size"},
		{"order_by=email", "order_by"},
		{"order=up", "order"},
		{"owner_id=nope", "owner_id"},
		{"search=", "search"},
		{"search=" + strings.Repeat("s", 201), "search"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/contacts?" + tc.query, Token: f.Owner.Access, Org: f.Org})
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			assert.Contains(t, strings.Join(fieldsOf(p), ","), tc.field)
		})
	}
}

// ---- members_see_all=false ----

func TestContacts_MembersSeeOnlyTheirOwnWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	mine := f.App.NewContact(t, f.Member(t), f.Org, "Mine")
	theirs := f.App.NewContact(t, f.Member2(t), f.Org, "Theirs")
	owners := f.App.NewContact(t, f.Owner, f.Org, "Owner's")
	f.MembersSeeAll(t, false)

	l := f.list(t, f.Member(t), f.Org, client.ListContactsParams{})
	assert.Equal(t, []uuid.UUID{mine.Id}, contactsIDs(l.Items))
	assert.EqualValues(t, 1, l.Total)
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{OwnerId: apptest.Ptr(f.Member(t).ID), Search: apptest.Ptr("Theirs")})
	assert.Empty(t, l.Items, "search does not find invisible contacts")
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{OwnerId: apptest.Ptr(f.Member(t).ID)})
	assert.Equal(t, []uuid.UUID{mine.Id}, contactsIDs(l.Items))

	got := f.get(t, f.Member(t), f.Org, mine.Id)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)

	unknown := f.get(t, f.Member(t), f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	for _, c := range []client.Contact{theirs, owners} {
		res := f.get(t, f.Member(t), f.Org, c.Id)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, res.Body), "invisible is answered like missing")

		upd := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{Name: apptest.Ptr("Hijacked")})
		problemOf(t, upd.HTTPResponse, upd.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, upd.Body))

		del := f.del(t, f.Member(t), f.Org, c.Id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, del.Body))

		name, _, _, ok := f.stored(t, f.Org, c.Id)
		assert.True(t, ok)
		assert.Equal(t, c.Name, name, "nothing changed")
	}

	// Managers and above still see everything.
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		l := f.list(t, f.As(t, role), f.Org, client.ListContactsParams{})
		assert.Len(t, l.Items, 3, string(role))
		got := f.get(t, f.As(t, role), f.Org, theirs.Id)
		assert.Equal(t, http.StatusOK, got.StatusCode(), string(role))
	}

	// Turning the setting back on shows everything to members again.
	f.MembersSeeAll(t, true)
	l = f.list(t, f.Member(t), f.Org, client.ListContactsParams{})
	assert.Len(t, l.Items, 3)
}

// ---- PATCH /contacts/{id} ----

func TestContacts_UpdateIsPartialAndNullClearsOptionalFields(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.CreateContact(t, f.Member(t), f.Org, client.ContactCreate{
		Name: "Ada", Email: apptest.Ptr("ada@example.com"), Phone: apptest.Ptr("+1 1"), Company: apptest.Ptr("AE"), Notes: apptest.Ptr("n"),
	})

	res := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{Phone: nullable.NewNullableWithValue(" +1 2 ")})
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	u := *res.JSON200
	assert.Equal(t, apptest.Ptr("+1 2"), contactsStr(u.Phone))
	assert.Equal(t, "Ada", u.Name)
	assert.Equal(t, apptest.Ptr("ada@example.com"), contactsStr(u.Email))
	assert.Equal(t, apptest.Ptr("AE"), contactsStr(u.Company))
	assert.Equal(t, apptest.Ptr("n"), contactsStr(u.Notes))
	assert.Equal(t, c.CreatedAt, u.CreatedAt)
	assert.True(t, u.UpdatedAt.After(c.UpdatedAt), "updated_at advances")

	// Raw JSON nulls clear every optional field at once.
	raw, body := f.App.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/contacts/" + c.Id.String(),
		Body:  []byte(`{"email":null,"phone":null,"company":null,"notes":null,"name":" Ada Lovelace "}`),
		Token: f.Member(t).Access, Org: f.Org})
	require.Equal(t, http.StatusOK, raw.StatusCode, "body: %s", body)
	var cleared map[string]any
	require.NoError(t, json.Unmarshal(body, &cleared))
	assert.Equal(t, "Ada Lovelace", cleared["name"])
	for _, k := range []string{"email", "phone", "company", "notes"} {
		v, present := cleared[k]
		assert.True(t, present, k)
		assert.Nil(t, v, k)
	}
	got := f.get(t, f.Member(t), f.Org, c.Id)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.False(t, got.JSON200.Email.IsSpecified() && !got.JSON200.Email.IsNull())
	assert.Equal(t, f.Member(t).ID, got.JSON200.OwnerId, "owner is kept")

	// A patch that changes nothing answers the contact as it is.
	same := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{Name: apptest.Ptr("Ada Lovelace")})
	require.Equal(t, http.StatusOK, same.StatusCode(), "body: %s", same.Body)
	assert.Equal(t, *got.JSON200, *same.JSON200)
}

func TestContacts_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "Ada", Email: apptest.Ptr("ada@example.com")})
	cases := []struct{ name, body, code, field string }{
		{"empty object", `{}`, "validation_failed", ""},
		{"name null", `{"name":null}`, "validation_failed", "name"},
		{"name empty", `{"name":""}`, "validation_failed", "name"},
		{"name blank", `{"name":"  "}`, "validation_failed", "name"},
		{"owner_id null", `{"owner_id":null}`, "validation_failed", "owner_id"},
		{"bad email", `{"email":"nope"}`, "validation_failed", "email"},
		{"blank company", `{"company":"   "}`, "validation_failed", "company"},
		{"phone too long", `{"phone":"` + strings.Repeat("1", 51) + `"}`, "validation_failed", "phone"},
		{"unknown field", `{"title":"x"}`, "validation_failed", "title"},
		{"read-only id", `{"id":"0193a0c4-7b1e-7c3a-9d51-6f708192a3b4"}`, "validation_failed", "id"},
		{"read-only updated_at", `{"updated_at":"2026-01-01T00:00:00Z"}`, "validation_failed", "updated_at"},
		{"malformed json", `{"name"`, "malformed_request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := f.App.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/contacts/" + c.Id.String(), Body: []byte(tc.body),
				Token: f.Owner.Access, Org: f.Org})
			p := problemOf(t, res, body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	got := f.get(t, f.Owner, f.Org, c.Id)
	assert.Equal(t, c, *got.JSON200, "nothing changed")
}

func TestContacts_UpdateToAnotherContactsEmailConflicts(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	ada := f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "Ada", Email: apptest.Ptr("ada@example.com")})
	bob := f.App.CreateContact(t, f.Owner, f.Org, client.ContactCreate{Name: "Bob", Email: apptest.Ptr("bob@example.com")})

	res := f.patch(t, f.Owner, f.Org, bob.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ADA@example.com"), Name: apptest.Ptr("Bobby")})
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
	require.NotNil(t, p.ExistingId)
	assert.Equal(t, ada.Id, *p.ExistingId)
	name, email, _, _ := f.stored(t, f.Org, bob.Id)
	assert.Equal(t, "Bob", name, "a failed update changes nothing")
	assert.Equal(t, apptest.Ptr("bob@example.com"), email)

	// Changing the case of one's own email is not a conflict, and is stored as given.
	own := f.patch(t, f.Owner, f.Org, ada.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("Ada@Example.COM")})
	require.Equal(t, http.StatusOK, own.StatusCode(), "body: %s", own.Body)
	assert.Equal(t, apptest.Ptr("Ada@Example.COM"), contactsStr(own.JSON200.Email))

	// Once cleared, the email is free for another contact.
	cleared := f.patch(t, f.Owner, f.Org, ada.Id, client.ContactUpdate{Email: nullable.NewNullNullable[string]()})
	require.Equal(t, http.StatusOK, cleared.StatusCode(), "body: %s", cleared.Body)
	moved := f.patch(t, f.Owner, f.Org, bob.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ada@example.com")})
	require.Equal(t, http.StatusOK, moved.StatusCode(), "body: %s", moved.Body)

	// The same email in another organization does not conflict.
	foreign := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "Foreign")
	ok := f.patch(t, f.Outsider(t), f.Outsider(t).OrgID, foreign.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ada@example.com")})
	require.Equal(t, http.StatusOK, ok.StatusCode(), "body: %s", ok.Body)
}

func TestContacts_ConcurrentUpdatesToTheSameEmailLetOneWin(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	const n = 6
	ids := make([]uuid.UUID, n)
	for i := range n {
		ids[i] = f.App.NewContact(t, f.Owner, f.Org, fmt.Sprintf("C%d", i)).Id
	}
	results := make([]*client.UpdateContactResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := f.App.Client.UpdateContactWithResponse(t.Context(), ids[i],
				client.ContactUpdate{Email: nullable.NewNullableWithValue("same@example.com")}, f.Owner.In(f.Org)...)
			assert.NoError(t, err)
			results[i] = res
		}()
	}
	close(start)
	wg.Wait()
	var winner uuid.UUID
	for i, res := range results {
		require.NotNil(t, res)
		if res.StatusCode() == http.StatusOK {
			require.Equal(t, uuid.Nil, winner, "only one update may win")
			winner = ids[i]
		}
	}
	require.NotEqual(t, uuid.Nil, winner)
	for _, res := range results {
		if res.StatusCode() != http.StatusOK {
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
			require.NotNil(t, p.ExistingId)
			assert.Equal(t, winner, *p.ExistingId)
		}
	}
}

func TestContacts_MemberCannotEditOthersContact(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	for _, owner := range []apptest.User{f.Member2(t), f.Manager(t), f.Owner} {
		c := f.App.NewContact(t, owner, f.Org, "Not yours")
		res := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{Name: apptest.Ptr("Mine now")})
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		name, _, _, _ := f.stored(t, f.Org, c.Id)
		assert.Equal(t, "Not yours", name)
	}
}

func TestContacts_OnlyManagersAndAboveChangeTheOwner(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		t.Run(string(role), func(t *testing.T) {
			c := f.App.NewContact(t, f.Member(t), f.Org, "Reassign me")
			res := f.patch(t, f.As(t, role), f.Org, c.Id, client.ContactUpdate{OwnerId: apptest.Ptr(f.Member2(t).ID)})
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, f.Member2(t).ID, res.JSON200.OwnerId)
			self := f.As(t, role).ID
			back := f.patch(t, f.As(t, role), f.Org, c.Id, client.ContactUpdate{OwnerId: &self})
			require.Equal(t, http.StatusOK, back.StatusCode(), "body: %s", back.Body)
			assert.Equal(t, self, back.JSON200.OwnerId)
		})
	}

	t.Run("member", func(t *testing.T) {
		c := f.App.NewContact(t, f.Member(t), f.Org, "Mine")
		res := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{OwnerId: apptest.Ptr(f.Member2(t).ID), Name: apptest.Ptr("Given away")})
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		name, _, owner, _ := f.stored(t, f.Org, c.Id)
		assert.Equal(t, "Mine", name)
		assert.Equal(t, f.Member(t).ID, owner)
		// Naming themselves (no change) is fine.
		same := f.patch(t, f.Member(t), f.Org, c.Id, client.ContactUpdate{OwnerId: apptest.Ptr(f.Member(t).ID)})
		require.Equal(t, http.StatusOK, same.StatusCode(), "body: %s", same.Body)
	})
}

func TestContacts_UpdateOwnerOutsideTheOrganizationIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Member(t), f.Org, "C")
	foreign := f.patch(t, f.Manager(t), f.Org, c.Id, client.ContactUpdate{OwnerId: apptest.Ptr(f.Outsider(t).ID)})
	p := problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, []string{"owner_id"}, fieldsOf(p))
	unknown := f.patch(t, f.Manager(t), f.Org, c.Id, client.ContactUpdate{OwnerId: apptest.Ptr(uuid.New())})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, withoutRequestID(t, foreign.Body), withoutRequestID(t, unknown.Body))
	_, _, owner, _ := f.stored(t, f.Org, c.Id)
	assert.Equal(t, f.Member(t).ID, owner)
}

func TestContacts_UpdateUnknownOrForeignContactIsNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	foreign := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "Foreign")
	unknown := f.patch(t, f.Owner, f.Org, uuid.New(), client.ContactUpdate{Name: apptest.Ptr("X")})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.patch(t, f.Owner, f.Org, foreign.Id, client.ContactUpdate{Name: apptest.Ptr("X")})
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	name, _, _, _ := f.stored(t, f.Outsider(t).OrgID, foreign.Id)
	assert.Equal(t, "Foreign", name)
}

// ---- DELETE /contacts/{id} ----

func TestContacts_DeleteRemovesTheContact(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Member(t), f.Org, "Bye")
	res := f.del(t, f.Member(t), f.Org, c.Id)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Empty(t, res.Body)
	_, _, _, ok := f.stored(t, f.Org, c.Id)
	assert.False(t, ok)
	got := f.get(t, f.Member(t), f.Org, c.Id)
	problemOf(t, got.HTTPResponse, got.Body, http.StatusNotFound, "not_found")
	again := f.del(t, f.Member(t), f.Org, c.Id)
	problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")
}

func TestContacts_DeleteUnknownOrForeignContactIsNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	foreign := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "Foreign")
	unknown := f.del(t, f.Owner, f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.del(t, f.Owner, f.Org, foreign.Id)
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	_, _, _, ok := f.stored(t, f.Outsider(t).OrgID, foreign.Id)
	assert.True(t, ok, "the foreign contact survives")
}

func TestContacts_MemberCannotDeleteOthersContact(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Member2(t), f.Org, "Theirs")
	res := f.del(t, f.Member(t), f.Org, c.Id)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	_, _, _, ok := f.stored(t, f.Org, c.Id)
	assert.True(t, ok)
}

func TestContacts_ContactWithDealsCannotBeDeleted(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Member(t), f.Org, "Has deals")
	deal := f.addDeal(t, f.Member(t), c.Id)

	for _, u := range []apptest.User{f.Member(t), f.Owner} {
		res := f.del(t, u, f.Org, c.Id)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_has_deals")
	}
	_, _, _, ok := f.stored(t, f.Org, c.Id)
	assert.True(t, ok)

	res, err := f.App.Client.DeleteDealWithResponse(t.Context(), deal, f.Member(t).In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	gone := f.del(t, f.Member(t), f.Org, c.Id)
	require.Equal(t, http.StatusNoContent, gone.StatusCode(), "body: %s", gone.Body)
}

// A deal inserted while a delete is in flight: the delete waits for the deal's transaction and
// then refuses (the composite foreign key deals_contact_fkey is the last line of defence).
func TestContacts_DeleteRacingANewDealIsAConflict(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	c := f.App.NewContact(t, f.Owner, f.Org, "Racing")
	tx, err := f.App.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(t.Context()) }()
	_, err = tx.Exec(t.Context(), `INSERT INTO deals (organization_id, id, contact_id, owner_id, title, currency)
		VALUES ($1, $2, $3, $4, 'Concurrent deal', 'USD')`, f.Org, uuid.Must(uuid.NewV7()), c.Id, f.Owner.ID)
	require.NoError(t, err)

	done := make(chan *client.DeleteContactResponse, 1)
	go func() {
		res, err := f.App.Client.DeleteContactWithResponse(t.Context(), c.Id, f.Owner.In(f.Org)...)
		assert.NoError(t, err)
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("the delete did not wait for the deal's transaction: %d %s", res.StatusCode(), res.Body)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(t.Context()))
	res := <-done
	require.NotNil(t, res)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_has_deals")
	_, _, _, ok := f.stored(t, f.Org, c.Id)
	assert.True(t, ok)
}

// ---- role matrix ----

// TestContacts_RoleMatrix walks every role through every contact action, on its own contact and
// on a contact someone else owns.
func TestContacts_RoleMatrix(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	type expect struct{ read, create, updateOwn, updateOthers, reassign, deleteOwn, deleteOthers int }
	allowed := expect{200, 201, 200, 200, 200, 204, 204}
	want := map[client.Role]expect{
		client.RoleOwner:   allowed,
		client.RoleAdmin:   allowed,
		client.RoleManager: allowed,
		client.RoleMember:  {200, 201, 200, 403, 403, 204, 403},
	}
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			u, w := f.As(t, role), want[role]
			others := f.App.NewContact(t, f.Member2(t), f.Org, "Others "+string(role))

			got := f.get(t, u, f.Org, others.Id)
			assert.Equal(t, w.read, got.StatusCode(), "read")

			created := f.create(t, u, f.Org, client.ContactCreate{Name: "Own " + string(role)})
			require.Equal(t, w.create, created.StatusCode(), "create: %s", created.Body)
			own := created.JSON201.Id

			upd := f.patch(t, u, f.Org, own, client.ContactUpdate{Notes: nullable.NewNullableWithValue("own")})
			assert.Equal(t, w.updateOwn, upd.StatusCode(), "update own: %s", upd.Body)

			upd = f.patch(t, u, f.Org, others.Id, client.ContactUpdate{Notes: nullable.NewNullableWithValue("others")})
			assert.Equal(t, w.updateOthers, upd.StatusCode(), "update others: %s", upd.Body)

			re := f.patch(t, u, f.Org, own, client.ContactUpdate{OwnerId: apptest.Ptr(f.Member2(t).ID)})
			assert.Equal(t, w.reassign, re.StatusCode(), "reassign: %s", re.Body)
			if re.StatusCode() == http.StatusOK { // give it back so the delete below is of an own contact
				if back := f.patch(t, f.Owner, f.Org, own, client.ContactUpdate{OwnerId: &u.ID}); back.StatusCode() != http.StatusOK {
					t.Fatalf("give back: %d %s", back.StatusCode(), back.Body)
				}
			}

			del := f.del(t, u, f.Org, others.Id)
			assert.Equal(t, w.deleteOthers, del.StatusCode(), "delete others: %s", del.Body)
			del = f.del(t, u, f.Org, own)
			assert.Equal(t, w.deleteOwn, del.StatusCode(), "delete own: %s", del.Body)
		})
	}
}

// ---- tenancy ----

func TestContacts_OtherOrganizationsContactsNeverLeak(t *testing.T) {
	t.Parallel()
	f := newContactsTeam(t)
	foreign := f.App.CreateContact(t, f.Outsider(t), f.Outsider(t).OrgID, client.ContactCreate{Name: "Secret", Email: apptest.Ptr("secret@example.com")})
	f.App.NewContact(t, f.Owner, f.Org, "Ours")

	for _, role := range apptest.Roles {
		u := f.As(t, role)
		l := f.list(t, u, f.Org, client.ListContactsParams{})
		assert.NotContains(t, contactsIDs(l.Items), foreign.Id)
		l = f.list(t, u, f.Org, client.ListContactsParams{Search: apptest.Ptr("secret")})
		assert.Empty(t, l.Items)
	}
	// Listing by the outsider's id as owner_id finds nothing (and is no error for managers and above).
	l := f.list(t, f.Owner, f.Org, client.ListContactsParams{OwnerId: apptest.Ptr(f.Outsider(t).ID)})
	assert.Empty(t, l.Items)
	// The outsider's own list contains only their contact.
	l = f.list(t, f.Outsider(t), f.Outsider(t).OrgID, client.ListContactsParams{})
	assert.Equal(t, []uuid.UUID{foreign.Id}, contactsIDs(l.Items))

	// The same email is free in our organization: the other's uniqueness does not leak.
	res := f.create(t, f.Owner, f.Org, client.ContactCreate{Name: "Ours too", Email: apptest.Ptr("secret@example.com")})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)

	name, email, owner, ok := f.stored(t, f.Outsider(t).OrgID, foreign.Id)
	require.True(t, ok)
	assert.Equal(t, "Secret", name)
	assert.Equal(t, apptest.Ptr("secret@example.com"), email)
	assert.Equal(t, f.Outsider(t).ID, owner)
}
