package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- helpers shared by tasks_test.go and activities_test.go ----

// tkFixture is one organization with a user in each role (and a second member), a deal owned by
// each of them, and an outsider whose own organization holds a deal and a task of its own.
type tkFixture struct {
	app                                              *apptest.App
	org                                              uuid.UUID
	owner, admin, manager, member, member2, outsider apptest.User
	deal                                             map[client.Role]client.Deal // owned by the user of that role
	member2Deal                                      client.Deal
	foreignDeal                                      client.Deal // in the outsider's organization
	foreignTask                                      client.Task // on foreignDeal
}

func newTkFixture(t *testing.T) *tkFixture {
	t.Helper()
	app := apptest.New(t)
	f := &tkFixture{app: app, deal: map[client.Role]client.Deal{}}
	f.owner = app.Register(t, "owner")
	f.org = f.owner.OrgID
	f.admin = app.Member(t, f.owner, f.org, "admin", client.RoleAdmin)
	f.manager = app.Member(t, f.owner, f.org, "manager", client.RoleManager)
	f.member = app.Member(t, f.owner, f.org, "member", client.RoleMember)
	f.member2 = app.Member(t, f.owner, f.org, "member2", client.RoleMember)
	f.outsider = app.Register(t, "outsider")
	for _, role := range tkRoles {
		f.deal[role] = app.NewDeal(t, f.as(role), f.org, "Deal of "+string(role), "1500.00")
	}
	f.member2Deal = app.NewDeal(t, f.member2, f.org, "Deal of member2", "700.00")
	f.foreignDeal = app.NewDeal(t, f.outsider, f.outsider.OrgID, "Foreign deal", "999.00")
	f.foreignTask = tkNew(t, app, f.outsider, f.outsider.OrgID, client.TaskCreate{DealId: f.foreignDeal.Id, Title: "Foreign task"})
	return f
}

var tkRoles = []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager, client.RoleMember}

func (f *tkFixture) as(role client.Role) apptest.User {
	switch role {
	case client.RoleOwner:
		return f.owner
	case client.RoleAdmin:
		return f.admin
	case client.RoleManager:
		return f.manager
	case client.RoleMember:
		return f.member
	}
	panic("unknown role " + string(role))
}

// settings changes the organization's settings as its owner.
func (f *tkFixture) settings(t *testing.T, s client.OrganizationSettingsUpdate) {
	t.Helper()
	res, err := f.app.Client.UpdateOrganizationWithResponse(context.Background(), f.org,
		client.UpdateOrganizationJSONRequestBody{Settings: &s}, f.owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
}

func tkPtr[T any](v T) *T { return &v }

// tkDay is the calendar date of t as an API date.
func tkDay(t time.Time) openapi_types.Date {
	y, m, d := t.Date()
	return openapi_types.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// tkToday is today's date in the time zone tz.
func tkToday(t *testing.T, tz string) openapi_types.Date {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	require.NoError(t, err)
	return tkDay(time.Now().In(loc))
}

func tkAddDays(d openapi_types.Date, n int) openapi_types.Date {
	return openapi_types.Date{Time: d.AddDate(0, 0, n)}
}

// tkStableDay runs fn with today's date in each of the zones, and again (up to twice) when one of
// the dates changed while fn ran, so that tests near midnight do not flake. fn must only collect
// results; the caller asserts on what the last run returned.
func tkStableDay(t *testing.T, zones []string, fn func(today map[string]openapi_types.Date)) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		before := map[string]openapi_types.Date{}
		for _, z := range zones {
			before[z] = tkToday(t, z)
		}
		fn(before)
		stable := true
		for _, z := range zones {
			stable = stable && tkToday(t, z) == before[z]
		}
		if stable || attempt == 2 {
			return
		}
	}
}

