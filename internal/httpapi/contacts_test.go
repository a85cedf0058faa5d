package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// ---- helpers (prefixed contacts*: the package is shared with other areas' tests) ----

// contactsFixture is one organization owned by owner; the other users (one per role, a second
// member, and an outsider who belongs only to the organization registration gave them) are
// registered on first use, since registration (argon2id) dominates a test's cost.
type contactsFixture struct {
	app   *apptest.App
	ctx   context.Context
	org   uuid.UUID
	owner apptest.User

	mu    sync.Mutex
	users map[string]apptest.User
}

func newContactsFixture(t *testing.T) *contactsFixture {
	t.Helper()
	app := apptest.New(t)
	f := &contactsFixture{app: app, ctx: context.Background(), users: map[string]apptest.User{}}
	f.owner = app.Register(t, "owner")
	f.org = f.owner.OrgID
	return f
}

// user returns the fixture's user called name, registering them (and adding them to the
// organization with role, unless role is empty) on first use.
func (f *contactsFixture) user(t *testing.T, name string, role client.Role) apptest.User {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.users[name]; ok {
		return u
	}
	var u apptest.User
	if role == "" {
		u = f.app.Register(t, name)
	} else {
		u = f.app.Member(t, f.owner, f.org, name, role)
	}
	f.users[name] = u
	return u
}

func (f *contactsFixture) admin(t *testing.T) apptest.User {
	return f.user(t, "admin", client.RoleAdmin)
}
func (f *contactsFixture) manager(t *testing.T) apptest.User {
	return f.user(t, "manager", client.RoleManager)
}
func (f *contactsFixture) member(t *testing.T) apptest.User {
	return f.user(t, "member", client.RoleMember)
}
func (f *contactsFixture) member2(t *testing.T) apptest.User {
	return f.user(t, "member2", client.RoleMember)
}
func (f *contactsFixture) outsider(t *testing.T) apptest.User { return f.user(t, "outsider", "") }

var contactsAllRoles = []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager, client.RoleMember}

// as returns the fixture's user holding role.
func (f *contactsFixture) as(t *testing.T, role client.Role) apptest.User {
	t.Helper()
	switch role {
	case client.RoleOwner:
		return f.owner
	case client.RoleAdmin:
		return f.admin(t)
	case client.RoleManager:
		return f.manager(t)
	case client.RoleMember:
		return f.member(t)
	}
	t.Fatalf("unknown role %q", role)
	return apptest.User{}
}

