package httpapi_test

import (
	"encoding/json"
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

// tasksTeam is a team with a deal owned by each user of a role (and by the second member), and an
// outsider whose own organization holds a deal and a task of its own.
type tasksTeam struct {
	*apptest.Team
	deal        map[client.Role]client.Deal // owned by the user of that role
	member2Deal client.Deal
	foreignDeal client.Deal // in the outsider's organization
	foreignTask client.Task // on foreignDeal
}

func newTasksTeam(t *testing.T) *tasksTeam {
	t.Helper()
	f := &tasksTeam{Team: apptest.NewTeam(t, nil), deal: map[client.Role]client.Deal{}}
	for _, role := range apptest.Roles {
		f.deal[role] = f.App.NewDeal(t, f.As(t, role), f.Org, "Deal of "+string(role), "1500.00")
	}
	f.member2Deal = f.App.NewDeal(t, f.Member2(t), f.Org, "Deal of member2", "700.00")
	outsider := f.Outsider(t)
	f.foreignDeal = f.App.NewDeal(t, outsider, outsider.OrgID, "Foreign deal", "999.00")
	f.foreignTask = f.App.CreateTask(t, outsider, outsider.OrgID, client.TaskCreate{DealId: f.foreignDeal.Id, Title: "Foreign task"})
	return f
}

// tkDay is the calendar date of t as an API date.
func tkDay(t time.Time) openapi_types.Date {
	y, m, d := t.Date()
	return openapi_types.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// tkToday is today's date in the time zone tz.
func tkToday(t testing.TB, tz string) openapi_types.Date {
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
func tkStableDay(t testing.TB, zones []string, fn func(today map[string]openapi_types.Date)) {
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

func tkCreate(t testing.TB, app *apptest.App, u apptest.User, org uuid.UUID, body client.TaskCreate) *client.CreateTaskResponse {
	t.Helper()
	res, err := app.Client.CreateTaskWithResponse(t.Context(), body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkGet(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.GetTaskResponse {
	t.Helper()
	res, err := app.Client.GetTaskWithResponse(t.Context(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

// tkMustGet reads a task as the organization's owner (who sees everything).
func tkMustGet(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID) client.Task {
	t.Helper()
	res := tkGet(t, app, u, org, id)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkUpdate(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID, body client.TaskUpdate) *client.UpdateTaskResponse {
	t.Helper()
	res, err := app.Client.UpdateTaskWithResponse(t.Context(), id, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkMustUpdate(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID, body client.TaskUpdate) client.Task {
	t.Helper()
	res := tkUpdate(t, app, u, org, id, body)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func tkDelete(t testing.TB, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.DeleteTaskResponse {
	t.Helper()
	res, err := app.Client.DeleteTaskWithResponse(t.Context(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

func tkList(t testing.TB, app *apptest.App, u apptest.User, org uuid.UUID, p client.ListTasksParams) client.TaskList {
	t.Helper()
	res, err := app.Client.ListTasksWithResponse(t.Context(), &p, u.In(org)...)
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
func tkTimeline(t testing.TB, app *apptest.App, u apptest.User, org, deal uuid.UUID, typ *client.ActivityType) client.ActivityList {
	t.Helper()
	res, err := app.Client.ListActivitiesWithResponse(t.Context(), deal,
		&client.ListActivitiesParams{PageSize: apptest.Ptr(int32(100)), Type: typ}, u.In(org)...)
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

// tkCountTasks counts the rows of the tasks table of an organization, bypassing the API.
func tkCountTasks(t testing.TB, app *apptest.App, org uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(),
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
		DealId: deal.Id, Title: "Send the proposal", Description: apptest.Ptr("With the discount."), DueDate: &due,
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
	bare := app.CreateTask(t, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Call"})
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
	f := newTasksTeam(t)
	task := f.App.CreateTask(t, f.Manager(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "Follow up", OwnerId: apptest.Ptr(f.Member(t).ID)})

	tl := tkTimeline(t, f.App, f.Owner, f.Org, f.deal[client.RoleMember].Id, nil)
	require.Equal(t, []client.ActivityType{client.ActivityTypeTaskCreated, client.ActivityTypeDealCreated}, tkTypes(tl.Items))
	ev := tl.Items[0]
	assert.Equal(t, f.deal[client.RoleMember].Id, ev.DealId)
	assert.Equal(t, f.Manager(t).ID, ev.AuthorId.MustGet(), "the author is who created the task, not its owner")
	assert.Equal(t, map[string]interface{}{"task_id": task.Id.String(), "title": "Follow up"}, ev.Payload)
	assert.False(t, ev.CreatedAt.Before(task.CreatedAt.Add(-time.Second)))
	// Other deals' timelines are untouched.
	assert.Equal(t, []client.ActivityType{client.ActivityTypeDealCreated}, tkTypes(tkTimeline(t, f.App, f.Owner, f.Org, f.deal[client.RoleOwner].Id, nil).Items))
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
			res, err := app.Client.CreateTaskWithBodyWithResponse(t.Context(), "application/json",
				strings.NewReader(tc.body), ada.In(ada.OrgID)...)
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	apptest.Finally(t, func(t testing.TB) { assert.Equal(t, 0, tkCountTasks(t, app, ada.OrgID), "nothing was created") })
}

func TestTasks_CreateAcceptsTheLongestTitleAndDescription(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	title, desc := strings.Repeat("т", 200), strings.Repeat("д", 5000) // characters, not bytes
	task := app.CreateTask(t, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: title, Description: &desc})
	assert.Equal(t, title, task.Title)
	assert.Equal(t, desc, task.Description.MustGet())
}

func TestTasks_CreateOnUnknownOrForeignDealIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	foreignBefore := tkCountTasks(t, f.App, f.Outsider(t).OrgID)
	var first map[string]any
	for name, deal := range map[string]uuid.UUID{"unknown": uuid.New(), "foreign": f.foreignDeal.Id} {
		for _, role := range apptest.Roles {
			res := tkCreate(t, f.App, f.As(t, role), f.Org, client.TaskCreate{DealId: deal, Title: "Sneaky"})
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
			assert.Equal(t, []string{"deal_id"}, fieldsOf(p), "%s as %s", name, role)
			body := withoutRequestID(t, res.Body)
			if first == nil {
				first = body
			}
			assert.Equal(t, first, body, "%s deal as %s answers like any other", name, role)
		}
	}
	assert.Equal(t, 0, tkCountTasks(t, f.App, f.Org))
	assert.Equal(t, foreignBefore, tkCountTasks(t, f.App, f.Outsider(t).OrgID), "nothing was written into the other organization")
	assert.Equal(t, []client.ActivityType{client.ActivityTypeTaskCreated, client.ActivityTypeDealCreated},
		tkTypes(tkTimeline(t, f.App, f.Outsider(t), f.Outsider(t).OrgID, f.foreignDeal.Id, nil).Items))
}

func TestTasks_CreateRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
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
			u := f.As(t, tc.role)
			check := func(what string, res *client.CreateTaskResponse, status int, wantOwner uuid.UUID) {
				t.Helper()
				if status == http.StatusCreated {
					require.Equal(t, status, res.StatusCode(), "%s: %s", what, res.Body)
					assert.Equal(t, wantOwner, res.JSON201.OwnerId, what)
					return
				}
				problemOf(t, res.HTTPResponse, res.Body, status, "forbidden")
			}
			check("own deal", tkCreate(t, f.App, u, f.Org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "On my deal"}), tc.ownDeal, u.ID)
			check("another's deal", tkCreate(t, f.App, u, f.Org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "On member2's deal"}), tc.othersDeal, u.ID)
			check("assign to member2", tkCreate(t, f.App, u, f.Org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "For member2", OwnerId: apptest.Ptr(f.Member2(t).ID)}), tc.assignOwn, f.Member2(t).ID)
			// Naming oneself as owner is not an assignment.
			check("assign to self", tkCreate(t, f.App, u, f.Org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "Mine", OwnerId: &u.ID}), http.StatusCreated, u.ID)
		})
	}
	apptest.Finally(t, func(t testing.TB) {
		// The refused attempts wrote nothing: member2's deal has the three allowed tasks only.
		list := tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{DealId: &f.member2Deal.Id})
		assert.EqualValues(t, 3, list.Total)
		assert.Len(t, tkTimeline(t, f.App, f.Owner, f.Org, f.member2Deal.Id, apptest.Ptr(client.ActivityTypeTaskCreated)).Items, 3)
		assigned := tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{OwnerId: apptest.Ptr(f.Member2(t).ID)})
		assert.EqualValues(t, 3, assigned.Total, "only the three managers-and-above assignments")
	})
}

func TestTasks_CreateAssigningANonMemberIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	var first map[string]any
	for name, owner := range map[string]uuid.UUID{"unknown user": uuid.New(), "user of another organization": f.Outsider(t).ID} {
		res := tkCreate(t, f.App, f.Manager(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleManager].Id, Title: "Who?", OwnerId: &owner})
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"owner_id"}, fieldsOf(p), name)
		if first == nil {
			first = withoutRequestID(t, res.Body)
		}
		assert.Equal(t, first, withoutRequestID(t, res.Body), name)
	}
	assert.Equal(t, 0, tkCountTasks(t, f.App, f.Org))
}

// ---- the due-date rule ----

func TestTasks_DueDateTodayIsAcceptedAndYesterdayIsInThePast(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada") // organizations start in UTC
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	var today, yesterday, tomorrow *client.CreateTaskResponse
	tkStableDay(t, []string{"UTC"}, func(d map[string]openapi_types.Date) {
		today = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Today", DueDate: apptest.Ptr(d["UTC"])})
		yesterday = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Yesterday", DueDate: apptest.Ptr(tkAddDays(d["UTC"], -1))})
		tomorrow = tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Tomorrow", DueDate: apptest.Ptr(tkAddDays(d["UTC"], 1))})
	})
	assert.Equal(t, http.StatusCreated, today.StatusCode(), "body: %s", today.Body)
	assert.Equal(t, http.StatusCreated, tomorrow.StatusCode(), "body: %s", tomorrow.Body)
	problemOf(t, yesterday.HTTPResponse, yesterday.Body, http.StatusBadRequest, "due_date_in_past")
	long := tkCreate(t, app, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Ages ago", DueDate: apptest.Ptr(tkDay(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)))})
	problemOf(t, long.HTTPResponse, long.Body, http.StatusBadRequest, "due_date_in_past")

	// The same rule for a new due date on PATCH.
	task := app.CreateTask(t, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Movable"})
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
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner].Id
	create := func(title string, due openapi_types.Date) *client.CreateTaskResponse {
		return tkCreate(t, f.App, f.Owner, f.Org, client.TaskCreate{DealId: deal, Title: title, DueDate: &due})
	}
	const kiri, pago = "Pacific/Kiritimati", "Pacific/Pago_Pago" // UTC+14 and UTC-11
	zones := []string{"UTC", kiri, pago}

	// Kiritimati is a day ahead of UTC from 10:00 UTC on: UTC's today is then already past.
	f.Settings(t, client.OrganizationSettingsUpdate{Timezone: apptest.Ptr(kiri)})
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
	f.Settings(t, client.OrganizationSettingsUpdate{Timezone: apptest.Ptr(pago)})
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
	f.Settings(t, client.OrganizationSettingsUpdate{Timezone: apptest.Ptr(kiri)})
	again := create("Pago Pago's today, judged in Kiritimati", old.DueDate.MustGet())
	problemOf(t, again.HTTPResponse, again.Body, http.StatusBadRequest, "due_date_in_past")

	// The rule applies to a NEW due date only: a task whose date has since passed stays editable,
	// and restating its date is not a change.
	renamed := tkMustUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{Title: apptest.Ptr("Renamed")})
	assert.Equal(t, old.DueDate.MustGet().String(), renamed.DueDate.MustGet().String())
	done := tkMustUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})
	assert.True(t, done.IsDone)
	same := tkMustUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(old.DueDate.MustGet())})
	assert.Equal(t, old.DueDate.MustGet().String(), same.DueDate.MustGet().String())
	earlier := tkUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(tkAddDays(old.DueDate.MustGet(), -1))})
	problemOf(t, earlier.HTTPResponse, earlier.Body, http.StatusBadRequest, "due_date_in_past")
	cleared := tkMustUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullNullable[openapi_types.Date]()})
	assert.True(t, cleared.DueDate.IsNull())
	back := tkUpdate(t, f.App, f.Owner, f.Org, old.Id, client.TaskUpdate{DueDate: nullable.NewNullableWithValue(old.DueDate.MustGet())})
	problemOf(t, back.HTTPResponse, back.Body, http.StatusBadRequest, "due_date_in_past")
	assert.True(t, tkMustGet(t, f.App, f.Owner, f.Org, old.Id).DueDate.IsNull(), "the refused change changed nothing")
}