func tkCreate(t *testing.T, app *apptest.App, u apptest.User, org uuid.UUID, body client.TaskCreate) *client.CreateTaskResponse {
	t.Helper()
	res, err := app.Client.CreateTaskWithResponse(context.Background(), body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkNew(t *testing.T, app *apptest.App, u apptest.User, org uuid.UUID, body client.TaskCreate) client.Task {
	t.Helper()
	res := tkCreate(t, app, u, org, body)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON201
}

func tkGet(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.GetTaskResponse {
	t.Helper()
	res, err := app.Client.GetTaskWithResponse(context.Background(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

// tkMustGet reads a task as the organization's owner (who sees everything).
func tkMustGet(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) client.Task {
	t.Helper()
	res := tkGet(t, app, u, org, id)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkUpdate(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID, body client.TaskUpdate) *client.UpdateTaskResponse {
	t.Helper()
	res, err := app.Client.UpdateTaskWithResponse(context.Background(), id, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkMustUpdate(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID, body client.TaskUpdate) client.Task {
	t.Helper()
	res := tkUpdate(t, app, u, org, id, body)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkDelete(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.DeleteTaskResponse {
	t.Helper()
	res, err := app.Client.DeleteTaskWithResponse(context.Background(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkList(t *testing.T, app *apptest.App, u apptest.User, org uuid.UUID, p client.ListTasksParams) client.TaskList {
	t.Helper()
	res, err := app.Client.ListTasksWithResponse(context.Background(), &p, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkIDs(items []client.Task) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = it.Id
	}
	return out
}

// tkTimeline is a deal's whole timeline (newest first) as u sees it.
func tkTimeline(t *testing.T, app *apptest.App, u apptest.User, org, deal uuid.UUID, typ *client.ActivityType) client.ActivityList {
	t.Helper()
	res, err := app.Client.ListActivitiesWithResponse(context.Background(), deal,
		&client.ListActivitiesParams{PageSize: tkPtr(int32(100)), Type: typ}, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkTypes(items []client.Activity) []client.ActivityType {
	out := make([]client.ActivityType, len(items))
	for i, it := range items {
		out[i] = it.Type
	}
	return out
}

// tkRawRequest is a request the typed client cannot express.
type tkRawRequest struct {
	method, path string
	user         *apptest.User
	org          uuid.UUID
	contentType  string
	body         []byte
}

func tkRaw(t *testing.T, app *apptest.App, r tkRawRequest) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(context.Background(), r.method, app.URL+r.path, rd)
	require.NoError(t, err)
	if r.user != nil {
		req.Header.Set("Authorization", "Bearer "+r.user.Access)
	}
	if r.org != uuid.Nil {
		req.Header.Set("X-Organization-Id", r.org.String())
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	res, err := app.HTTP.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

func tkJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// tkCountTasks counts the rows of the tasks table of an organization, bypassing the API.
func tkCountTasks(t *testing.T, app *apptest.App, org uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM tasks WHERE organization_id = $1", org).Scan(&n))
	return n
}

// ---- POST /tasks ----

func TestTasks_CreateReturnsTheTaskWithItsLocation(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	due := tkAddDays(tkToday(t, "UTC"), 7)

	before := time.Now().Add(-time.Minute)
	res := tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{
		DealId: deal.Id, Title: "Send the proposal", Description: tkPtr("With the discount."), DueDate: &due,
	})
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	task := *res.JSON201
	assert.NotEqual(t, uuid.Nil, task.Id)
	assert.Equal(t, "/api/v1/tasks/"+task.Id.String(), res.HTTPResponse.Header.Get("Location"))
	assert.Equal(t, deal.Id, task.DealId)
	assert.Equal(t, ada.ID, task.OwnerId, "the caller owns the task")
	assert.Equal(t, "Send the proposal", task.Title)
	assert.Equal(t, "With the discount.", task.Description.MustGet())
	assert.Equal(t, due.String(), task.DueDate.MustGet().String())
	assert.False(t, task.IsDone)
	assert.True(t, task.CompletedAt.IsNull())
	assert.True(t, task.CreatedAt.After(before))
	assert.Equal(t, task.CreatedAt, task.UpdatedAt)
	assert.Equal(t, "no-store", res.HTTPResponse.Header.Get("Cache-Control"))

	// Location answers the same task.
	got := tkMustGet(t, app, ada, ada.OrgID, task.Id)
	assert.Equal(t, task, got)

	// Without the optional fields, they are null.
	bare := tkNew(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Call"})
	assert.True(t, bare.Description.IsNull())
	assert.True(t, bare.DueDate.IsNull())
	raw := map[string]any{}
	require.NoError(t, json.Unmarshal(tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Nulls"}).Body, &raw))
	for _, k := range []string{"description", "due_date", "completed_at"} {
		v, ok := raw[k]
		assert.True(t, ok, "%s is present", k)
		assert.Nil(t, v, "%s is null", k)
	}
}

func TestTasks_CreateWritesTaskCreatedIntoTheDealsTimeline(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.manager, f.org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "Follow up", OwnerId: &f.member.ID})

	tl := tkTimeline(t, f.app, f.owner, f.org, f.deal[client.RoleMember].Id, nil)
	require.Equal(t, []client.ActivityType{client.TaskCreated, client.DealCreated}, tkTypes(tl.Items))
	ev := tl.Items[0]
	assert.Equal(t, f.deal[client.RoleMember].Id, ev.DealId)
	assert.Equal(t, f.manager.ID, ev.AuthorId.MustGet(), "the author is who created the task, not its owner")
	assert.Equal(t, map[string]interface{}{"task_id": task.Id.String(), "title": "Follow up"}, ev.Payload)
	assert.False(t, ev.CreatedAt.Before(task.CreatedAt.Add(-time.Second)))
	// Other deals' timelines are untouched.
	assert.Equal(t, []client.ActivityType{client.DealCreated}, tkTypes(tkTimeline(t, f.app, f.owner, f.org, f.deal[client.RoleOwner].Id, nil).Items))
}

func TestTasks_CreateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00").Id.String()
	tests := []struct {
		name, body, code, field string
	}{
		{"empty object", `{}`, "validation_failed", ""},
		{"missing title", `{"deal_id": "` + deal + `"}`, "validation_failed", ""},
		{"missing deal_id", `{"title": "Call"}`, "validation_failed", ""},
		{"empty title", `{"deal_id": "` + deal + `", "title": ""}`, "validation_failed", "title"},
		{"title over 200 characters", `{"deal_id": "` + deal + `", "title": "` + strings.Repeat("t", 201) + `"}`, "validation_failed", "title"},
		{"title not a string", `{"deal_id": "` + deal + `", "title": 7}`, "validation_failed", "title"},
		{"title null", `{"deal_id": "` + deal + `", "title": null}`, "validation_failed", "title"},
		{"description over 5000 characters", `{"deal_id": "` + deal + `", "title": "Call", "description": "` + strings.Repeat("d", 5001) + `"}`, "validation_failed", "description"},
		{"due_date not a date", `{"deal_id": "` + deal + `", "title": "Call", "due_date": "tomorrow"}`, "validation_failed", "due_date"},
		{"due_date impossible", `{"deal_id": "` + deal + `", "title": "Call", "due_date": "2030-02-30"}`, "validation_failed", "due_date"},
		{"due_date with a time", `{"deal_id": "` + deal + `", "title": "Call", "due_date": "2030-01-01T10:00:00Z"}`, "validation_failed", "due_date"},
		{"deal_id not a uuid", `{"deal_id": "deal-1", "title": "Call"}`, "validation_failed", "deal_id"},
		{"owner_id not a uuid", `{"deal_id": "` + deal + `", "title": "Call", "owner_id": "me"}`, "validation_failed", "owner_id"},
		{"unknown field", `{"deal_id": "` + deal + `", "title": "Call", "priority": "high"}`, "validation_failed", "priority"},
		{"read-only id", `{"deal_id": "` + deal + `", "title": "Call", "id": "` + uuid.NewString() + `"}`, "validation_failed", "id"},
		{"is_done is not settable on create", `{"deal_id": "` + deal + `", "title": "Call", "is_done": true}`, "validation_failed", "is_done"},
		{"completed_at is read-only", `{"deal_id": "` + deal + `", "title": "Call", "completed_at": "2026-01-01T00:00:00Z"}`, "validation_failed", "completed_at"},
		{"array body", `[]`, "validation_failed", ""},
		{"malformed JSON", `{"deal_id": `, "malformed_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := app.Client.CreateTaskWithBodyWithResponse(context.Background(), "application/json",
				strings.NewReader(tc.body), ada.In(ada.OrgID)...)
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	t.Cleanup(func() { assert.Equal(t, 0, tkCountTasks(t, app, ada.OrgID), "nothing was created") })
}

func TestTasks_CreateAcceptsTheLongestTitleAndDescription(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	title, desc := strings.Repeat("т", 200), strings.Repeat("д", 5000) // characters, not bytes
	task := tkNew(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: title, Description: &desc})
	assert.Equal(t, title, task.Title)
	assert.Equal(t, desc, task.Description.MustGet())
}

func TestTasks_CreateOnUnknownOrForeignDealIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	foreignBefore := tkCountTasks(t, f.app, f.outsider.OrgID)
	var first map[string]any
	for name, deal := range map[string]uuid.UUID{"unknown": uuid.New(), "foreign": f.foreignDeal.Id} {
		for _, role := range tkRoles {
			res := tkCreate(t, f.app, f.as(role), f.org, client.TaskCreate{DealId: deal, Title: "Sneaky"})
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
			assert.Equal(t, []string{"deal_id"}, fieldsOf(p), "%s as %s", name, role)
			body := withoutRequestID(t, res.Body)
			if first == nil {
				first = body
			}
			assert.Equal(t, first, body, "%s deal as %s answers like any other", name, role)
		}
	}
	assert.Equal(t, 0, tkCountTasks(t, f.app, f.org))
	assert.Equal(t, foreignBefore, tkCountTasks(t, f.app, f.outsider.OrgID), "nothing was written into the other organization")
	assert.Equal(t, []client.ActivityType{client.TaskCreated, client.DealCreated},
		tkTypes(tkTimeline(t, f.app, f.outsider, f.outsider.OrgID, f.foreignDeal.Id, nil).Items))
}

func TestTasks_CreateRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	tests := []struct {
		role                           client.Role
		ownDeal, othersDeal, assignOwn int
	}{
		{client.RoleOwner, http.StatusCreated, http.StatusCreated, http.StatusCreated},
		{client.RoleAdmin, http.StatusCreated, http.StatusCreated, http.StatusCreated},
		{client.RoleManager, http.StatusCreated, http.StatusCreated, http.StatusCreated},
		{client.RoleMember, http.StatusCreated, http.StatusForbidden, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			t.Parallel()
			u := f.as(tc.role)
			check := func(what string, res *client.CreateTaskResponse, status int, wantOwner uuid.UUID) {
				t.Helper()
				if status == http.StatusCreated {
					require.Equal(t, status, res.StatusCode(), "%s: %s", what, res.Body)
					assert.Equal(t, wantOwner, res.JSON201.OwnerId, what)
					return
				}
				problemOf(t, res.HTTPResponse, res.Body, status, "forbidden")
			}
			check("own deal", tkCreate(t, f.app, u, f.org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "On my deal"}), tc.ownDeal, u.ID)
			check("another's deal", tkCreate(t, f.app, u, f.org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "On member2's deal"}), tc.othersDeal, u.ID)
			check("assign to member2", tkCreate(t, f.app, u, f.org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "For member2", OwnerId: &f.member2.ID}), tc.assignOwn, f.member2.ID)
			// Naming oneself as owner is not an assignment.
			check("assign to self", tkCreate(t, f.app, u, f.org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "Mine", OwnerId: &u.ID}), http.StatusCreated, u.ID)
		})
	}
	t.Cleanup(func() {
		// The refused attempts wrote nothing: member2's deal has the three allowed tasks only.
		list := tkList(t, f.app, f.owner, f.org, client.ListTasksParams{DealId: &f.member2Deal.Id})
		assert.EqualValues(t, 3, list.Total)
		assert.Len(t, tkTimeline(t, f.app, f.owner, f.org, f.member2Deal.Id, tkPtr(client.TaskCreated)).Items, 3)
		assigned := tkList(t, f.app, f.owner, f.org, client.ListTasksParams{OwnerId: &f.member2.ID})
		assert.EqualValues(t, 3, assigned.Total, "only the three managers-and-above assignments")
	})
}

func TestTasks_CreateAssigningANonMemberIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	var first map[string]any
	for name, owner := range map[string]uuid.UUID{"unknown user": uuid.New(), "user of another organization": f.outsider.ID} {
		res := tkCreate(t, f.app, f.manager, f.org, client.TaskCreate{DealId: f.deal[client.RoleManager].Id, Title: "Who?", OwnerId: &owner})
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"owner_id"}, fieldsOf(p), name)
		if first == nil {
			first = withoutRequestID(t, res.Body)
		}
		assert.Equal(t, first, withoutRequestID(t, res.Body), name)
	}
	assert.Equal(t, 0, tkCountTasks(t, f.app, f.org))
}

// ---- the due-date rule ----

func TestTasks_DueDateTodayIsAcceptedAndYesterdayIsInThePast(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada") // organizations start in UTC
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	var today, yesterday, tomorrow *client.CreateTaskResponse
	tkStableDay(t, []string{"UTC"}, func(d map[string]openapi_types.Date) {
		today = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Today", DueDate: tkPtr(d["UTC"])})
		yesterday = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Yesterday", DueDate: tkPtr(tkAddDays(d["UTC"], -1))})
		tomorrow = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Tomorrow", DueDate: tkPtr(tkAddDays(d["UTC"], 1))})
	})
	assert.Equal(t, http.StatusCreated, today.StatusCode(), "body: %s", today.Body)
	assert.Equal(t, http.StatusCreated, tomorrow.StatusCode(), "body: %s", tomorrow.Body)
	problemOf(t, yesterday.HTTPResponse, yesterday.Body, http.StatusBadRequest, "due_date_in_past")
	long := tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Ages ago", DueDate: tkPtr(tkDay(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)))})
	problemOf(t, long.HTTPResponse, long.Body, http.StatusBadRequest, "due_date_in_past")

	// The same rule for a new due date on PATCH.
	task := tkNew(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Movable"})
	var toYesterday, toToday *client.UpdateTaskResponse
	tkStableDay(t, []string{"UTC"}, func(d map[string]openapi_types.Date) {
		toYesterday = tkUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(tkAddDays(d["UTC"], -1))})
		toToday = tkUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(d["UTC"])})
	})
	problemOf(t, toYesterday.HTTPResponse, toYesterday.Body, http.StatusBadRequest, "due_date_in_past")
	require.Equal(t, http.StatusOK, toToday.StatusCode(), "body: %s", toToday.Body)
}

func TestTasks_DueDateIsJudgedInTheOrganizationsTimeZone(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	deal := f.deal[client.RoleOwner].Id
	create := func(title string, due openapi_types.Date) *client.CreateTaskResponse {
		return tkCreate(t, f.app, f.owner, f.org, client.TaskCreate{DealId: deal, Title: title, DueDate: &due})
	}
	const kiri, pago = "Pacific/Kiritimati", "Pacific/Pago_Pago" // UTC+14 and UTC-11
	zones := []string{"UTC", kiri, pago}

	// Kiritimati is a day ahead of UTC from 10:00 UTC on: UTC's today is then already past.
	f.settings(t, client.OrganizationSettingsUpdate{Timezone: tkPtr(kiri)})
	var kToday, kYesterday, kUTC *client.CreateTaskResponse
	var days map[string]openapi_types.Date
	tkStableDay(t, zones, func(d map[string]openapi_types.Date) {
		days = d
		kToday = create("Kiritimati today", d[kiri])
		kYesterday = create("Kiritimati yesterday", tkAddDays(d[kiri], -1))
		kUTC = create("UTC today in Kiritimati", d["UTC"])
	})
	require.Equal(t, http.StatusCreated, kToday.StatusCode(), "today in the organization's zone: %s", kToday.Body)
	assert.Equal(t, days[kiri].String(), kToday.JSON201.DueDate.MustGet().String())
	problemOf(t, kYesterday.HTTPResponse, kYesterday.Body, http.StatusBadRequest, "due_date_in_past")
	if days[kiri] == days["UTC"] {
		assert.Equal(t, http.StatusCreated, kUTC.StatusCode(), "body: %s", kUTC.Body)
	} else {
		problemOf(t, kUTC.HTTPResponse, kUTC.Body, http.StatusBadRequest, "due_date_in_past")
	}

	// Pago Pago is a day behind UTC until 11:00 UTC: its today may be UTC's yesterday, and UTC's
	// today is never past there.
	f.settings(t, client.OrganizationSettingsUpdate{Timezone: tkPtr(pago)})
	var pToday, pYesterday, pUTC, pKiri *client.CreateTaskResponse
	tkStableDay(t, zones, func(d map[string]openapi_types.Date) {
		days = d
		pToday = create("Pago Pago today", d[pago])
		pYesterday = create("Pago Pago yesterday", tkAddDays(d[pago], -1))
		pUTC = create("UTC today in Pago Pago", d["UTC"])
		pKiri = create("Kiritimati today in Pago Pago", d[kiri])
	})
	require.Equal(t, http.StatusCreated, pToday.StatusCode(), "today in the organization's zone: %s", pToday.Body)
	problemOf(t, pYesterday.HTTPResponse, pYesterday.Body, http.StatusBadRequest, "due_date_in_past")
	assert.Equal(t, http.StatusCreated, pUTC.StatusCode(), "body: %s", pUTC.Body)
	assert.Equal(t, http.StatusCreated, pKiri.StatusCode(), "body: %s", pKiri.Body)

	// The two zones are 25 hours apart, so Pago Pago's today is ALWAYS past in Kiritimati.
	old := *pToday.JSON201
	f.settings(t, client.OrganizationSettingsUpdate{Timezone: tkPtr(kiri)})
	again := create("Pago Pago's today, judged in Kiritimati", old.DueDate.MustGet())
	problemOf(t, again.HTTPResponse, again.Body, http.StatusBadRequest, "due_date_in_past")

	// The rule applies to a NEW due date only: a task whose date has since passed stays editable,
	// and restating its date is not a change.
	renamed := tkMustUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{Title: tkPtr("Renamed")})
	assert.Equal(t, old.DueDate.MustGet().String(), renamed.DueDate.MustGet().String())
	done := tkMustUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{IsDone: tkPtr(true)})
	assert.True(t, done.IsDone)
	same := tkMustUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(old.DueDate.MustGet())})
	assert.Equal(t, old.DueDate.MustGet().String(), same.DueDate.MustGet().String())
	earlier := tkUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(tkAddDays(old.DueDate.MustGet(), -1))})
	problemOf(t, earlier.HTTPResponse, earlier.Body, http.StatusBadRequest, "due_date_in_past")
	cleared := tkMustUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullNullable[openapi_types.Date]()})
	assert.True(t, cleared.DueDate.IsNull())
	back := tkUpdate(t, f.app, f.owner, f.org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(old.DueDate.MustGet())})
	problemOf(t, back.HTTPResponse, back.Body, http.StatusBadRequest, "due_date_in_past")
	assert.True(t, tkMustGet(t, f.app, f.owner, f.org, old.Id).DueDate.IsNull(), "the refused change changed nothing")
}