// membersSeeAll sets the organization's members_see_all as its owner.
func (f *contactsFixture) membersSeeAll(t *testing.T, v bool) {
	t.Helper()
	res, err := f.app.Client.UpdateOrganizationWithResponse(f.ctx, f.org,
		client.OrganizationUpdate{Settings: &client.OrganizationSettingsUpdate{MembersSeeAll: &v}}, f.owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.Equal(t, v, res.JSON200.Settings.MembersSeeAll)
}

func (f *contactsFixture) get(t *testing.T, u apptest.User, org, id uuid.UUID) *client.GetContactResponse {
	t.Helper()
	res, err := f.app.Client.GetContactWithResponse(f.ctx, id, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f *contactsFixture) create(t *testing.T, u apptest.User, org uuid.UUID, body client.ContactCreate) *client.CreateContactResponse {
	t.Helper()
	res, err := f.app.Client.CreateContactWithResponse(f.ctx, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f *contactsFixture) patch(t *testing.T, u apptest.User, org, id uuid.UUID, body client.ContactUpdate) *client.UpdateContactResponse {
	t.Helper()
	res, err := f.app.Client.UpdateContactWithResponse(f.ctx, id, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func (f *contactsFixture) del(t *testing.T, u apptest.User, org, id uuid.UUID) *client.DeleteContactResponse {
	t.Helper()
	res, err := f.app.Client.DeleteContactWithResponse(f.ctx, id, u.In(org)...)
	require.NoError(t, err)
	return res
}

// list fetches a page and fails unless it answers 200.
func (f *contactsFixture) list(t *testing.T, u apptest.User, org uuid.UUID, p client.ListContactsParams) client.ContactList {
	t.Helper()
	res, err := f.app.Client.ListContactsWithResponse(f.ctx, &p, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

// stored reads a contact straight from the database: name and email, and whether it exists.
func (f *contactsFixture) stored(t *testing.T, org, id uuid.UUID) (name string, email *string, owner uuid.UUID, ok bool) {
	t.Helper()
	err := f.app.Pool.QueryRow(f.ctx, `SELECT name, email, owner_id FROM contacts WHERE organization_id = $1 AND id = $2`, org, id).
		Scan(&name, &email, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, uuid.Nil, false
	}
	require.NoError(t, err)
	return name, email, owner, true
}

func (f *contactsFixture) count(t *testing.T, org uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, f.app.Pool.QueryRow(f.ctx, `SELECT count(*) FROM contacts WHERE organization_id = $1`, org).Scan(&n))
	return n
}

// addDeal puts a deal on the contact through the API (the deals handlers).
func (f *contactsFixture) addDeal(t *testing.T, u apptest.User, contact uuid.UUID) uuid.UUID {
	t.Helper()
	return f.app.CreateDeal(t, u, f.org, client.DealCreate{ContactId: contact, Title: "Deal for " + contact.String()[:8]}).Id
}

// contactsRaw sends a raw request through the contract-checking transport.
func contactsRaw(t *testing.T, app *apptest.App, method, path string, body io.Reader, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, app.URL+path, body)
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := app.HTTP.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

func contactsHeaders(u apptest.User, org uuid.UUID, contentType string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + u.Access, "X-Organization-Id": org.String()}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	return h
}

func contactsIDs(items []client.Contact) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, c := range items {
		out[i] = c.Id
	}
	return out
}

func contactsPtr[T any](v T) *T { return &v }

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
	f := newContactsFixture(t)
	before := time.Now().Add(-time.Minute)
	res := f.create(t, f.member(t), f.org, client.ContactCreate{
		Name: "  Charles Babbage ", Email: contactsPtr(" Charles@Example.com "), Phone: contactsPtr("+44 20 7946 0000"),
		Company: contactsPtr("Difference Engines"), Notes: contactsPtr("Met at the Royal Society."),
	})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	c := *res.JSON201
	assert.Equal(t, "/api/v1/contacts/"+c.Id.String(), res.HTTPResponse.Header.Get("Location"))
	assert.Equal(t, byte(7), c.Id[6]>>4, "ids are UUIDv7")
	assert.Equal(t, f.member(t).ID, c.OwnerId)
	assert.Equal(t, "Charles Babbage", c.Name, "name is trimmed")
	assert.Equal(t, contactsPtr("Charles@Example.com"), contactsStr(c.Email), "email is trimmed, case kept")
	assert.Equal(t, contactsPtr("+44 20 7946 0000"), contactsStr(c.Phone))
	assert.Equal(t, contactsPtr("Difference Engines"), contactsStr(c.Company))
	assert.Equal(t, contactsPtr("Met at the Royal Society."), contactsStr(c.Notes))
	assert.True(t, c.CreatedAt.After(before))
	assert.Equal(t, c.CreatedAt, c.UpdatedAt)
	assert.Equal(t, time.UTC, c.CreatedAt.Location())

	got := f.get(t, f.owner, f.org, c.Id)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)
	assert.Equal(t, c, *got.JSON200)
}

func TestContacts_CreateWithOnlyANameAnswersNullOptionalFields(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	res := f.create(t, f.owner, f.org, client.ContactCreate{Name: "Ada"})
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
	f := newContactsFixture(t)
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
			res, body := contactsRaw(t, f.app, http.MethodPost, "/api/v1/contacts", strings.NewReader(tc.body),
				contactsHeaders(f.owner, f.org, "application/json"))
			p := problemOf(t, res, body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	assert.Equal(t, 0, f.count(t, f.org), "nothing was created")
}

func TestContacts_ManagersAndAboveAssignTheOwnerOfANewContact(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		t.Run(string(role), func(t *testing.T) {
			res := f.create(t, f.as(t, role), f.org, client.ContactCreate{Name: "For member", OwnerId: contactsPtr(f.member(t).ID)})
			require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, f.member(t).ID, res.JSON201.OwnerId)
		})
	}
}

func TestContacts_MemberCannotCreateForSomeoneElse(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	res := f.create(t, f.member(t), f.org, client.ContactCreate{Name: "Not mine", OwnerId: contactsPtr(f.member2(t).ID)})
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	assert.Equal(t, 0, f.count(t, f.org))

	own := f.create(t, f.member(t), f.org, client.ContactCreate{Name: "Mine", OwnerId: contactsPtr(f.member(t).ID)})
	require.Equal(t, http.StatusCreated, own.StatusCode(), "body: %s", own.Body)
	assert.Equal(t, f.member(t).ID, own.JSON201.OwnerId)
}

func TestContacts_CreateWithOwnerOutsideTheOrganizationIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.create(t, f.manager(t), f.org, client.ContactCreate{Name: "X", OwnerId: contactsPtr(f.outsider(t).ID)})
	p := problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, []string{"owner_id"}, fieldsOf(p))
	unknown := f.create(t, f.manager(t), f.org, client.ContactCreate{Name: "X", OwnerId: contactsPtr(uuid.New())})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, withoutRequestID(t, foreign.Body), withoutRequestID(t, unknown.Body), "foreign and unknown ids are answered alike")
	assert.Equal(t, 0, f.count(t, f.org))
}

func TestContacts_EmailIsUniquePerOrganizationCaseInsensitively(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	first := f.app.CreateContact(t, f.member(t), f.org, client.ContactCreate{Name: "Ada", Email: contactsPtr("Ada@Example.com")})

	for _, email := range []string{"Ada@Example.com", "ada@example.com", " ADA@EXAMPLE.COM "} {
		for _, u := range []apptest.User{f.owner, f.member2(t)} {
			res := f.create(t, u, f.org, client.ContactCreate{Name: "Ada again", Email: &email})
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
			require.NotNil(t, p.ExistingId, "body: %s", res.Body)
			assert.Equal(t, first.Id, *p.ExistingId)
		}
	}
	assert.Equal(t, 1, f.count(t, f.org))

	// The same email in another organization is a different contact.
	other := f.create(t, f.outsider(t), f.outsider(t).OrgID, client.ContactCreate{Name: "Ada", Email: contactsPtr("ada@example.com")})
	require.Equal(t, http.StatusCreated, other.StatusCode(), "body: %s", other.Body)
	assert.NotEqual(t, first.Id, other.JSON201.Id)

	// Contacts without email do not collide.
	f.app.NewContact(t, f.owner, f.org, "No email 1")
	f.app.NewContact(t, f.owner, f.org, "No email 2")
}

func TestContacts_EmailTakenEvenWhenTheOtherContactIsInvisible(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	f.membersSeeAll(t, false)
	theirs := f.app.CreateContact(t, f.member2(t), f.org, client.ContactCreate{Name: "B", Email: contactsPtr("b@example.com")})
	res := f.create(t, f.member(t), f.org, client.ContactCreate{Name: "B", Email: contactsPtr("B@example.com")})
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
	require.NotNil(t, p.ExistingId)
	assert.Equal(t, theirs.Id, *p.ExistingId)
}