// ---- GET /tasks/{id} ----

func TestTasks_GetIsAllowedForEveryRole(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	task := f.App.CreateTask(t, f.Member2(t), f.Org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
	for _, role := range apptest.Roles {
		got := tkMustGet(t, f.App, f.As(t, role), f.Org, task.Id)
		assert.Equal(t, task, got, string(role))
	}
}

func TestTasks_GetUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	unknown := tkGet(t, f.App, f.Owner, f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkGet(t, f.App, f.Owner, f.Org, f.foreignTask.Id)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))
	assert.NotContains(t, string(foreign.Body), "Foreign task")
}

// ---- GET /tasks ----

func TestTasks_ListFiltersOrdersAndPages(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	today := tkToday(t, "UTC")
	dealA, dealB := f.deal[client.RoleOwner].Id, f.deal[client.RoleAdmin].Id
	mk := func(u apptest.User, deal uuid.UUID, title string, in *int, owner *uuid.UUID) client.Task {
		body := client.TaskCreate{DealId: deal, Title: title, OwnerId: owner}
		if in != nil {
			body.DueDate = apptest.Ptr(tkAddDays(today, *in))
		}
		return f.App.CreateTask(t, u, f.Org, body)
	}
	t1 := mk(f.Owner, dealA, "in five days", apptest.Ptr(5), nil)
	t2 := mk(f.Owner, dealA, "tomorrow, member's", apptest.Ptr(1), apptest.Ptr(f.Member(t).ID))
	t3 := mk(f.Admin(t), dealB, "no due date", nil, nil)
	t4 := mk(f.Admin(t), dealB, "in three days", apptest.Ptr(3), nil)
	t5 := mk(f.Owner, dealA, "also in three days", apptest.Ptr(3), nil)
	tkMustUpdate(t, f.App, f.Admin(t), f.Org, t4.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})
	// Ties on the due date are ordered by id.
	mid := []uuid.UUID{t4.Id, t5.Id}
	sort.Slice(mid, func(i, j int) bool { return mid[i].String() < mid[j].String() })
	all := []uuid.UUID{t2.Id, mid[0], mid[1], t1.Id, t3.Id}

	list := tkList(t, f.App, f.Member(t), f.Org, client.ListTasksParams{})
	assert.Equal(t, all, tkIDs(list.Items), "by due date, tasks without one last, then id")
	assert.EqualValues(t, 5, list.Total)
	assert.EqualValues(t, 1, list.Page)
	assert.EqualValues(t, 20, list.PageSize)
	assert.NotContains(t, tkIDs(list.Items), f.foreignTask.Id)

	d := func(n int) *openapi_types.Date { return apptest.Ptr(tkAddDays(today, n)) }
	tests := []struct {
		name string
		p    client.ListTasksParams
		want []uuid.UUID
	}{
		{"deal", client.ListTasksParams{DealId: &dealA}, []uuid.UUID{t2.Id, t5.Id, t1.Id}},
		{"owner", client.ListTasksParams{OwnerId: apptest.Ptr(f.Member(t).ID)}, []uuid.UUID{t2.Id}},
		{"owner and deal", client.ListTasksParams{OwnerId: apptest.Ptr(f.Admin(t).ID), DealId: &dealB}, []uuid.UUID{t4.Id, t3.Id}},
		{"only open", client.ListTasksParams{OnlyOpen: apptest.Ptr(true)}, []uuid.UUID{t2.Id, t5.Id, t1.Id, t3.Id}},
		{"only_open=false is everything", client.ListTasksParams{OnlyOpen: apptest.Ptr(false)}, all},
		{"due before, inclusive", client.ListTasksParams{DueBefore: d(3)}, []uuid.UUID{t2.Id, mid[0], mid[1]}},
		{"due after, inclusive", client.ListTasksParams{DueAfter: d(3)}, []uuid.UUID{mid[0], mid[1], t1.Id}},
		{"one day window", client.ListTasksParams{DueAfter: d(3), DueBefore: d(3)}, mid},
		{"empty window", client.ListTasksParams{DueAfter: d(4), DueBefore: d(2)}, []uuid.UUID{}},
		{"open on deal A due by day five", client.ListTasksParams{DealId: &dealA, OnlyOpen: apptest.Ptr(true), DueBefore: d(5)}, []uuid.UUID{t2.Id, t5.Id, t1.Id}},
		{"deal of another organization", client.ListTasksParams{DealId: &f.foreignDeal.Id}, []uuid.UUID{}},
		{"unknown deal", client.ListTasksParams{DealId: apptest.Ptr(uuid.New())}, []uuid.UUID{}},
		{"owner from another organization", client.ListTasksParams{OwnerId: apptest.Ptr(f.Outsider(t).ID)}, []uuid.UUID{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tkList(t, f.App, f.Manager(t), f.Org, tc.p)
			assert.Equal(t, tc.want, tkIDs(got.Items))
			assert.EqualValues(t, len(tc.want), got.Total)
		})
	}

	// Pages.
	pages := [][]uuid.UUID{}
	for page := int32(1); page <= 4; page++ {
		got := tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{Page: &page, PageSize: apptest.Ptr(int32(2))})
		assert.EqualValues(t, 5, got.Total, "page %d knows the total", page)
		assert.Equal(t, page, got.Page)
		assert.EqualValues(t, 2, got.PageSize)
		pages = append(pages, tkIDs(got.Items))
	}
	assert.Equal(t, [][]uuid.UUID{all[0:2], all[2:4], all[4:5], {}}, pages)
	last := tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{PageSize: apptest.Ptr(int32(100))})
	assert.Len(t, last.Items, 5)
}