// ---- GET /tasks/{id} ----

func TestTasks_GetIsAllowedForEveryRole(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.member2, f.org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
	for _, role := range tkRoles {
		got := tkMustGet(t, f.app, f.as(role), f.org, task.Id)
		assert.Equal(t, task, got, string(role))
	}
}

func TestTasks_GetUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	unknown := tkGet(t, f.app, f.owner, f.org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkGet(t, f.app, f.owner, f.org, f.foreignTask.Id)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))
	assert.NotContains(t, string(foreign.Body), "Foreign task")
}

func TestTasks_MalformedTaskIDIsBadRequest(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		for _, id := range []string{"not-a-uuid", "1234", uuid.NewString() + "0"} {
			r := tkRawRequest{method: method, path: "/api/v1/tasks/" + id, user: &f.owner, org: f.org}
			if method == http.MethodPatch {
				r.contentType, r.body = "application/json", []byte(`{"title": "x"}`)
			}
			res, body := tkRaw(t, f.app, r)
			problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
		}
	}
}

// ---- GET /tasks ----

func TestTasks_ListFiltersOrdersAndPages(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	today := tkToday(t, "UTC")
	dealA, dealB := f.deal[client.RoleOwner].Id, f.deal[client.RoleAdmin].Id
	mk := func(u apptest.User, deal uuid.UUID, title string, in *int, owner *uuid.UUID) client.Task {
		body := client.TaskCreate{DealId: deal, Title: title, OwnerId: owner}
		if in != nil {
			body.DueDate = tkPtr(tkAddDays(today, *in))
		}
		return tkNew(t, f.app, u, f.org, body)
	}
	t1 := mk(f.owner, dealA, "in five days", tkPtr(5), nil)
	t2 := mk(f.owner, dealA, "tomorrow, member's", tkPtr(1), &f.member.ID)
	t3 := mk(f.admin, dealB, "no due date", nil, nil)
	t4 := mk(f.admin, dealB, "in three days", tkPtr(3), nil)
	t5 := mk(f.owner, dealA, "also in three days", tkPtr(3), nil)
	tkMustUpdate(t, f.app, f.admin, f.org, t4.Id, client.TaskUpdate{IsDone: tkPtr(true)})
	// Ties on the due date are ordered by id.
	mid := []uuid.UUID{t4.Id, t5.Id}
	sort.Slice(mid, func(i, j int) bool { return mid[i].String() < mid[j].String() })
	all := []uuid.UUID{t2.Id, mid[0], mid[1], t1.Id, t3.Id}

	list := tkList(t, f.app, f.member, f.org, client.ListTasksParams{})
	assert.Equal(t, all, tkIDs(list.Items), "by due date, tasks without one last, then id")
	assert.EqualValues(t, 5, list.Total)
	assert.EqualValues(t, 1, list.Page)
	assert.EqualValues(t, 20, list.PageSize)
	assert.NotContains(t, tkIDs(list.Items), f.foreignTask.Id)

	d := func(n int) *openapi_types.Date { return tkPtr(tkAddDays(today, n)) }
	tests := []struct {
		name string
		p    client.ListTasksParams
		want []uuid.UUID
	}{
		{"deal", client.ListTasksParams{DealId: &dealA}, []uuid.UUID{t2.Id, t5.Id, t1.Id}},
		{"owner", client.ListTasksParams{OwnerId: &f.member.ID}, []uuid.UUID{t2.Id}},
		{"owner and deal", client.ListTasksParams{OwnerId: &f.admin.ID, DealId: &dealB}, []uuid.UUID{t4.Id, t3.Id}},
		{"only open", client.ListTasksParams{OnlyOpen: tkPtr(true)}, []uuid.UUID{t2.Id, t5.Id, t1.Id, t3.Id}},
		{"only_open=false is everything", client.ListTasksParams{OnlyOpen: tkPtr(false)}, all},
		{"due before, inclusive", client.ListTasksParams{DueBefore: d(3)}, []uuid.UUID{t2.Id, mid[0], mid[1]}},
		{"due after, inclusive", client.ListTasksParams{DueAfter: d(3)}, []uuid.UUID{mid[0], mid[1], t1.Id}},
		{"one day window", client.ListTasksParams{DueAfter: d(3), DueBefore: d(3)}, mid},
		{"empty window", client.ListTasksParams{DueAfter: d(4), DueBefore: d(2)}, []uuid.UUID{}},
		{"open on deal A due by day five", client.ListTasksParams{DealId: &dealA, OnlyOpen: tkPtr(true), DueBefore: d(5)}, []uuid.UUID{t2.Id, t5.Id, t1.Id}},
		{"deal of another organization", client.ListTasksParams{DealId: &f.foreignDeal.Id}, []uuid.UUID{}},
		{"unknown deal", client.ListTasksParams{DealId: tkPtr(uuid.New())}, []uuid.UUID{}},
		{"owner from another organization", client.ListTasksParams{OwnerId: &f.outsider.ID}, []uuid.UUID{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tkList(t, f.app, f.manager, f.org, tc.p)
			assert.Equal(t, tc.want, tkIDs(got.Items))
			assert.EqualValues(t, len(tc.want), got.Total)
		})
	}

	// Pages.
	pages := [][]uuid.UUID{}
	for page := int32(1); page <= 4; page++ {
		got := tkList(t, f.app, f.owner, f.org, client.ListTasksParams{Page: &page, PageSize: tkPtr(int32(2))})
		assert.EqualValues(t, 5, got.Total, "page %d knows the total", page)
		assert.Equal(t, page, got.Page)
		assert.EqualValues(t, 2, got.PageSize)
		pages = append(pages, tkIDs(got.Items))
	}
	assert.Equal(t, [][]uuid.UUID{all[0:2], all[2:4], all[4:5], {}}, pages)
	last := tkList(t, f.app, f.owner, f.org, client.ListTasksParams{PageSize: tkPtr(int32(100))})
	assert.Len(t, last.Items, 5)
}