func TestContacts_ConcurrentCreatesWithTheSameEmailLeaveOneContact(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	const n = 8
	users := []apptest.User{f.owner, f.admin(t), f.manager(t), f.member(t), f.member2(t)}
	results := make([]*client.CreateContactResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := f.app.Client.CreateContactWithResponse(f.ctx,
				client.ContactCreate{Name: fmt.Sprintf("Racer %d", i), Email: contactsPtr(fmt.Sprintf("RACE@example.com%s", strings.Repeat(" ", i%2)))},
				users[i%len(users)].In(f.org)...)
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
	assert.Equal(t, 1, f.count(t, f.org))
}

// ---- GET /contacts/{id} ----

func TestContacts_GetUnknownAndForeignContactsAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.app.NewContact(t, f.outsider(t), f.outsider(t).OrgID, "Foreign")

	unknown := f.get(t, f.owner, f.org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.get(t, f.owner, f.org, foreign.Id)
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	assert.NotContains(t, string(other.Body), "Foreign")
}

func TestContacts_EveryRoleReadsContacts(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.member2(t), f.org, "Shared")
	for _, role := range contactsAllRoles {
		t.Run(string(role), func(t *testing.T) {
			got := f.get(t, f.as(t, role), f.org, c.Id)
			require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)
			assert.Equal(t, c, *got.JSON200)
			list := f.list(t, f.as(t, role), f.org, client.ListContactsParams{})
			assert.Equal(t, []uuid.UUID{c.Id}, contactsIDs(list.Items))
		})
	}
}

// ---- GET /contacts ----

func TestContacts_ListDefaultsToNewestFirstWithPageDefaults(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	var ids []uuid.UUID
	for i := range 3 {
		ids = append(ids, f.app.NewContact(t, f.owner, f.org, fmt.Sprintf("C%d", i)).Id)
	}
	list := f.list(t, f.member(t), f.org, client.ListContactsParams{})
	assert.EqualValues(t, 3, list.Total)
	assert.EqualValues(t, 1, list.Page)
	assert.EqualValues(t, 20, list.PageSize)
	assert.Equal(t, []uuid.UUID{ids[2], ids[1], ids[0]}, contactsIDs(list.Items))

	asc := f.list(t, f.member(t), f.org, client.ListContactsParams{Order: contactsPtr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, ids, contactsIDs(asc.Items))
}

func TestContacts_ListOrdersByNameCaseInsensitivelyWithIDTieBreak(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	b1 := f.app.NewContact(t, f.owner, f.org, "bob").Id
	a := f.app.NewContact(t, f.owner, f.org, "Alice").Id
	b2 := f.app.NewContact(t, f.owner, f.org, "Bob").Id
	c := f.app.NewContact(t, f.owner, f.org, "carol").Id
	// b1 < b2 (UUIDv7 made in order): equal lower(name) breaks ties by id in the sort direction.
	asc := f.list(t, f.owner, f.org, client.ListContactsParams{OrderBy: contactsPtr(client.ListContactsParamsOrderByName), Order: contactsPtr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, []uuid.UUID{a, b1, b2, c}, contactsIDs(asc.Items))
	desc := f.list(t, f.owner, f.org, client.ListContactsParams{OrderBy: contactsPtr(client.ListContactsParamsOrderByName), Order: contactsPtr(client.ListContactsParamsOrderDesc)})
	assert.Equal(t, []uuid.UUID{c, b2, b1, a}, contactsIDs(desc.Items))
	byDefaultDesc := f.list(t, f.owner, f.org, client.ListContactsParams{OrderBy: contactsPtr(client.ListContactsParamsOrderByName)})
	assert.Equal(t, contactsIDs(desc.Items), contactsIDs(byDefaultDesc.Items))
}

func TestContacts_PagingThroughAllContactsYieldsEachExactlyOnce(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	const total = 13
	want := map[uuid.UUID]bool{}
	for i := range total {
		want[f.app.NewContact(t, f.owner, f.org, fmt.Sprintf("Same %d", i%2)).Id] = true
	}
	// Identical created_at for all: only the id tie-break keeps the pages stable.
	_, err := f.app.Pool.Exec(f.ctx, `UPDATE contacts SET created_at = '2026-01-01T00:00:00Z' WHERE organization_id = $1`, f.org)
	require.NoError(t, err)

	for _, orderBy := range []client.ListContactsParamsOrderBy{client.ListContactsParamsOrderByCreatedAt, client.ListContactsParamsOrderByName} {
		for _, order := range []client.ListContactsParamsOrder{client.ListContactsParamsOrderAsc, client.ListContactsParamsOrderDesc} {
			t.Run(string(orderBy)+"_"+string(order), func(t *testing.T) {
				seen := map[uuid.UUID]int{}
				var walked []uuid.UUID
				size := int32(4)
				for page := int32(1); page <= 4; page++ {
					l := f.list(t, f.member(t), f.org, client.ListContactsParams{Page: &page, PageSize: &size, OrderBy: &orderBy, Order: &order})
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
				all := f.list(t, f.member(t), f.org, client.ListContactsParams{PageSize: contactsPtr(int32(100)), OrderBy: &orderBy, Order: &order})
				assert.Equal(t, contactsIDs(all.Items), walked, "pages concatenate to the full ordering")
			})
		}
	}

	past := f.list(t, f.member(t), f.org, client.ListContactsParams{Page: contactsPtr(int32(9)), PageSize: contactsPtr(int32(5))})
	assert.Empty(t, past.Items)
	assert.NotNil(t, past.Items, "items is [] not null")
	assert.EqualValues(t, total, past.Total, "past the last page the total is still reported")
	assert.EqualValues(t, 9, past.Page)
}

func TestContacts_SearchMatchesNameEmailOrPhoneCaseInsensitively(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	byName := f.app.NewContact(t, f.owner, f.org, "Grace Hopper").Id
	byEmail := f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "X", Email: contactsPtr("HOPPER.fan@example.com")}).Id
	byPhone := f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "Y", Phone: contactsPtr("+1 555 0199")}).Id
	f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "Z", Company: contactsPtr("Hopper Inc"), Notes: contactsPtr("hopper")})

	l := f.list(t, f.member(t), f.org, client.ListContactsParams{Search: contactsPtr("hOpPeR"), Order: contactsPtr(client.ListContactsParamsOrderAsc)})
	assert.Equal(t, []uuid.UUID{byName, byEmail}, contactsIDs(l.Items), "company and notes are not searched")
	assert.EqualValues(t, 2, l.Total)
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{Search: contactsPtr("555 01")})
	assert.Equal(t, []uuid.UUID{byPhone}, contactsIDs(l.Items))
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{Search: contactsPtr("nobody")})
	assert.Empty(t, l.Items)
	assert.EqualValues(t, 0, l.Total)
}