func TestTasks_ListOwnerFilterByRole(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "owner's"})
	mine := f.App.CreateTask(t, f.Member(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "member's"})
	for _, role := range apptest.Roles {
		u := f.As(t, role)
		res, err := f.App.Client.ListTasksWithResponse(t.Context(), &client.ListTasksParams{OwnerId: &f.Owner.ID}, u.In(f.Org)...)
		require.NoError(t, err)
		if role == client.RoleMember {
			problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
		} else {
			require.Equal(t, http.StatusOK, res.StatusCode(), "%s: %s", role, res.Body)
			assert.EqualValues(t, 1, res.JSON200.Total)
		}
	}
	own := tkList(t, f.App, f.Member(t), f.Org, client.ListTasksParams{OwnerId: apptest.Ptr(f.Member(t).ID)})
	assert.Equal(t, []uuid.UUID{mine.Id}, tkIDs(own.Items), "a member may filter by their own id")
}

func TestTasks_ListRejectsInvalidParameters(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	for _, q := range []string{
		"page=0", "page=-1", "page=x", "page_size=0", "page_size=101", "page_size=x",
		"deal_id=nope", "owner_id=nope", "only_open=maybe", "due_before=yesterday", "due_after=2026-13-01",
	} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/tasks?" + q, Token: f.Owner.Access, Org: f.Org})
			problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
		})
	}
}