func TestTasks_ListOwnerFilterByRole(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "owner's"})
	mine := tkNew(t, f.app, f.member, f.org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "member's"})
	for _, role := range tkRoles {
		u := f.as(role)
		res, err := f.app.Client.ListTasksWithResponse(context.Background(), &client.ListTasksParams{OwnerId: &f.owner.ID}, u.In(f.org)...)
		require.NoError(t, err)
		if role == client.RoleMember {
			problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		} else {
			require.Equal(t, http.StatusOK, res.StatusCode(), "%s: %s", role, res.Body)
			assert.EqualValues(t, 1, res.JSON200.Total)
		}
	}
	own := tkList(t, f.app, f.member, f.org, client.ListTasksParams{OwnerId: &f.member.ID})
	assert.Equal(t, []uuid.UUID{mine.Id}, tkIDs(own.Items), "a member may filter by their own id")
}

func TestTasks_ListRejectsInvalidParameters(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	for _, q := range []string{
		"page=0", "page=-1", "page=x", "page_size=0", "page_size=101", "page_size=x",
		"deal_id=nope", "owner_id=nope", "only_open=maybe", "due_before=yesterday", "due_after=2026-13-01",
	} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			res, body := tkRaw(t, f.app, tkRawRequest{method: http.MethodGet, path: "/api/v1/tasks?" + q, user: &f.owner, org: f.org})
			problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
		})
	}
}