func TestContacts_SearchTreatsPercentUnderscoreAndBackslashLiterally(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	pct := f.app.NewContact(t, f.owner, f.org, "Discount 50%").Id
	f.app.NewContact(t, f.owner, f.org, "Order 500")
	under := f.app.NewContact(t, f.owner, f.org, "a_b").Id
	f.app.NewContact(t, f.owner, f.org, "axb")
	back := f.app.NewContact(t, f.owner, f.org, `c\d`).Id
	f.app.NewContact(t, f.owner, f.org, "cd")

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
			l := f.list(t, f.owner, f.org, client.ListContactsParams{Search: &tc.search})
			assert.Equal(t, tc.want, contactsIDs(l.Items))
			assert.EqualValues(t, len(tc.want), l.Total)
		})
	}
}

func TestContacts_ListFiltersByOwner(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	mine := f.app.NewContact(t, f.member(t), f.org, "Mine").Id
	theirs := f.app.NewContact(t, f.member2(t), f.org, "Theirs").Id
	f.app.NewContact(t, f.owner, f.org, "Owner's")

	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		l := f.list(t, f.as(t, role), f.org, client.ListContactsParams{OwnerId: contactsPtr(f.member2(t).ID)})
		assert.Equal(t, []uuid.UUID{theirs}, contactsIDs(l.Items), string(role))
		assert.EqualValues(t, 1, l.Total)
	}
	l := f.list(t, f.member(t), f.org, client.ListContactsParams{OwnerId: contactsPtr(f.member(t).ID)})
	assert.Equal(t, []uuid.UUID{mine}, contactsIDs(l.Items))
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{})
	assert.Len(t, l.Items, 3, "members see everyone's contacts by default")
}

func TestContacts_MemberCannotFilterByAnotherOwner(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	f.app.NewContact(t, f.member2(t), f.org, "Theirs")
	for _, owner := range []uuid.UUID{f.member2(t).ID, f.owner.ID, uuid.New()} {
		res, err := f.app.Client.ListContactsWithResponse(f.ctx, &client.ListContactsParams{OwnerId: &owner}, f.member(t).In(f.org)...)
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		assert.NotContains(t, string(res.Body), "Theirs")
	}
}

func TestContacts_ListRejectsBadParameters(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
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
			res, body := contactsRaw(t, f.app, http.MethodGet, "/api/v1/contacts?"+tc.query, nil, contactsHeaders(f.owner, f.org, ""))
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			assert.Contains(t, strings.Join(fieldsOf(p), ","), tc.field)
		})
	}
}

// ---- members_see_all=false ----

func TestContacts_MembersSeeOnlyTheirOwnWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	mine := f.app.NewContact(t, f.member(t), f.org, "Mine")
	theirs := f.app.NewContact(t, f.member2(t), f.org, "Theirs")
	owners := f.app.NewContact(t, f.owner, f.org, "Owner's")
	f.membersSeeAll(t, false)

	l := f.list(t, f.member(t), f.org, client.ListContactsParams{})
	assert.Equal(t, []uuid.UUID{mine.Id}, contactsIDs(l.Items))
	assert.EqualValues(t, 1, l.Total)
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{OwnerId: contactsPtr(f.member(t).ID), Search: contactsPtr("Theirs")})
	assert.Empty(t, l.Items, "search does not find invisible contacts")
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{OwnerId: contactsPtr(f.member(t).ID)})
	assert.Equal(t, []uuid.UUID{mine.Id}, contactsIDs(l.Items))

	got := f.get(t, f.member(t), f.org, mine.Id)
	require.Equal(t, http.StatusOK, got.StatusCode(), "body: %s", got.Body)

	unknown := f.get(t, f.member(t), f.org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	for _, c := range []client.Contact{theirs, owners} {
		res := f.get(t, f.member(t), f.org, c.Id)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, res.Body), "invisible is answered like missing")

		upd := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{Name: contactsPtr("Hijacked")})
		problemOf(t, upd.HTTPResponse, upd.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, upd.Body))

		del := f.del(t, f.member(t), f.org, c.Id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, del.Body))

		name, _, _, ok := f.stored(t, f.org, c.Id)
		assert.True(t, ok)
		assert.Equal(t, c.Name, name, "nothing changed")
	}

	// Managers and above still see everything.
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		l := f.list(t, f.as(t, role), f.org, client.ListContactsParams{})
		assert.Len(t, l.Items, 3, string(role))
		got := f.get(t, f.as(t, role), f.org, theirs.Id)
		assert.Equal(t, http.StatusOK, got.StatusCode(), string(role))
	}

	// Turning the setting back on shows everything to members again.
	f.membersSeeAll(t, true)
	l = f.list(t, f.member(t), f.org, client.ListContactsParams{})
	assert.Len(t, l.Items, 3)
}

