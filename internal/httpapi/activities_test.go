package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Helpers (tasksTeam, tkTimeline, problemOf, ...) live in tasks_test.go and helpers_test.go.

func actComment(t testing.TB, app *apptest.App, u apptest.User, org, deal uuid.UUID, text string) *client.CreateActivityResponse {
	t.Helper()
	res, err := app.Client.CreateActivityWithResponse(t.Context(), deal,
		client.ActivityCreate{Type: client.ActivityTypeComment, Payload: client.CommentPayload{Text: text}}, u.In(org)...)
	require.NoError(t, err)
	return res
}

func actList(t testing.TB, app *apptest.App, u apptest.User, org, deal uuid.UUID, p client.ListActivitiesParams) *client.ListActivitiesResponse {
	t.Helper()
	res, err := app.Client.ListActivitiesWithResponse(t.Context(), deal, &p, u.In(org)...)
	require.NoError(t, err)
	return res
}

func actIDs(items []client.Activity) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = it.Id
	}
	return out
}

// actCount counts a deal's timeline rows, bypassing the API.
func actCount(t testing.TB, app *apptest.App, org, deal uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(),
		"SELECT count(*) FROM activities WHERE organization_id = $1 AND deal_id = $2", org, deal).Scan(&n))
	return n
}

// ---- GET /deals/{id}/activities ----