// ---- members_see_all=false ----

func TestTasks_MembersSeeOnlyTheirOwnTasksWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	ownerTask := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "owner's"})
	memberTask := tkNew(t, f.app, f.member, f.org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "member's"})
	assigned := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "for member", OwnerId: &f.member.ID})
	other := tkNew(t, f.app, f.member2, f.org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
	f.settings(t, client.OrganizationSettingsUpdate{MembersSeeAll: tkPtr(false)})

	list := tkList(t, f.app, f.member, f.org, client.ListTasksParams{})
	assert.ElementsMatch(t, []uuid.UUID{memberTask.Id, assigned.Id}, tkIDs(list.Items))
	assert.EqualValues(t, 2, list.Total)
	onOwnersDeal := tkList(t, f.app, f.member, f.org, client.ListTasksParams{DealId: tkPtr(f.deal[client.RoleOwner].Id)})
	assert.Equal(t, []uuid.UUID{assigned.Id}, tkIDs(onOwnersDeal.Items))
	res, err := f.app.Client.ListTasksWithResponse(context.Background(), &client.ListTasksParams{OwnerId: &f.member2.ID}, f.member.In(f.org)...)
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	assert.EqualValues(t, 4, tkList(t, f.app, f.manager, f.org, client.ListTasksParams{}).Total, "managers still see everything")

	// Someone else's task answers exactly like a missing one, for every operation.
	missing := tkGet(t, f.app, f.member, f.org, uuid.New())
	want := withoutRequestID(t, missing.Body)
	for _, id := range []uuid.UUID{ownerTask.Id, other.Id} {
		get := tkGet(t, f.app, f.member, f.org, id)
		problemOf(t, get.HTTPResponse, get.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, get.Body))
		upd := tkUpdate(t, f.app, f.member, f.org, id, client.TaskUpdate{Title: tkPtr("mine now")})
		problemOf(t, upd.HTTPResponse, upd.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, upd.Body))
		del := tkDelete(t, f.app, f.member, f.org, id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, del.Body))
	}
	assert.Equal(t, "owner's", tkMustGet(t, f.app, f.owner, f.org, ownerTask.Id).Title)
	assert.Equal(t, "member2's", tkMustGet(t, f.app, f.owner, f.org, other.Id).Title)

	// The member's own tasks, wherever they are, stay fully usable.
	assert.Equal(t, assigned, tkMustGet(t, f.app, f.member, f.org, assigned.Id))
	tkMustUpdate(t, f.app, f.member, f.org, assigned.Id, client.TaskUpdate{IsDone: tkPtr(true)})

	// An invisible deal is not a valid reference, exactly like an unknown one.
	hidden := tkCreate(t, f.app, f.member, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "sneaky"})
	problemOf(t, hidden.HTTPResponse, hidden.Body, http.StatusBadRequest, "invalid_reference")
	unknown := tkCreate(t, f.app, f.member, f.org, client.TaskCreate{DealId: uuid.New(), Title: "sneaky"})
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, hidden.Body))
	tkNew(t, f.app, f.member, f.org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "on my own deal"})
}