// ---- PATCH /contacts/{id} ----

func TestContacts_UpdateIsPartialAndNullClearsOptionalFields(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.CreateContact(t, f.member(t), f.org, client.ContactCreate{
		Name: "Ada", Email: contactsPtr("ada@example.com"), Phone: contactsPtr("+1 1"), Company: contactsPtr("AE"), Notes: contactsPtr("n"),
	})

	res := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{Phone: nullable.NewNullableWithValue(" +1 2 ")})
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	u := *res.JSON200
	assert.Equal(t, contactsPtr("+1 2"), contactsStr(u.Phone))
	assert.Equal(t, "Ada", u.Name)
	assert.Equal(t, contactsPtr("ada@example.com"), contactsStr(u.Email))
	assert.Equal(t, contactsPtr("AE"), contactsStr(u.Company))
	assert.Equal(t, contactsPtr("n"), contactsStr(u.Notes))
	assert.Equal(t, c.CreatedAt, u.CreatedAt)
	assert.True(t, u.UpdatedAt.After(c.UpdatedAt), "updated_at advances")

	// Raw JSON nulls clear every optional field at once.
	raw, body := contactsRaw(t, f.app, http.MethodPatch, "/api/v1/contacts/"+c.Id.String(),
		strings.NewReader(`{"email":null,"phone":null,"company":null,"notes":null,"name":" Ada Lovelace "}`),
		contactsHeaders(f.member(t), f.org, "application/json"))
	require.Equal(t, http.StatusOK, raw.StatusCode, "body: %s", body)
	var cleared map[string]any
	require.NoError(t, json.Unmarshal(body, &cleared))
	assert.Equal(t, "Ada Lovelace", cleared["name"])
	for _, k := range []string{"email", "phone", "company", "notes"} {
		v, present := cleared[k]
		assert.True(t, present, k)
		assert.Nil(t, v, k)
	}
	got := f.get(t, f.member(t), f.org, c.Id)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.False(t, got.JSON200.Email.IsSpecified() && !got.JSON200.Email.IsNull())
	assert.Equal(t, f.member(t).ID, got.JSON200.OwnerId, "owner is kept")

	// A patch that changes nothing answers the contact as it is.
	same := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{Name: contactsPtr("Ada Lovelace")})
	require.Equal(t, http.StatusOK, same.StatusCode(), "body: %s", same.Body)
	assert.Equal(t, *got.JSON200, *same.JSON200)
}

func TestContacts_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "Ada", Email: contactsPtr("ada@example.com")})
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
			res, body := contactsRaw(t, f.app, http.MethodPatch, "/api/v1/contacts/"+c.Id.String(), strings.NewReader(tc.body),
				contactsHeaders(f.owner, f.org, "application/json"))
			p := problemOf(t, res, body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	got := f.get(t, f.owner, f.org, c.Id)
	assert.Equal(t, c, *got.JSON200, "nothing changed")
}

func TestContacts_UpdateToAnotherContactsEmailConflicts(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	ada := f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "Ada", Email: contactsPtr("ada@example.com")})
	bob := f.app.CreateContact(t, f.owner, f.org, client.ContactCreate{Name: "Bob", Email: contactsPtr("bob@example.com")})

	res := f.patch(t, f.owner, f.org, bob.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ADA@example.com"), Name: contactsPtr("Bobby")})
	p := problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_email_taken")
	require.NotNil(t, p.ExistingId)
	assert.Equal(t, ada.Id, *p.ExistingId)
	name, email, _, _ := f.stored(t, f.org, bob.Id)
	assert.Equal(t, "Bob", name, "a failed update changes nothing")
	assert.Equal(t, contactsPtr("bob@example.com"), email)

	// Changing the case of one's own email is not a conflict, and is stored as given.
	own := f.patch(t, f.owner, f.org, ada.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("Ada@Example.COM")})
	require.Equal(t, http.StatusOK, own.StatusCode(), "body: %s", own.Body)
	assert.Equal(t, contactsPtr("Ada@Example.COM"), contactsStr(own.JSON200.Email))

	// Once cleared, the email is free for another contact.
	cleared := f.patch(t, f.owner, f.org, ada.Id, client.ContactUpdate{Email: nullable.NewNullNullable[string]()})
	require.Equal(t, http.StatusOK, cleared.StatusCode(), "body: %s", cleared.Body)
	moved := f.patch(t, f.owner, f.org, bob.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ada@example.com")})
	require.Equal(t, http.StatusOK, moved.StatusCode(), "body: %s", moved.Body)

	// The same email in another organization does not conflict.
	foreign := f.app.NewContact(t, f.outsider(t), f.outsider(t).OrgID, "Foreign")
	ok := f.patch(t, f.outsider(t), f.outsider(t).OrgID, foreign.Id, client.ContactUpdate{Email: nullable.NewNullableWithValue("ada@example.com")})
	require.Equal(t, http.StatusOK, ok.StatusCode(), "body: %s", ok.Body)
}

func TestContacts_ConcurrentUpdatesToTheSameEmailLetOneWin(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	const n = 6
	ids := make([]uuid.UUID, n)
	for i := range n {
		ids[i] = f.app.NewContact(t, f.owner, f.org, fmt.Sprintf("C%d", i)).Id
	}
	results := make([]*client.UpdateContactResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := f.app.Client.UpdateContactWithResponse(f.ctx, ids[i],
				client.ContactUpdate{Email: nullable.NewNullableWithValue("same@example.com")}, f.owner.In(f.org)...)
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
	f := newContactsFixture(t)
	for _, owner := range []apptest.User{f.member2(t), f.manager(t), f.owner} {
		c := f.app.NewContact(t, owner, f.org, "Not yours")
		res := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{Name: contactsPtr("Mine now")})
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		name, _, _, _ := f.stored(t, f.org, c.Id)
		assert.Equal(t, "Not yours", name)
	}
}