func TestActivities_TimelineListsEveryEventNewestFirst(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner]
	first := f.App.Comment(t, f.Member(t), f.Org, deal.Id, "first")
	second := f.App.Comment(t, f.Manager(t), f.Org, deal.Id, "second")
	task := f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: deal.Id, Title: "Send the proposal"})
	inProgress := client.DealStatusInProgress
	f.App.UpdateDeal(t, f.Owner, f.Org, deal.Id, client.DealUpdate{Status: &inProgress})
	tkMustUpdate(t, f.App, f.Admin(t), f.Org, task.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)})

	res := actList(t, f.App, f.Member(t), f.Org, deal.Id, client.ListActivitiesParams{})
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	list := res.JSON200
	assert.EqualValues(t, 6, list.Total)
	assert.EqualValues(t, 1, list.Page)
	assert.EqualValues(t, 20, list.PageSize)
	require.Equal(t, []client.ActivityType{client.ActivityTypeTaskCompleted, client.ActivityTypeStatusChanged, client.ActivityTypeTaskCreated,
		client.ActivityTypeComment, client.ActivityTypeComment, client.ActivityTypeDealCreated}, tkTypes(list.Items))
	for i, a := range list.Items {
		assert.Equal(t, deal.Id, a.DealId)
		if i > 0 {
			assert.False(t, a.CreatedAt.After(list.Items[i-1].CreatedAt), "newest first")
		}
	}
	authors := []uuid.UUID{f.Admin(t).ID, f.Owner.ID, f.Owner.ID, f.Manager(t).ID, f.Member(t).ID, f.Owner.ID}
	for i, a := range list.Items {
		assert.Equal(t, authors[i], a.AuthorId.MustGet(), "author of %s", a.Type)
	}
	taskPayload := map[string]interface{}{"task_id": task.Id.String(), "title": "Send the proposal"}
	assert.Equal(t, taskPayload, list.Items[0].Payload)
	assert.Equal(t, "new", list.Items[1].Payload["old_status"])
	assert.Equal(t, "in_progress", list.Items[1].Payload["new_status"])
	assert.Equal(t, taskPayload, list.Items[2].Payload)
	assert.Equal(t, second.Id, list.Items[3].Id)
	assert.Equal(t, map[string]interface{}{"text": "second"}, list.Items[3].Payload)
	assert.Equal(t, first.Id, list.Items[4].Id)
	assert.Equal(t, map[string]interface{}{"text": "first"}, list.Items[4].Payload)
	assert.Equal(t, deal.Title, list.Items[5].Payload["title"])
	assert.Equal(t, deal.Currency, list.Items[5].Payload["currency"])

	// The deal_created amount keeps its exact decimal form.
	var raw struct {
		Items []struct {
			Payload map[string]json.RawMessage `json:"payload"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(res.Body, &raw))
	assert.Equal(t, "1500.00", string(raw.Items[5].Payload["amount"]))

	// Other deals' timelines hold none of it.
	other := tkTimeline(t, f.App, f.Owner, f.Org, f.deal[client.RoleAdmin].Id, nil)
	assert.Equal(t, []client.ActivityType{client.ActivityTypeDealCreated}, tkTypes(other.Items))
}

func TestActivities_TypeFilterAndPages(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner].Id
	var comments []uuid.UUID
	for _, text := range []string{"one", "two", "three"} {
		comments = append([]uuid.UUID{f.App.Comment(t, f.Owner, f.Org, deal, text).Id}, comments...)
	}
	f.App.CreateTask(t, f.Owner, f.Org, client.TaskCreate{DealId: deal, Title: "Call"})

	all := tkTimeline(t, f.App, f.Owner, f.Org, deal, nil)
	require.Len(t, all.Items, 5) // task_created, 3 comments, deal_created
	ids := actIDs(all.Items)

	tests := []struct {
		typ  client.ActivityType
		want []uuid.UUID
	}{
		{client.ActivityTypeComment, comments},
		{client.ActivityTypeTaskCreated, ids[0:1]},
		{client.ActivityTypeDealCreated, ids[4:5]},
		{client.ActivityTypeTaskCompleted, []uuid.UUID{}},
		{client.ActivityTypeSystem, []uuid.UUID{}},
	}
	for _, tc := range tests {
		res := actList(t, f.App, f.Member(t), f.Org, deal, client.ListActivitiesParams{Type: apptest.Ptr(tc.typ)})
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, tc.want, actIDs(res.JSON200.Items), string(tc.typ))
		assert.EqualValues(t, len(tc.want), res.JSON200.Total, string(tc.typ))
	}

	pages := [][]uuid.UUID{}
	for page := int32(1); page <= 4; page++ {
		res := actList(t, f.App, f.Member(t), f.Org, deal, client.ListActivitiesParams{Page: &page, PageSize: apptest.Ptr(int32(2))})
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.EqualValues(t, 5, res.JSON200.Total, "page %d knows the total", page)
		assert.Equal(t, page, res.JSON200.Page)
		assert.EqualValues(t, 2, res.JSON200.PageSize)
		pages = append(pages, actIDs(res.JSON200.Items))
	}
	assert.Equal(t, [][]uuid.UUID{ids[0:2], ids[2:4], ids[4:5], {}}, pages)
	res := actList(t, f.App, f.Member(t), f.Org, deal, client.ListActivitiesParams{Page: apptest.Ptr(int32(2)), PageSize: apptest.Ptr(int32(2)), Type: apptest.Ptr(client.ActivityTypeComment)})
	require.Equal(t, http.StatusOK, res.StatusCode())
	assert.Equal(t, comments[2:3], actIDs(res.JSON200.Items))
	assert.EqualValues(t, 3, res.JSON200.Total)
}

func TestActivities_ListRejectsInvalidParameters(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner].Id.String()
	for _, q := range []string{"page=0", "page=x", "page_size=0", "page_size=101", "type=bogus", "type=COMMENT"} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/deals/" + deal + "/activities?" + q, Token: f.Owner.Access, Org: f.Org})
			problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
		})
	}
}

func TestActivities_UnknownAndForeignDealAreIdenticalNotFound(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	foreignBefore := actCount(t, f.App, f.Outsider(t).OrgID, f.foreignDeal.Id)
	var first map[string]any
	for name, deal := range map[string]uuid.UUID{"unknown": uuid.New(), "foreign": f.foreignDeal.Id} {
		for _, role := range apptest.Roles {
			u := f.As(t, role)
			list := actList(t, f.App, u, f.Org, deal, client.ListActivitiesParams{})
			problemOf(t, list.HTTPResponse, list.Body, http.StatusNotFound, "not_found")
			assert.NotContains(t, string(list.Body), "Foreign")
			post := actComment(t, f.App, u, f.Org, deal, "hello from the other side")
			problemOf(t, post.HTTPResponse, post.Body, http.StatusNotFound, "not_found")
			for _, body := range [][]byte{list.Body, post.Body} {
				if first == nil {
					first = withoutRequestID(t, body)
				}
				assert.Equal(t, first, withoutRequestID(t, body), "%s deal as %s", name, role)
			}
		}
	}
	assert.Equal(t, foreignBefore, actCount(t, f.App, f.Outsider(t).OrgID, f.foreignDeal.Id), "no comment reached the other organization")
}

// ---- POST /deals/{id}/activities ----

func TestActivities_EveryRoleMayCommentOnAnyVisibleDeal(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.member2Deal.Id // owned by someone else for everyone below
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			u := f.As(t, role)
			before := time.Now().Add(-time.Minute)
			res := actComment(t, f.App, u, f.Org, deal, "Comment by "+string(role))
			require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
			a := res.JSON201
			assert.NotEqual(t, uuid.Nil, a.Id)
			assert.Equal(t, deal, a.DealId)
			assert.Equal(t, client.ActivityTypeComment, a.Type)
			assert.Equal(t, u.ID, a.AuthorId.MustGet())
			assert.Equal(t, map[string]interface{}{"text": "Comment by " + string(role)}, a.Payload)
			assert.True(t, a.CreatedAt.After(before))

			// It is in the timeline exactly as answered.
			var found *client.Activity
			for _, it := range tkTimeline(t, f.App, f.Owner, f.Org, deal, apptest.Ptr(client.ActivityTypeComment)).Items {
				if it.Id == a.Id {
					found = &it
				}
			}
			require.NotNil(t, found)
			assert.Equal(t, *a, *found)
		})
	}
	apptest.Finally(t, func(t testing.TB) {
		assert.Len(t, tkTimeline(t, f.App, f.Member2(t), f.Org, deal, apptest.Ptr(client.ActivityTypeComment)).Items, 4)
	})
}

func TestActivities_OnlyCommentsMayBePosted(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner].Id
	before := actCount(t, f.App, f.Org, deal)
	for _, typ := range []client.ActivityType{client.ActivityTypeDealCreated, client.ActivityTypeStatusChanged, client.ActivityTypeStageChanged,
		client.ActivityTypeDealUpdated, client.ActivityTypeTaskCreated, client.ActivityTypeTaskCompleted, client.ActivityTypeSystem} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			res, err := f.App.Client.CreateActivityWithResponse(t.Context(), deal,
				client.ActivityCreate{Type: typ, Payload: client.CommentPayload{Text: "forged"}}, f.Owner.In(f.Org)...)
			require.NoError(t, err)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "only_comments_allowed")
		})
	}
	apptest.Finally(t, func(t testing.TB) { assert.Equal(t, before, actCount(t, f.App, f.Org, deal), "nothing was written") })
}

func TestActivities_CommentRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	deal := f.deal[client.RoleOwner].Id
	before := actCount(t, f.App, f.Org, deal)
	tests := []struct {
		name, body, code string
	}{
		{"empty object", `{}`, "validation_failed"},
		{"missing payload", `{"type": "comment"}`, "validation_failed"},
		{"missing type", `{"payload": {"text": "hi"}}`, "validation_failed"},
		{"unknown type", `{"type": "note", "payload": {"text": "hi"}}`, "validation_failed"},
		{"empty text", `{"type": "comment", "payload": {"text": ""}}`, "validation_failed"},
		{"missing text", `{"type": "comment", "payload": {}}`, "validation_failed"},
		{"text null", `{"type": "comment", "payload": {"text": null}}`, "validation_failed"},
		{"text not a string", `{"type": "comment", "payload": {"text": 5}}`, "validation_failed"},
		{"text over 5000 characters", `{"type": "comment", "payload": {"text": "` + strings.Repeat("x", 5001) + `"}}`, "validation_failed"},
		{"unknown payload field", `{"type": "comment", "payload": {"text": "hi", "mood": "happy"}}`, "validation_failed"},
		{"payload not an object", `{"type": "comment", "payload": "hi"}`, "validation_failed"},
		{"unknown field", `{"type": "comment", "payload": {"text": "hi"}, "pinned": true}`, "validation_failed"},
		{"read-only author_id", `{"type": "comment", "payload": {"text": "hi"}, "author_id": "` + uuid.NewString() + `"}`, "validation_failed"},
		{"read-only id", `{"type": "comment", "payload": {"text": "hi"}, "id": "` + uuid.NewString() + `"}`, "validation_failed"},
		{"malformed JSON", `{"type": "comment", "payload": `, "malformed_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := f.App.Client.CreateActivityWithBodyWithResponse(t.Context(), deal, "application/json",
				strings.NewReader(tc.body), f.Owner.In(f.Org)...)
			require.NoError(t, err)
			problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, tc.code)
		})
	}
	apptest.Finally(t, func(t testing.TB) { assert.Equal(t, before, actCount(t, f.App, f.Org, deal), "nothing was written") })
}

func TestActivities_CommentsOfUpTo5000CharactersAreKeptVerbatim(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	ada := app.Register(t, "ada")
	deal := app.NewDeal(t, ada, ada.OrgID, "Engine", "1500.00").Id
	for _, text := range []string{
		"x",
		strings.Repeat("y", 5000),
		strings.Repeat("ж", 5000), // characters, not bytes
		"  spaces, <b>markup</b>, \"quotes\", 100% _literal_ \\ and\nnew lines  ",
	} {
		a := app.Comment(t, ada, ada.OrgID, deal, text)
		assert.Equal(t, text, a.Payload["text"])
		got := tkTimeline(t, app, ada, ada.OrgID, deal, apptest.Ptr(client.ActivityTypeComment))
		assert.Equal(t, text, got.Items[0].Payload["text"])
	}
}

// ---- members_see_all=false ----

func TestActivities_MembersSeeOnlyTheirOwnDealsTimelinesWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newTasksTeam(t)
	own, others := f.deal[client.RoleMember].Id, f.deal[client.RoleOwner].Id
	// With members_see_all on (the default), a member reads and comments on others' deals.
	f.App.Comment(t, f.Member(t), f.Org, others, "visible for now")
	assert.Len(t, tkTimeline(t, f.App, f.Member(t), f.Org, others, nil).Items, 2)

	f.MembersSeeAll(t, false)
	before := actCount(t, f.App, f.Org, others)
	unknownList := actList(t, f.App, f.Member(t), f.Org, uuid.New(), client.ListActivitiesParams{})
	unknownPost := actComment(t, f.App, f.Member(t), f.Org, uuid.New(), "hello?")
	for _, deal := range []uuid.UUID{others, f.member2Deal.Id} {
		list := actList(t, f.App, f.Member(t), f.Org, deal, client.ListActivitiesParams{})
		problemOf(t, list.HTTPResponse, list.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknownList.Body), withoutRequestID(t, list.Body), "like a missing deal")
		post := actComment(t, f.App, f.Member(t), f.Org, deal, "hidden")
		problemOf(t, post.HTTPResponse, post.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, withoutRequestID(t, unknownPost.Body), withoutRequestID(t, post.Body), "like a missing deal")
	}
	assert.Equal(t, before, actCount(t, f.App, f.Org, others))

	// Their own deal's timeline works; everyone else still sees every timeline.
	c := f.App.Comment(t, f.Member(t), f.Org, own, "mine")
	assert.Equal(t, c.Id, tkTimeline(t, f.App, f.Member(t), f.Org, own, nil).Items[0].Id)
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		assert.Len(t, tkTimeline(t, f.App, f.As(t, role), f.Org, others, nil).Items, 2, string(role))
		f.App.Comment(t, f.As(t, role), f.Org, own, "on the member's deal")
	}
}