// ---- members_see_all=false ----

func TestTasks_MembersSeeOnlyTheirOwnTasksWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	ownerTask := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "owner's"})
	memberTask := f.App.CreateTask(t, f.Member(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "member's"})
	assigned := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "for member", OwnerId: apptest.Ptr(f.Member(t).ID)})
	other := f.App.CreateTask(t, f.Member2(t), f.Org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
	f.MembersSeeAll(t, false)

	list := tkList(t, f.App, f.Member(t), f.Org, client.ListTasksParams{})
	assert.ElementsMatch(t, []uuid.UUID{memberTask.Id, assigned.Id}, tkIDs(list.Items))
	assert.EqualValues(t, 2, list.Total)
	onOwnersDeal := tkList(t, f.App, f.Member(t), f.Org, client.ListTasksParams{DealId: apptest.Ptr(f.deal[client.RoleOwner].Id)})
	assert.Equal(t, []uuid.UUID{assigned.Id}, tkIDs(onOwnersDeal.Items))
	res, err := f.App.Client.ListTasksWithResponse(t.Context(), &client.ListTasksParams{OwnerId: apptest.Ptr(f.Member2(t).ID)}, f.Member(t).In(f.Org)...)
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	assert.EqualValues(t, 4, tkList(t, f.App, f.Manager(t), f.Org, client.ListTasksParams{}).Total, "managers still see everything")

	// Someone else's task answers exactly like a missing one, for every operation.
	missing := tkGet(t, f.App, f.Member(t), f.Org, uuid.New())
	want := withoutRequestID(t, missing.Body)
	for _, id := range []uuid.UUID{ownerTask.Id, other.Id} {
		get := tkGet(t, f.App, f.Member(t), f.Org, id)
		problemOf(t, get.HTTPResponse, get.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, get.Body))
		upd := tkUpdate(t, f.App, f.Member(t), f.Org, id, client.TaskUpdate{Title: apptest.Ptr("mine now")})
		problemOf(t, upd.HTTPResponse, upd.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, upd.Body))
		del := tkDelete(t, f.App, f.Member(t), f.Org, id)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, del.Body))
	}
	assert.Equal(t, "owner's", tkMustGet(t, f.App, f.Owner, f.Org, ownerTask.Id).Title)
	assert.Equal(t, "member2's", tkMustGet(t, f.App, f.Owner, f.Org, other.Id).Title)

	// The member's own tasks, wherever they are, stay fully usable.
	assert.Equal(t, assigned, tkMustGet(t, f.App, f.Member(t), f.Org, assigned.Id))
	tkMustUpdate(t, f.App, f.Member(t), f.Org, assigned.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})

	// An invisible deal is not a valid reference, exactly like an unknown one.
	hidden := tkCreate(t, f.App, f.Member(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "sneaky"})
	problemOf(t, hidden.HTTPResponse, hidden.Body, http.StatusBadRequest, "invalid_reference")
	unknown := tkCreate(t, f.App, f.Member(t), f.Org, client.TaskCreate{DealId: uuid.New(), Title: "sneaky"})
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, hidden.Body))
	f.App.CreateTask(t, f.Member(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleMember].Id, Title: "on my own deal"})
}