func TestContacts_OnlyManagersAndAboveChangeTheOwner(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		t.Run(string(role), func(t *testing.T) {
			c := f.app.NewContact(t, f.member(t), f.org, "Reassign me")
			res := f.patch(t, f.as(t, role), f.org, c.Id, client.ContactUpdate{OwnerId: contactsPtr(f.member2(t).ID)})
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			assert.Equal(t, f.member2(t).ID, res.JSON200.OwnerId)
			self := f.as(t, role).ID
			back := f.patch(t, f.as(t, role), f.org, c.Id, client.ContactUpdate{OwnerId: &self})
			require.Equal(t, http.StatusOK, back.StatusCode(), "body: %s", back.Body)
			assert.Equal(t, self, back.JSON200.OwnerId)
		})
	}

	t.Run("member", func(t *testing.T) {
		c := f.app.NewContact(t, f.member(t), f.org, "Mine")
		res := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{OwnerId: contactsPtr(f.member2(t).ID), Name: contactsPtr("Given away")})
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		name, _, owner, _ := f.stored(t, f.org, c.Id)
		assert.Equal(t, "Mine", name)
		assert.Equal(t, f.member(t).ID, owner)
		// Naming themselves (no change) is fine.
		same := f.patch(t, f.member(t), f.org, c.Id, client.ContactUpdate{OwnerId: contactsPtr(f.member(t).ID)})
		require.Equal(t, http.StatusOK, same.StatusCode(), "body: %s", same.Body)
	})
}

func TestContacts_UpdateOwnerOutsideTheOrganizationIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.member(t), f.org, "C")
	foreign := f.patch(t, f.manager(t), f.org, c.Id, client.ContactUpdate{OwnerId: contactsPtr(f.outsider(t).ID)})
	p := problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, []string{"owner_id"}, fieldsOf(p))
	unknown := f.patch(t, f.manager(t), f.org, c.Id, client.ContactUpdate{OwnerId: contactsPtr(uuid.New())})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusBadRequest, "invalid_reference")
	assert.Equal(t, withoutRequestID(t, foreign.Body), withoutRequestID(t, unknown.Body))
	_, _, owner, _ := f.stored(t, f.org, c.Id)
	assert.Equal(t, f.member(t).ID, owner)
}

func TestContacts_UpdateUnknownOrForeignContactIsNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.app.NewContact(t, f.outsider(t), f.outsider(t).OrgID, "Foreign")
	unknown := f.patch(t, f.owner, f.org, uuid.New(), client.ContactUpdate{Name: contactsPtr("X")})
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.patch(t, f.owner, f.org, foreign.Id, client.ContactUpdate{Name: contactsPtr("X")})
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	name, _, _, _ := f.stored(t, f.outsider(t).OrgID, foreign.Id)
	assert.Equal(t, "Foreign", name)
}

// ---- DELETE /contacts/{id} ----

func TestContacts_DeleteRemovesTheContact(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.member(t), f.org, "Bye")
	res := f.del(t, f.member(t), f.org, c.Id)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Empty(t, res.Body)
	_, _, _, ok := f.stored(t, f.org, c.Id)
	assert.False(t, ok)
	got := f.get(t, f.member(t), f.org, c.Id)
	problemOf(t, got.HTTPResponse, got.Body, http.StatusNotFound, "not_found")
	again := f.del(t, f.member(t), f.org, c.Id)
	problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")
}

func TestContacts_DeleteUnknownOrForeignContactIsNotFound(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.app.NewContact(t, f.outsider(t), f.outsider(t).OrgID, "Foreign")
	unknown := f.del(t, f.owner, f.org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	other := f.del(t, f.owner, f.org, foreign.Id)
	problemOf(t, other.HTTPResponse, other.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, other.Body))
	_, _, _, ok := f.stored(t, f.outsider(t).OrgID, foreign.Id)
	assert.True(t, ok, "the foreign contact survives")
}

func TestContacts_MemberCannotDeleteOthersContact(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.member2(t), f.org, "Theirs")
	res := f.del(t, f.member(t), f.org, c.Id)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	_, _, _, ok := f.stored(t, f.org, c.Id)
	assert.True(t, ok)
}

func TestContacts_ContactWithDealsCannotBeDeleted(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.member(t), f.org, "Has deals")
	deal := f.addDeal(t, f.member(t), c.Id)

	for _, u := range []apptest.User{f.member(t), f.owner} {
		res := f.del(t, u, f.org, c.Id)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_has_deals")
	}
	_, _, _, ok := f.stored(t, f.org, c.Id)
	assert.True(t, ok)

	res, err := f.app.Client.DeleteDealWithResponse(f.ctx, deal, f.member(t).In(f.org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	gone := f.del(t, f.member(t), f.org, c.Id)
	require.Equal(t, http.StatusNoContent, gone.StatusCode(), "body: %s", gone.Body)
}

// A deal inserted while a delete is in flight: the delete waits for the deal's transaction and
// then refuses (the composite foreign key deals_contact_fkey is the last line of defence).
func TestContacts_DeleteRacingANewDealIsAConflict(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.owner, f.org, "Racing")
	tx, err := f.app.Pool.Begin(f.ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(f.ctx) }()
	_, err = tx.Exec(f.ctx, `INSERT INTO deals (organization_id, id, contact_id, owner_id, title, currency)
		VALUES ($1, $2, $3, $4, 'Concurrent deal', 'USD')`, f.org, uuid.Must(uuid.NewV7()), c.Id, f.owner.ID)
	require.NoError(t, err)

	done := make(chan *client.DeleteContactResponse, 1)
	go func() {
		res, err := f.app.Client.DeleteContactWithResponse(f.ctx, c.Id, f.owner.In(f.org)...)
		assert.NoError(t, err)
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("the delete did not wait for the deal's transaction: %d %s", res.StatusCode(), res.Body)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, tx.Commit(f.ctx))
	res := <-done
	require.NotNil(t, res)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusConflict, "contact_has_deals")
	_, _, _, ok := f.stored(t, f.org, c.Id)
	assert.True(t, ok)
}