// ---- PATCH /tasks/{id} ----

func TestTasks_UpdateChangesOnlyTheGivenFields(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	due := tkAddDays(tkToday(t, "UTC"), 10)
	task := tkNew(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Call", Description: tkPtr("About the gears."), DueDate: &due})

	got := tkMustUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{Title: tkPtr("Call back")})
	assert.Equal(t, "Call back", got.Title)
	assert.Equal(t, "About the gears.", got.Description.MustGet())
	assert.Equal(t, due.String(), got.DueDate.MustGet().String())
	assert.Equal(t, task.CreatedAt, got.CreatedAt)
	assert.False(t, got.UpdatedAt.Before(task.UpdatedAt))

	later := tkAddDays(due, 5)
	got = tkMustUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{
		Description: nullable.NewNullableWithValue("New notes"), DueDate: nullable.NewNullableWithValue(later),
	})
	assert.Equal(t, "Call back", got.Title)
	assert.Equal(t, "New notes", got.Description.MustGet())
	assert.Equal(t, later.String(), got.DueDate.MustGet().String())

	// null clears; absent keeps.
	got = tkMustUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{Description: nullable.NewNullNullable[string]()})
	assert.True(t, got.Description.IsNull())
	assert.Equal(t, later.String(), got.DueDate.MustGet().String())
	got = tkMustUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{DueDate: nullable.NewNullNullable[openapi_types.Date]()})
	assert.True(t, got.DueDate.IsNull())
	assert.True(t, got.Description.IsNull())
	assert.Equal(t, got, tkMustGet(t, app, ada, ada.OrgID, task.Id))

	// Raw JSON nulls too.
	res, err := app.Client.UpdateTaskWithBodyWithResponse(context.Background(), task.Id, "application/json",
		strings.NewReader(`{"description": "again", "due_date": null}`), ada.In(ada.OrgID)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, "again", res.JSON200.Description.MustGet())
	assert.True(t, res.JSON200.DueDate.IsNull())
}

func TestTasks_CompletingWritesTaskCompletedAndReopeningClearsCompletedAt(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	deal := f.deal[client.RoleMember].Id
	task := tkNew(t, f.app, f.member, f.org, client.TaskCreate{DealId: deal, Title: "Send the proposal"})

	before := time.Now().Add(-time.Minute)
	done := tkMustUpdate(t, f.app, f.member, f.org, task.Id, client.TaskUpdate{IsDone: tkPtr(true)})
	assert.True(t, done.IsDone)
	completedAt := done.CompletedAt.MustGet()
	assert.True(t, completedAt.After(before) && completedAt.Before(time.Now().Add(time.Minute)), "completed_at %s", completedAt)

	tl := tkTimeline(t, f.app, f.owner, f.org, deal, nil)
	require.Equal(t, []client.ActivityType{client.TaskCompleted, client.TaskCreated, client.DealCreated}, tkTypes(tl.Items),
		"newest first: task_created then task_completed")
	payload := map[string]interface{}{"task_id": task.Id.String(), "title": "Send the proposal"}
	assert.Equal(t, payload, tl.Items[0].Payload)
	assert.Equal(t, payload, tl.Items[1].Payload)
	assert.Equal(t, f.member.ID, tl.Items[0].AuthorId.MustGet())
	assert.True(t, tl.Items[0].CreatedAt.After(tl.Items[1].CreatedAt))

	// Completing a completed task again changes nothing and writes nothing.
	again := tkMustUpdate(t, f.app, f.member, f.org, task.Id, client.TaskUpdate{IsDone: tkPtr(true)})
	assert.True(t, again.IsDone)
	assert.True(t, again.CompletedAt.MustGet().Equal(completedAt))
	assert.Len(t, tkTimeline(t, f.app, f.owner, f.org, deal, nil).Items, 3)

	// Reopening clears completed_at and writes no event.
	open := tkMustUpdate(t, f.app, f.member, f.org, task.Id, client.TaskUpdate{IsDone: tkPtr(false)})
	assert.False(t, open.IsDone)
	assert.True(t, open.CompletedAt.IsNull())
	assert.Len(t, tkTimeline(t, f.app, f.owner, f.org, deal, nil).Items, 3)
	assert.EqualValues(t, 1, tkList(t, f.app, f.owner, f.org, client.ListTasksParams{OnlyOpen: tkPtr(true)}).Total)

	// A manager completes it again (with a new title in the same change): the event names the new title.
	re := tkMustUpdate(t, f.app, f.manager, f.org, task.Id, client.TaskUpdate{IsDone: tkPtr(true), Title: tkPtr("Proposal sent")})
	assert.True(t, re.CompletedAt.MustGet().After(completedAt))
	tl = tkTimeline(t, f.app, f.owner, f.org, deal, tkPtr(client.TaskCompleted))
	require.Len(t, tl.Items, 2)
	assert.Equal(t, f.manager.ID, tl.Items[0].AuthorId.MustGet())
	assert.Equal(t, "Proposal sent", tl.Items[0].Payload["title"])
	assert.EqualValues(t, 0, tkList(t, f.app, f.owner, f.org, client.ListTasksParams{OnlyOpen: tkPtr(true)}).Total)
}