// ---- PATCH /tasks/{id} ----

func TestTasks_UpdateChangesOnlyTheGivenFields(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00")
	due := tkAddDays(tkToday(t, "UTC"), 10)
	task := app.CreateTask(t, ada, ada.OrgID, client.TaskCreate{DealId: deal.Id, Title: "Call", Description: apptest.Ptr("About the gears."), DueDate: &due})

	got := tkMustUpdate(t, app, ada, ada.OrgID, task.Id, client.TaskUpdate{Title: apptest.Ptr("Call back")})
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
	res, err := app.Client.UpdateTaskWithBodyWithResponse(t.Context(), task.Id, "application/json",
		strings.NewReader(`{"description": "again", "due_date": null}`), ada.In(ada.OrgID)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, "again", res.JSON200.Description.MustGet())
	assert.True(t, res.JSON200.DueDate.IsNull())
}

func TestTasks_CompletingWritesTaskCompletedAndReopeningClearsCompletedAt(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleMember].Id
	task := f.App.CreateTask(t, f.Member(t), f.Org, client.TaskCreate{DealId: deal, Title: "Send the proposal"})

	before := time.Now().Add(-time.Minute)
	done := tkMustUpdate(t, f.App, f.Member(t), f.Org, task.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})
	assert.True(t, done.IsDone)
	completedAt := done.CompletedAt.MustGet()
	assert.True(t, completedAt.After(before) && completedAt.Before(time.Now().Add(time.Minute)), "completed_at %s", completedAt)

	tl := tkTimeline(t, f.App, f.Owner, f.Org, deal, nil)
	require.Equal(t, []client.ActivityType{client.ActivityTypeTaskCompleted, client.ActivityTypeTaskCreated, client.ActivityTypeDealCreated}, tkTypes(tl.Items),
		"newest first: task_created then task_completed")
	payload := map[string]interface{}{"task_id": task.Id.String(), "title": "Send the proposal"}
	assert.Equal(t, payload, tl.Items[0].Payload)
	assert.Equal(t, payload, tl.Items[1].Payload)
	assert.Equal(t, f.Member(t).ID, tl.Items[0].AuthorId.MustGet())
	assert.True(t, tl.Items[0].CreatedAt.After(tl.Items[1].CreatedAt))

	// Completing a completed task again changes nothing and writes nothing.
	again := tkMustUpdate(t, f.App, f.Member(t), f.Org, task.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})
	assert.True(t, again.IsDone)
	assert.True(t, again.CompletedAt.MustGet().Equal(completedAt))
	assert.Len(t, tkTimeline(t, f.App, f.Owner, f.Org, deal, nil).Items, 3)

	// Reopening clears completed_at and writes no event.
	open := tkMustUpdate(t, f.App, f.Member(t), f.Org, task.Id, client.TaskUpdate{IsDone: apptest.Ptr(false)})
	assert.False(t, open.IsDone)
	assert.True(t, open.CompletedAt.IsNull())
	assert.Len(t, tkTimeline(t, f.App, f.Owner, f.Org, deal, nil).Items, 3)
	assert.EqualValues(t, 1, tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{OnlyOpen: apptest.Ptr(true)}).Total)

	// A manager completes it again (with a new title in the same change): the event names the new title.
	re := tkMustUpdate(t, f.App, f.Manager(t), f.Org, task.Id, client.TaskUpdate{IsDone: apptest.Ptr(true), Title: apptest.Ptr("Proposal sent")})
	assert.True(t, re.CompletedAt.MustGet().After(completedAt))
	tl = tkTimeline(t, f.App, f.Owner, f.Org, deal, apptest.Ptr(client.ActivityTypeTaskCompleted))
	require.Len(t, tl.Items, 2)
	assert.Equal(t, f.Manager(t).ID, tl.Items[0].AuthorId.MustGet())
	assert.Equal(t, "Proposal sent", tl.Items[0].Payload["title"])
	assert.EqualValues(t, 0, tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{OnlyOpen: apptest.Ptr(true)}).Total)
}