// ---- role matrix ----

// TestContacts_RoleMatrix walks every role through every contact action, on its own contact and
// on a contact someone else owns.
func TestContacts_RoleMatrix(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	type expect struct{ read, create, updateOwn, updateOthers, reassign, deleteOwn, deleteOthers int }
	allowed := expect{200, 201, 200, 200, 200, 204, 204}
	want := map[client.Role]expect{
		client.RoleOwner:   allowed,
		client.RoleAdmin:   allowed,
		client.RoleManager: allowed,
		client.RoleMember:  {200, 201, 200, 403, 403, 204, 403},
	}
	for _, role := range contactsAllRoles {
		t.Run(string(role), func(t *testing.T) {
			u, w := f.as(t, role), want[role]
			others := f.app.NewContact(t, f.member2(t), f.org, "Others "+string(role))

			got := f.get(t, u, f.org, others.Id)
			assert.Equal(t, w.read, got.StatusCode(), "read")

			created := f.create(t, u, f.org, client.ContactCreate{Name: "Own " + string(role)})
			require.Equal(t, w.create, created.StatusCode(), "create: %s", created.Body)
			own := created.JSON201.Id

			upd := f.patch(t, u, f.org, own, client.ContactUpdate{Notes: nullable.NewNullableWithValue("own")})
			assert.Equal(t, w.updateOwn, upd.StatusCode(), "update own: %s", upd.Body)

			upd = f.patch(t, u, f.org, others.Id, client.ContactUpdate{Notes: nullable.NewNullableWithValue("others")})
			assert.Equal(t, w.updateOthers, upd.StatusCode(), "update others: %s", upd.Body)

			re := f.patch(t, u, f.org, own, client.ContactUpdate{OwnerId: contactsPtr(f.member2(t).ID)})
			assert.Equal(t, w.reassign, re.StatusCode(), "reassign: %s", re.Body)
			if re.StatusCode() == http.StatusOK { // give it back so the delete below is of an own contact
				if back := f.patch(t, f.owner, f.org, own, client.ContactUpdate{OwnerId: &u.ID}); back.StatusCode() != http.StatusOK {
					t.Fatalf("give back: %d %s", back.StatusCode(), back.Body)
				}
			}

			del := f.del(t, u, f.org, others.Id)
			assert.Equal(t, w.deleteOthers, del.StatusCode(), "delete others: %s", del.Body)
			del = f.del(t, u, f.org, own)
			assert.Equal(t, w.deleteOwn, del.StatusCode(), "delete own: %s", del.Body)
		})
	}
}

// ---- tenancy, auth and transport ----

func TestContacts_OtherOrganizationsContactsNeverLeak(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.app.CreateContact(t, f.outsider(t), f.outsider(t).OrgID, client.ContactCreate{Name: "Secret", Email: contactsPtr("secret@example.com")})
	f.app.NewContact(t, f.owner, f.org, "Ours")

	for _, role := range contactsAllRoles {
		u := f.as(t, role)
		l := f.list(t, u, f.org, client.ListContactsParams{})
		assert.NotContains(t, contactsIDs(l.Items), foreign.Id)
		l = f.list(t, u, f.org, client.ListContactsParams{Search: contactsPtr("secret")})
		assert.Empty(t, l.Items)
	}
	// Listing by the outsider's id as owner_id finds nothing (and is no error for managers and above).
	l := f.list(t, f.owner, f.org, client.ListContactsParams{OwnerId: contactsPtr(f.outsider(t).ID)})
	assert.Empty(t, l.Items)
	// The outsider's own list contains only their contact.
	l = f.list(t, f.outsider(t), f.outsider(t).OrgID, client.ListContactsParams{})
	assert.Equal(t, []uuid.UUID{foreign.Id}, contactsIDs(l.Items))

	// The same email is free in our organization: the other's uniqueness does not leak.
	res := f.create(t, f.owner, f.org, client.ContactCreate{Name: "Ours too", Email: contactsPtr("secret@example.com")})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)

	name, email, owner, ok := f.stored(t, f.outsider(t).OrgID, foreign.Id)
	require.True(t, ok)
	assert.Equal(t, "Secret", name)
	assert.Equal(t, contactsPtr("secret@example.com"), email)
	assert.Equal(t, f.outsider(t).ID, owner)
}

func TestContacts_OrganizationWhereTheCallerIsNotAMemberIsForbidden(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	foreign := f.app.NewContact(t, f.outsider(t), f.outsider(t).OrgID, "Foreign")
	before := f.count(t, f.outsider(t).OrgID)
	for _, org := range []uuid.UUID{f.outsider(t).OrgID, uuid.New()} {
		in := f.owner.In(org)
		l, err := f.app.Client.ListContactsWithResponse(f.ctx, nil, in...)
		require.NoError(t, err)
		problemOf(t, l.HTTPResponse, l.Body, http.StatusForbidden, "not_a_member")
		c := f.create(t, f.owner, org, client.ContactCreate{Name: "Intruder"})
		problemOf(t, c.HTTPResponse, c.Body, http.StatusForbidden, "not_a_member")
		g := f.get(t, f.owner, org, foreign.Id)
		problemOf(t, g.HTTPResponse, g.Body, http.StatusForbidden, "not_a_member")
		u := f.patch(t, f.owner, org, foreign.Id, client.ContactUpdate{Name: contactsPtr("Hijacked")})
		problemOf(t, u.HTTPResponse, u.Body, http.StatusForbidden, "not_a_member")
		d := f.del(t, f.owner, org, foreign.Id)
		problemOf(t, d.HTTPResponse, d.Body, http.StatusForbidden, "not_a_member")
		for _, body := range [][]byte{c.Body, g.Body, u.Body, d.Body} {
			assert.Equal(t, withoutRequestID(t, l.Body), withoutRequestID(t, body), "not_a_member is identical everywhere")
			assert.NotContains(t, string(body), "Foreign")
		}
	}
	assert.Equal(t, before, f.count(t, f.outsider(t).OrgID))
	name, _, _, ok := f.stored(t, f.outsider(t).OrgID, foreign.Id)
	require.True(t, ok)
	assert.Equal(t, "Foreign", name)
}