func TestTasks_UpdateRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	tests := []struct {
		role                          client.Role
		editOwn, editOthers, reassign int
	}{
		{client.RoleOwner, http.StatusOK, http.StatusOK, http.StatusOK},
		{client.RoleAdmin, http.StatusOK, http.StatusOK, http.StatusOK},
		{client.RoleManager, http.StatusOK, http.StatusOK, http.StatusOK},
		{client.RoleMember, http.StatusOK, http.StatusForbidden, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			t.Parallel()
			u := f.as(tc.role)
			own := tkNew(t, f.app, u, f.org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "mine"})
			others := tkNew(t, f.app, f.member2, f.org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
			check := func(what string, res *client.UpdateTaskResponse, status int) {
				t.Helper()
				if status == http.StatusOK {
					require.Equal(t, status, res.StatusCode(), "%s: %s", what, res.Body)
					return
				}
				problemOf(t, res.HTTPResponse, res.Body, status, "forbidden")
			}
			check("edit own", tkUpdate(t, f.app, u, f.org, own.Id, client.TaskUpdate{Title: tkPtr("mine, edited")}), tc.editOwn)
			check("complete own", tkUpdate(t, f.app, u, f.org, own.Id, client.TaskUpdate{IsDone: tkPtr(true)}), tc.editOwn)
			check("edit another's", tkUpdate(t, f.app, u, f.org, others.Id, client.TaskUpdate{Title: tkPtr("taken over")}), tc.editOthers)
			check("complete another's", tkUpdate(t, f.app, u, f.org, others.Id, client.TaskUpdate{IsDone: tkPtr(true)}), tc.editOthers)
			check("reassign own", tkUpdate(t, f.app, u, f.org, own.Id, client.TaskUpdate{OwnerId: &f.member2.ID}), tc.reassign)
			check("restate another's owner", tkUpdate(t, f.app, u, f.org, others.Id, client.TaskUpdate{OwnerId: &others.OwnerId}), tc.editOthers)

			gotOwn := tkMustGet(t, f.app, f.owner, f.org, own.Id)
			gotOthers := tkMustGet(t, f.app, f.owner, f.org, others.Id)
			assert.Equal(t, "mine, edited", gotOwn.Title)
			if tc.reassign == http.StatusOK {
				assert.Equal(t, f.member2.ID, gotOwn.OwnerId)
			} else {
				assert.Equal(t, u.ID, gotOwn.OwnerId, "the refused reassignment changed nothing")
			}
			if tc.editOthers == http.StatusOK {
				assert.Equal(t, "taken over", gotOthers.Title)
				assert.True(t, gotOthers.IsDone)
			} else {
				assert.Equal(t, others, gotOthers, "the refused edits changed nothing")
			}
		})
	}
	t.Cleanup(func() {
		assert.Len(t, tkTimeline(t, f.app, f.owner, f.org, f.member2Deal.Id, tkPtr(client.TaskCompleted)).Items, 3,
			"only the three allowed completions reached member2's timeline")
	})
}

func TestTasks_ReassignToANonMemberIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.manager, f.org, client.TaskCreate{DealId: f.deal[client.RoleManager].Id, Title: "mine"})
	var first map[string]any
	for name, owner := range map[string]uuid.UUID{"unknown user": uuid.New(), "user of another organization": f.outsider.ID} {
		res := tkUpdate(t, f.app, f.manager, f.org, task.Id, client.TaskUpdate{OwnerId: &owner, Title: tkPtr("changed")})
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"owner_id"}, fieldsOf(p), name)
		if first == nil {
			first = withoutRequestID(t, res.Body)
		}
		assert.Equal(t, first, withoutRequestID(t, res.Body), name)
	}
	assert.Equal(t, task, tkMustGet(t, f.app, f.owner, f.org, task.Id), "nothing changed")
	// A manager hands it to a member, who may then edit it.
	moved := tkMustUpdate(t, f.app, f.manager, f.org, task.Id, client.TaskUpdate{OwnerId: &f.member.ID})
	assert.Equal(t, f.member.ID, moved.OwnerId)
	tkMustUpdate(t, f.app, f.member, f.org, task.Id, client.TaskUpdate{Title: tkPtr("mine now")})
}

func TestTasks_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "Call"})
	tests := []struct {
		name, body, code, field string
	}{
		{"empty object", `{}`, "validation_failed", ""},
		{"empty title", `{"title": ""}`, "validation_failed", "title"},
		{"title null", `{"title": null}`, "validation_failed", "title"},
		{"title over 200 characters", `{"title": "` + strings.Repeat("t", 201) + `"}`, "validation_failed", "title"},
		{"description over 5000 characters", `{"description": "` + strings.Repeat("d", 5001) + `"}`, "validation_failed", "description"},
		{"due_date not a date", `{"due_date": "soon"}`, "validation_failed", "due_date"},
		{"is_done null", `{"is_done": null}`, "validation_failed", "is_done"},
		{"is_done not a boolean", `{"is_done": "yes"}`, "validation_failed", "is_done"},
		{"owner_id null", `{"owner_id": null}`, "validation_failed", "owner_id"},
		{"owner_id not a uuid", `{"owner_id": "boss"}`, "validation_failed", "owner_id"},
		{"deal_id cannot change", `{"deal_id": "` + f.deal[client.RoleAdmin].Id.String() + `"}`, "validation_failed", "deal_id"},
		{"read-only id", `{"id": "` + uuid.NewString() + `"}`, "validation_failed", "id"},
		{"read-only completed_at", `{"completed_at": "2026-01-01T00:00:00Z"}`, "validation_failed", "completed_at"},
		{"unknown field", `{"title": "x", "priority": 1}`, "validation_failed", "priority"},
		{"malformed JSON", `{"title": `, "malformed_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := f.app.Client.UpdateTaskWithBodyWithResponse(context.Background(), task.Id, "application/json",
				strings.NewReader(tc.body), f.owner.In(f.org)...)
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	t.Cleanup(func() { assert.Equal(t, task, tkMustGet(t, f.app, f.owner, f.org, task.Id), "nothing changed") })
}

func TestTasks_UpdateUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	body := client.TaskUpdate{Title: tkPtr("hijacked"), IsDone: tkPtr(true), OwnerId: &f.owner.ID}
	unknown := tkUpdate(t, f.app, f.owner, f.org, uuid.New(), body)
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkUpdate(t, f.app, f.owner, f.org, f.foreignTask.Id, body)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))

	assert.Equal(t, f.foreignTask, tkMustGet(t, f.app, f.outsider, f.outsider.OrgID, f.foreignTask.Id), "the foreign task is unchanged")
	assert.Equal(t, []client.ActivityType{client.TaskCreated, client.DealCreated},
		tkTypes(tkTimeline(t, f.app, f.outsider, f.outsider.OrgID, f.foreignDeal.Id, nil).Items), "and so is its timeline")
}