func TestTasks_UpdateRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
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
			u := f.As(t, tc.role)
			own := f.App.CreateTask(t, u, f.Org, client.TaskCreate{DealId: f.deal[tc.role].Id, Title: "mine"})
			others := f.App.CreateTask(t, f.Member2(t), f.Org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})
			check := func(what string, res *client.UpdateTaskResponse, status int) {
				t.Helper()
				if status == http.StatusOK {
					require.Equal(t, status, res.StatusCode(), "%s: %s", what, res.Body)
					return
				}
				problemOf(t, res.HTTPResponse, res.Body, status, "forbidden")
			}
			check("edit own", tkUpdate(t, f.App, u, f.Org, own.Id, client.TaskUpdate{Title: apptest.Ptr("mine, edited")}), tc.editOwn)
			check("complete own", tkUpdate(t, f.App, u, f.Org, own.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)}), tc.editOwn)
			check("edit another's", tkUpdate(t, f.App, u, f.Org, others.Id, client.TaskUpdate{Title: apptest.Ptr("taken over")}), tc.editOthers)
			check("complete another's", tkUpdate(t, f.App, u, f.Org, others.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)}), tc.editOthers)
			check("reassign own", tkUpdate(t, f.App, u, f.Org, own.Id, client.TaskUpdate{OwnerId: apptest.Ptr(f.Member2(t).ID)}), tc.reassign)
			check("restate another's owner", tkUpdate(t, f.App, u, f.Org, others.Id, client.TaskUpdate{OwnerId: &others.OwnerId}), tc.editOthers)

			gotOwn := tkMustGet(t, f.App, f.Owner, f.Org, own.Id)
			gotOthers := tkMustGet(t, f.App, f.Owner, f.Org, others.Id)
			assert.Equal(t, "mine, edited", gotOwn.Title)
			if tc.reassign == http.StatusOK {
				assert.Equal(t, f.Member2(t).ID, gotOwn.OwnerId)
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
	apptest.Finally(t, func(t testing.TB) {
		assert.Len(t, tkTimeline(t, f.App, f.Owner, f.Org, f.member2Deal.Id, apptest.Ptr(client.ActivityTypeTaskCompleted)).Items, 3,
			"only the three allowed completions reached member2's timeline")
	})
}