func TestContacts_EveryOperationNeedsAToken(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.owner, f.org, "C")
	org := apptest.Org(f.org)
	cases := map[string]func() (*http.Response, []byte){
		"list": func() (*http.Response, []byte) {
			r, err := f.app.Client.ListContactsWithResponse(f.ctx, nil, org)
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
		"create": func() (*http.Response, []byte) {
			r, err := f.app.Client.CreateContactWithResponse(f.ctx, client.ContactCreate{Name: "X"}, org)
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
		"get": func() (*http.Response, []byte) {
			r, err := f.app.Client.GetContactWithResponse(f.ctx, c.Id, org)
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
		"update": func() (*http.Response, []byte) {
			r, err := f.app.Client.UpdateContactWithResponse(f.ctx, c.Id, client.ContactUpdate{Name: contactsPtr("X")}, org)
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
		"delete": func() (*http.Response, []byte) {
			r, err := f.app.Client.DeleteContactWithResponse(f.ctx, c.Id, org)
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
		"delete with a bad token": func() (*http.Response, []byte) {
			r, err := f.app.Client.DeleteContactWithResponse(f.ctx, c.Id, org, apptest.Bearer("not-a-token"))
			require.NoError(t, err)
			return r.HTTPResponse, r.Body
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			res, body := call()
			problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
			assert.Contains(t, res.Header.Get("WWW-Authenticate"), "Bearer")
		})
	}
	_, _, _, ok := f.stored(t, f.org, c.Id)
	assert.True(t, ok)
	assert.Equal(t, 1, f.count(t, f.org))
}

func TestContacts_BadOrganizationHeaderAndContactIDAreBadRequests(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.owner, f.org, "C")
	item := "/api/v1/contacts/" + c.Id.String()
	headers := func(org, contentType string) map[string]string {
		h := map[string]string{"Authorization": "Bearer " + f.owner.Access}
		if org != "" {
			h["X-Organization-Id"] = org
		}
		if contentType != "" {
			h["Content-Type"] = contentType
		}
		return h
	}
	org := f.org.String()
	const body = `{"name":"X"}`
	cases := []struct {
		name, method, path, org, body, code string
	}{
		{"list without organization", http.MethodGet, "/api/v1/contacts", "", "", "organization_header_required"},
		{"list with malformed organization", http.MethodGet, "/api/v1/contacts", "nope", "", "invalid_organization_header"},
		{"create without organization", http.MethodPost, "/api/v1/contacts", "", body, "organization_header_required"},
		{"get without organization", http.MethodGet, item, "", "", "organization_header_required"},
		{"update with malformed organization", http.MethodPatch, item, "123", body, "invalid_organization_header"},
		{"delete with malformed organization", http.MethodDelete, item, "123", "", "invalid_organization_header"},
		{"get malformed id", http.MethodGet, "/api/v1/contacts/not-a-uuid", org, "", "validation_failed"},
		{"update malformed id", http.MethodPatch, "/api/v1/contacts/not-a-uuid", org, body, "validation_failed"},
		{"delete malformed id", http.MethodDelete, "/api/v1/contacts/not-a-uuid", org, "", "validation_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rd io.Reader
			ct := ""
			if tc.body != "" {
				rd, ct = strings.NewReader(tc.body), "application/json"
			}
			res, b := contactsRaw(t, f.app, tc.method, tc.path, rd, headers(tc.org, ct))
			p := problemOf(t, res, b, http.StatusBadRequest, tc.code)
			if tc.code == "validation_failed" {
				assert.Equal(t, []string{"contact_id"}, fieldsOf(p))
			}
		})
	}
	assert.Equal(t, 1, f.count(t, f.org))
	name, _, _, _ := f.stored(t, f.org, c.Id)
	assert.Equal(t, "C", name)
}

func TestContacts_OversizedBodyAndWrongMediaTypeAreRefused(t *testing.T) {
	t.Parallel()
	f := newContactsFixture(t)
	c := f.app.NewContact(t, f.owner, f.org, "C")
	big := `{"name":"X","notes":"` + strings.Repeat("n", 2<<20) + `"}`
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/contacts"},
		{http.MethodPatch, "/api/v1/contacts/" + c.Id.String()},
	} {
		t.Run(tc.method, func(t *testing.T) {
			res, body := contactsRaw(t, f.app, tc.method, tc.path, strings.NewReader(big), contactsHeaders(f.owner, f.org, "application/json"))
			problemOf(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")
			res, body = contactsRaw(t, f.app, tc.method, tc.path, strings.NewReader(`{"name":"X"}`), contactsHeaders(f.owner, f.org, "text/plain"))
			problemOf(t, res, body, http.StatusUnsupportedMediaType, "unsupported_media_type")
		})
	}
	assert.Equal(t, 1, f.count(t, f.org))
	name, _, _, _ := f.stored(t, f.org, c.Id)
	assert.Equal(t, "C", name)
}