// ---- DELETE /tasks/{id} ----

func TestTasks_DeleteRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	for _, role := range tkRoles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			u := f.as(role)
			own := tkNew(t, f.app, u, f.org, client.TaskCreate{DealId: f.deal[role].Id, Title: "mine"})
			others := tkNew(t, f.app, f.member2, f.org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})

			res := tkDelete(t, f.app, u, f.org, own.Id)
			require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
			assert.Empty(t, res.Body)
			gone := tkGet(t, f.app, f.owner, f.org, own.Id)
			problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
			again := tkDelete(t, f.app, u, f.org, own.Id)
			problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")

			res = tkDelete(t, f.app, u, f.org, others.Id)
			if role == client.RoleMember {
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
				assert.Equal(t, others, tkMustGet(t, f.app, f.owner, f.org, others.Id), "still there")
			} else {
				require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
				gone := tkGet(t, f.app, f.owner, f.org, others.Id)
				problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
			}
		})
	}
}

func TestTasks_DeleteUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	unknown := tkDelete(t, f.app, f.owner, f.org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkDelete(t, f.app, f.owner, f.org, f.foreignTask.Id)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))
	assert.Equal(t, f.foreignTask, tkMustGet(t, f.app, f.outsider, f.outsider.OrgID, f.foreignTask.Id), "the foreign task survives")
}

func TestTasks_DeletingTheDealDeletesItsTasks(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "doomed"})
	kept := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleAdmin].Id, Title: "kept"})
	res, err := f.app.Client.DeleteDealWithResponse(context.Background(), f.deal[client.RoleOwner].Id, f.owner.In(f.org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	gone := tkGet(t, f.app, f.owner, f.org, task.Id)
	problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, []uuid.UUID{kept.Id}, tkIDs(tkList(t, f.app, f.owner, f.org, client.ListTasksParams{}).Items))
	// The deleted deal is no longer a valid reference.
	again := tkCreate(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "late"})
	problemOf(t, again.HTTPResponse, again.Body, http.StatusBadRequest, "invalid_reference")
}

// ---- authentication, tenancy header, body limits: every task operation ----

// tkOperations are the task operations as raw requests, with a valid body where they take one.
func tkOperations(f *tkFixture, task uuid.UUID) []tkRawRequest {
	create := map[string]any{"deal_id": f.deal[client.RoleOwner].Id, "title": "Call"}
	b, _ := json.Marshal(create)
	return []tkRawRequest{
		{method: http.MethodGet, path: "/api/v1/tasks"},
		{method: http.MethodPost, path: "/api/v1/tasks", contentType: "application/json", body: b},
		{method: http.MethodGet, path: "/api/v1/tasks/" + task.String()},
		{method: http.MethodPatch, path: "/api/v1/tasks/" + task.String(), contentType: "application/json", body: []byte(`{"title": "changed"}`)},
		{method: http.MethodDelete, path: "/api/v1/tasks/" + task.String()},
	}
}

func TestTasks_EveryOperationNeedsAToken(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "Call"})
	for _, r := range tkOperations(f, task.Id) {
		for name, token := range map[string]string{"no token": "", "garbage token": "not-a-jwt"} {
			t.Run(r.method+" "+r.path+"/"+name, func(t *testing.T) {
				r := r
				r.org = f.org
				if token != "" {
					r.user = &apptest.User{Access: token}
				}
				res, body := tkRaw(t, f.app, r)
				problemOf(t, res, body, http.StatusUnauthorized, "unauthorized")
				assert.True(t, strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer"), res.Header.Get("WWW-Authenticate"))
			})
		}
	}
	assert.Equal(t, task, tkMustGet(t, f.app, f.owner, f.org, task.Id))
	assert.Equal(t, 1, tkCountTasks(t, f.app, f.org))
}

func TestTasks_EveryOperationRefusesAnOrganizationTheCallerIsNotIn(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "Call"})
	for _, r := range tkOperations(f, task.Id) {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			var first map[string]any
			// The outsider names this organization; the owner names the outsider's and an unknown one.
			for _, c := range []struct {
				u   apptest.User
				org uuid.UUID
			}{{f.outsider, f.org}, {f.owner, f.outsider.OrgID}, {f.owner, uuid.New()}} {
				r := r
				r.user, r.org = &c.u, c.org
				res, body := tkRaw(t, f.app, r)
				problemOf(t, res, body, http.StatusForbidden, "not_a_member")
				if first == nil {
					first = withoutRequestID(t, body)
				}
				assert.Equal(t, first, withoutRequestID(t, body))
			}
			// Without the header at all.
			r := r
			r.user = &f.owner
			res, body := tkRaw(t, f.app, r)
			problemOf(t, res, body, http.StatusBadRequest, "organization_header_required")
		})
	}
	assert.Equal(t, task, tkMustGet(t, f.app, f.owner, f.org, task.Id))
	assert.Equal(t, 1, tkCountTasks(t, f.app, f.org))
	assert.Equal(t, 1, tkCountTasks(t, f.app, f.outsider.OrgID))
}

func TestTasks_OversizedAndNonJSONBodiesAreRefused(t *testing.T) {
	t.Parallel()
	f := newTkFixture(t)
	task := tkNew(t, f.app, f.owner, f.org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "Call"})
	for _, r := range tkOperations(f, task.Id) {
		if r.body == nil {
			continue
		}
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			r.user, r.org = &f.owner, f.org
			var fields map[string]any
			require.NoError(t, json.Unmarshal(r.body, &fields))
			fields["description"] = strings.Repeat("x", 1<<20)
			big := r
			big.body = tkJSON(t, fields)
			res, body := tkRaw(t, f.app, big)
			problemOf(t, res, body, http.StatusRequestEntityTooLarge, "payload_too_large")

			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
				plain := r
				plain.contentType = ct
				res, body := tkRaw(t, f.app, plain)
				problemOf(t, res, body, http.StatusUnsupportedMediaType, "unsupported_media_type")
			}
		})
	}
	assert.Equal(t, task, tkMustGet(t, f.app, f.owner, f.org, task.Id))
	assert.Equal(t, 1, tkCountTasks(t, f.app, f.org))
}