func TestTasks_ReassignToANonMemberIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	task := f.App.CreateTask(t, f.Manager(t), f.Org, client.TaskCreate{DealId: f.deal[client.RoleManager].Id, Title: "mine"})
	var first map[string]any
	for name, owner := range map[string]uuid.UUID{"unknown user": uuid.New(), "user of another organization": f.Outsider(t).ID} {
		res := tkUpdate(t, f.App, f.Manager(t), f.Org, task.Id, client.TaskUpdate{OwnerId: &owner, Title: apptest.Ptr("changed")})
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"owner_id"}, fieldsOf(p), name)
		if first == nil {
			first = withoutRequestID(t, res.Body)
		}
		assert.Equal(t, first, withoutRequestID(t, res.Body), name)
	}
	assert.Equal(t, task, tkMustGet(t, f.App, f.Owner, f.Org, task.Id), "nothing changed")
	// A manager hands it to a member, who may then edit it.
	moved := tkMustUpdate(t, f.App, f.Manager(t), f.Org, task.Id, client.TaskUpdate{OwnerId: apptest.Ptr(f.Member(t).ID)})
	assert.Equal(t, f.Member(t).ID, moved.OwnerId)
	tkMustUpdate(t, f.App, f.Member(t), f.Org, task.Id, client.TaskUpdate{Title: apptest.Ptr("mine now")})
}

func TestTasks_UpdateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	task := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "Call"})
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
			res, err := f.App.Client.UpdateTaskWithBodyWithResponse(t.Context(), task.Id, "application/json",
				strings.NewReader(tc.body), f.Owner.In(f.Org)...)
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
			if tc.field != "" {
				assert.Contains(t, fieldsOf(p), tc.field)
			}
		})
	}
	apptest.Finally(t, func(t testing.TB) {
		assert.Equal(t, task, tkMustGet(t, f.App, f.Owner, f.Org, task.Id), "nothing changed")
	})
}

func TestTasks_UpdateUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	body := client.TaskUpdate{Title: apptest.Ptr("hijacked"), IsDone: apptest.Ptr(true), OwnerId: &f.Owner.ID}
	unknown := tkUpdate(t, f.App, f.Owner, f.Org, uuid.New(), body)
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkUpdate(t, f.App, f.Owner, f.Org, f.foreignTask.Id, body)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))

	assert.Equal(t, f.foreignTask, tkMustGet(t, f.App, f.Outsider(t), f.Outsider(t).OrgID, f.foreignTask.Id), "the foreign task is unchanged")
	assert.Equal(t, []client.ActivityType{client.ActivityTypeTaskCreated, client.ActivityTypeDealCreated},
		tkTypes(tkTimeline(t, f.App, f.Outsider(t), f.Outsider(t).OrgID, f.foreignDeal.Id, nil).Items), "and so is its timeline")
}

// ---- DELETE /tasks/{id} ----

func TestTasks_DeleteRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			u := f.As(t, role)
			own := f.App.CreateTask(t, u, f.Org, client.TaskCreate{DealId: f.deal[role].Id, Title: "mine"})
			others := f.App.CreateTask(t, f.Member2(t), f.Org, client.TaskCreate{DealId: f.member2Deal.Id, Title: "member2's"})

			res := tkDelete(t, f.App, u, f.Org, own.Id)
			require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
			assert.Empty(t, res.Body)
			gone := tkGet(t, f.App, f.Owner, f.Org, own.Id)
			problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
			again := tkDelete(t, f.App, u, f.Org, own.Id)
			problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")

			res = tkDelete(t, f.App, u, f.Org, others.Id)
			if role == client.RoleMember {
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
				assert.Equal(t, others, tkMustGet(t, f.App, f.Owner, f.Org, others.Id), "still there")
			} else {
				require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
				gone := tkGet(t, f.App, f.Owner, f.Org, others.Id)
				problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
			}
		})
	}
}

func TestTasks_DeleteUnknownAndForeignTaskAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	unknown := tkDelete(t, f.App, f.Owner, f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	foreign := tkDelete(t, f.App, f.Owner, f.Org, f.foreignTask.Id)
	problemOf(t, foreign.HTTPResponse, foreign.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, withoutRequestID(t, unknown.Body), withoutRequestID(t, foreign.Body))
	assert.Equal(t, f.foreignTask, tkMustGet(t, f.App, f.Outsider(t), f.Outsider(t).OrgID, f.foreignTask.Id), "the foreign task survives")
}

func TestTasks_DeletingTheDealDeletesItsTasks(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	task := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "doomed"})
	kept := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleAdmin].Id, Title: "kept"})
	res, err := f.App.Client.DeleteDealWithResponse(t.Context(), f.deal[client.RoleOwner].Id, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	gone := tkGet(t, f.App, f.Owner, f.Org, task.Id)
	problemOf(t, gone.HTTPResponse, gone.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, []uuid.UUID{kept.Id}, tkIDs(tkList(t, f.App, f.Owner, f.Org, client.ListTasksParams{}).Items))
	// The deleted deal is no longer a valid reference.
	again := tkCreate(t, f.App, f.Owner, f.Org, client.TaskCreate{DealId: f.deal[client.RoleOwner].Id, Title: "late"})
	problemOf(t, again.HTTPResponse, again.Body, http.StatusBadRequest, "invalid_reference")
}
