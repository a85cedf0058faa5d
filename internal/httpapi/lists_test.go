package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listPage is what every list answers, its items reduced to their ids.
type listPage struct {
	Items []struct {
		ID     uuid.UUID `json:"id"`
		UserID uuid.UUID `json:"user_id"`
	} `json:"items"`
	Total      int64   `json:"total"`
	Page       int32   `json:"page"`
	PageSize   int32   `json:"page_size"`
	NextCursor *string `json:"next_cursor"`
}

func (p listPage) ids() []uuid.UUID {
	out := make([]uuid.UUID, len(p.Items))
	for i, it := range p.Items {
		out[i] = it.ID
		if it.ID == uuid.Nil {
			out[i] = it.UserID
		}
	}
	return out
}

// lister reads one list of one organization as one user.
type lister struct {
	app   *apptest.App
	token string
	org   uuid.UUID
	path  string
}

func (l lister) get(t *testing.T, q url.Values) (int, listPage, []byte) {
	t.Helper()
	res, body := l.app.Do(t, apptest.Request{Path: l.path + "?" + q.Encode(), Token: l.token, Org: l.org})
	var p listPage
	if res.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &p))
	}
	return res.StatusCode, p, body
}

// byNumber walks the list by page number, byCursor by next_cursor; both return the ids in order
// and check every page's bookkeeping on the way.
func (l lister) byNumber(t *testing.T, q url.Values, size int) []uuid.UUID {
	t.Helper()
	var all []uuid.UUID
	for page := 1; ; page++ {
		q := cloneValues(q)
		q.Set("page_size", fmt.Sprint(size))
		q.Set("page", fmt.Sprint(page))
		status, p, body := l.get(t, q)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, int32(page), p.Page)
		all = append(all, p.ids()...)
		if p.NextCursor == nil {
			require.Equal(t, p.Total, int64(len(all)), "the last page ends the list")
			return all
		}
		require.Len(t, p.Items, size, "a page with a next page is full")
	}
}

func (l lister) byCursor(t *testing.T, q url.Values, size int) []uuid.UUID {
	t.Helper()
	var all []uuid.UUID
	var cursor *string
	for page := int32(1); ; page++ {
		q := cloneValues(q)
		q.Set("page_size", fmt.Sprint(size))
		if cursor != nil {
			q.Set("cursor", *cursor)
		}
		status, p, body := l.get(t, q)
		require.Equal(t, http.StatusOK, status, string(body))
		require.Equal(t, page, p.Page, "a cursor's page knows its number")
		all = append(all, p.ids()...)
		if p.NextCursor == nil {
			require.Equal(t, p.Total, int64(len(all)), "the last page ends the list")
			return all
		}
		require.Len(t, p.Items, size)
		cursor = p.NextCursor
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// walkEveryWay checks that, for every query, paging by cursor gives exactly what paging by number
// gives, with no id twice and as many as the list's total.
func walkEveryWay(t *testing.T, l lister, size int, want int, queries ...url.Values) {
	t.Helper()
	for _, q := range queries {
		t.Run(q.Encode(), func(t *testing.T) {
			byNumber := l.byNumber(t, q, size)
			byCursor := l.byCursor(t, q, size)
			assert.Equal(t, byNumber, byCursor)
			assert.Len(t, byCursor, want)
			seen := map[uuid.UUID]bool{}
			for _, id := range byCursor {
				assert.False(t, seen[id], "id %s twice", id)
				seen[id] = true
			}
		})
	}
}

func orders(fields ...string) []url.Values {
	var out []url.Values
	for _, f := range fields {
		for _, o := range []string{"asc", "desc"} {
			out = append(out, url.Values{"order_by": {f}, "order": {o}})
		}
	}
	return out
}

// sameInstant gives rows of a tenant table one created_at (and updated_at), so that the id must
// break the tie.
func sameInstant(t *testing.T, a *apptest.App, table string, ids []uuid.UUID) {
	t.Helper()
	_, err := a.Pool.Exec(t.Context(), "UPDATE "+table+" SET created_at = '2026-01-02T03:04:05.123456Z' WHERE id = ANY($1)", ids)
	require.NoError(t, err)
}

func TestLists_ACursorWalksEveryOrderExactlyLikePageNumbers(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	names := []string{"anna", "Anna", "anna", "Émile", "zoe", "Bob", "bob", "Carla", "a", "Zed", "émile"}
	var contacts []uuid.UUID
	for _, n := range names {
		contacts = append(contacts, a.NewContact(t, owner, tm.Org, n).Id)
	}
	sameInstant(t, a, "contacts", contacts[:5])
	contactList := lister{a, owner.Access, tm.Org, "/api/v1/contacts"}
	walkEveryWay(t, contactList, 3, len(names), orders("created_at", "name")...)
	walkEveryWay(t, contactList, 2, 3, url.Values{"search": {"ANN"}, "order_by": {"name"}})

	contact := contacts[0]
	var deals []uuid.UUID
	for i, amount := range []string{"10.00", "10.00", "0.00", "2500.50", "10.00", "99.99", "0.00"} {
		d := a.Deal(t, owner, tm.Org, &apptest.DealOptions{Title: []string{"Deal", "deal", "Alpha"}[i%3], Amount: amount, ContactID: &contact})
		deals = append(deals, d.Id)
	}
	sameInstant(t, a, "deals", deals[:4])
	dealList := lister{a, owner.Access, tm.Org, "/api/v1/deals"}
	walkEveryWay(t, dealList, 2, len(deals), orders("created_at", "updated_at", "amount", "title")...)
	walkEveryWay(t, dealList, 2, len(deals), url.Values{"contact_id": {contact.String()}, "order_by": {"amount"}})
	walkEveryWay(t, dealList, 2, len(deals), url.Values{"status": {"new"}, "stage": {"qualification"}, "order_by": {"title"}, "order": {"asc"}})

	today := time.Now().UTC()
	var tasks []uuid.UUID
	for i := range 7 {
		body := client.TaskCreate{DealId: deals[i%2], Title: fmt.Sprint("Task ", i)}
		if i%3 != 0 {
			body.DueDate = &openapi_types.Date{Time: today.AddDate(0, 0, i%2+1)}
		}
		tasks = append(tasks, a.CreateTask(t, owner, tm.Org, body).Id)
	}
	taskList := lister{a, owner.Access, tm.Org, "/api/v1/tasks"}
	walkEveryWay(t, taskList, 2, len(tasks), url.Values{}, url.Values{"only_open": {"true"}})
	walkEveryWay(t, taskList, 2, 4, url.Values{"deal_id": {deals[0].String()}})

	for i := range 4 {
		a.Comment(t, owner, tm.Org, deals[1], fmt.Sprint("Note ", i))
	}
	timeline := lister{a, owner.Access, tm.Org, "/api/v1/deals/" + deals[1].String() + "/activities"}
	walkEveryWay(t, timeline, 2, 8, url.Values{}) // deal_created, three task_created and four comments
	walkEveryWay(t, timeline, 3, 4, url.Values{"type": {"comment"}})

	tm.Admin(t)
	tm.Manager(t)
	tm.Member(t)
	members := lister{a, owner.Access, uuid.Nil, "/api/v1/organizations/" + tm.Org.String() + "/members"}
	walkEveryWay(t, members, 2, 4, url.Values{})
}

func TestLists_ACursorDoesNotSkipOrRepeatWhenRecordsComeAndGo(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	var ids []uuid.UUID
	for i := range 6 {
		ids = append(ids, a.NewContact(t, owner, tm.Org, fmt.Sprint("Contact ", i)).Id)
	}
	l := lister{a, owner.Access, tm.Org, "/api/v1/contacts"}
	q := url.Values{"page_size": {"3"}}
	_, first, _ := l.get(t, q)
	require.Equal(t, []uuid.UUID{ids[5], ids[4], ids[3]}, first.ids(), "newest first")
	require.NotNil(t, first.NextCursor)

	// A newer contact arrives and one of the next page goes: by number page 2 would now repeat
	// ids[3]; the cursor goes on after it.
	a.NewContact(t, owner, tm.Org, "Newcomer")
	res, _ := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/contacts/" + ids[1].String(), Token: owner.Access, Org: tm.Org})
	require.Equal(t, http.StatusNoContent, res.StatusCode)

	q.Set("cursor", *first.NextCursor)
	status, second, body := l.get(t, q)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, []uuid.UUID{ids[2], ids[0]}, second.ids())
	assert.Equal(t, int64(6), second.Total, "the total is the list's now")
	assert.Equal(t, int32(2), second.Page)
	assert.Nil(t, second.NextCursor)
}

func TestLists_ACursorIsRefusedOutsideItsListAndParameters(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	for i := range 3 {
		a.NewContact(t, owner, tm.Org, fmt.Sprint("Contact ", i))
	}
	l := lister{a, owner.Access, tm.Org, "/api/v1/contacts"}
	_, first, _ := l.get(t, url.Values{"page_size": {"2"}, "order_by": {"name"}})
	require.NotNil(t, first.NextCursor)
	cursor := *first.NextCursor

	status, _, body := l.get(t, url.Values{"page_size": {"2"}, "order_by": {"name"}, "cursor": {cursor}})
	require.Equal(t, http.StatusOK, status, string(body), "the same parameters")
	status, _, _ = l.get(t, url.Values{"page_size": {"2"}, "order_by": {"name"}, "cursor": {cursor}, "page": {"7"}})
	require.Equal(t, http.StatusOK, status, "page is ignored with a cursor")

	other := tm.Outsider(t) // an organization of their own, with the same list
	altered := []byte(cursor)
	altered[len(altered)/2] ^= 1
	for name, c := range map[string]struct {
		l lister
		q url.Values
	}{
		"another order":         {l, url.Values{"page_size": {"2"}, "order_by": {"created_at"}}},
		"another direction":     {l, url.Values{"page_size": {"2"}, "order_by": {"name"}, "order": {"asc"}}},
		"another page size":     {l, url.Values{"page_size": {"3"}, "order_by": {"name"}}},
		"a filter added":        {l, url.Values{"page_size": {"2"}, "order_by": {"name"}, "search": {"Contact"}}},
		"another organization":  {lister{a, other.Access, other.OrgID, "/api/v1/contacts"}, url.Values{"page_size": {"2"}, "order_by": {"name"}}},
		"another list":          {lister{a, owner.Access, tm.Org, "/api/v1/deals"}, url.Values{"page_size": {"2"}, "order_by": {"title"}}},
		"altered":               {l, url.Values{"page_size": {"2"}, "order_by": {"name"}, "cursor": {string(altered)}}},
		"not a cursor at all":   {l, url.Values{"page_size": {"2"}, "order_by": {"name"}, "cursor": {"page-2"}}},
		"a cursor made by hand": {l, url.Values{"page_size": {"2"}, "order_by": {"name"}, "cursor": {"AAAAAgAAAAAAAAAAAAAAAAAAAAA"}}},
	} {
		q := c.q
		if !q.Has("cursor") {
			q.Set("cursor", cursor)
		}
		status, _, body := c.l.get(t, q)
		assert.Equal(t, http.StatusBadRequest, status, name)
		assert.Contains(t, string(body), `"code":"invalid_cursor"`, name)
	}
}

func TestLists_TotalsFollowEveryChangeOfTheRecords(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner, manager := tm.App, tm.Owner, tm.Manager(t)
	member := tm.Member(t)
	var contacts []uuid.UUID
	for i := range 5 {
		contacts = append(contacts, a.NewContact(t, owner, tm.Org, fmt.Sprint("Owner's ", i)).Id)
	}
	a.NewContact(t, member, tm.Org, "Member's")
	// Two contacts change hands, one goes.
	for _, id := range contacts[:2] {
		res, body := a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/contacts/" + id.String(), Token: owner.Access, Org: tm.Org,
			Body: apptest.JSON(t, map[string]any{"owner_id": member.ID})})
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	}
	res, _ := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/contacts/" + contacts[4].String(), Token: owner.Access, Org: tm.Org})
	require.Equal(t, http.StatusNoContent, res.StatusCode)

	total := func(t *testing.T, path string, q url.Values) int64 {
		t.Helper()
		status, p, body := lister{a, owner.Access, tm.Org, path}.get(t, q)
		require.Equal(t, http.StatusOK, status, string(body))
		return p.Total
	}
	assert.Equal(t, int64(5), total(t, "/api/v1/contacts", url.Values{}))
	assert.Equal(t, int64(3), total(t, "/api/v1/contacts", url.Values{"owner_id": {member.ID.String()}}))
	assert.Equal(t, int64(2), total(t, "/api/v1/contacts", url.Values{"owner_id": {owner.ID.String()}}))

	contact := contacts[2]
	d1 := a.Deal(t, owner, tm.Org, &apptest.DealOptions{Title: "One", Amount: "100.00", ContactID: &contact})
	d2 := a.Deal(t, owner, tm.Org, &apptest.DealOptions{Title: "Two", Amount: "50.25", ContactID: &contact, Status: client.DealStatusInProgress, Stage: client.DealStageProposal})
	a.Deal(t, manager, tm.Org, &apptest.DealOptions{Title: "Three", Amount: "7.00", ContactID: &contact, Currency: "USD"})
	a.UpdateDeal(t, owner, tm.Org, d1.Id, client.DealUpdate{Status: apptest.Ptr(client.DealStatusWon), Stage: apptest.Ptr(client.DealStageClosed), Amount: apptest.Amount("120.00")})
	a.UpdateDeal(t, owner, tm.Org, d2.Id, client.DealUpdate{OwnerId: &manager.ID})
	res, _ = a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/deals/" + a.Deal(t, owner, tm.Org, &apptest.DealOptions{ContactID: &contact}).Id.String(), Token: owner.Access, Org: tm.Org})
	require.Equal(t, http.StatusNoContent, res.StatusCode)

	assert.Equal(t, int64(3), total(t, "/api/v1/deals", url.Values{}))
	assert.Equal(t, int64(2), total(t, "/api/v1/deals", url.Values{"owner_id": {manager.ID.String()}}))
	assert.Equal(t, int64(1), total(t, "/api/v1/deals", url.Values{"status": {"won"}}))
	assert.Equal(t, int64(2), total(t, "/api/v1/deals", url.Values{"status": {"new", "in_progress"}}))
	assert.Equal(t, int64(1), total(t, "/api/v1/deals", url.Values{"stage": {"proposal"}}))
	assert.Equal(t, int64(0), total(t, "/api/v1/deals", url.Values{"stage": {"negotiation"}}))

	// The counters agree with a count of the rows, for every organization of this database.
	var drift int
	require.NoError(t, a.Pool.QueryRow(t.Context(), `
		SELECT count(*) FROM (
		  SELECT organization_id, owner_id, status, stage, currency, count(*) AS n, sum(amount) AS amount FROM deals GROUP BY 1, 2, 3, 4, 5
		  EXCEPT SELECT organization_id, owner_id, status, stage, currency, n, amount FROM deal_counts WHERE n <> 0
		) x`).Scan(&drift))
	assert.Zero(t, drift, "deal_counts differs from the deals")
	require.NoError(t, a.Pool.QueryRow(t.Context(), `
		SELECT count(*) FROM (
		  SELECT organization_id, owner_id, count(*) AS n FROM contacts GROUP BY 1, 2
		  EXCEPT SELECT organization_id, owner_id, n FROM contact_counts WHERE n <> 0
		) x`).Scan(&drift))
	assert.Zero(t, drift, "contact_counts differs from the contacts")

	// Deleting the organization leaves no counter behind.
	res, body := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/organizations/" + tm.Org.String(), Token: owner.Access})
	require.Equal(t, http.StatusNoContent, res.StatusCode, string(body))
	var left int
	require.NoError(t, a.Pool.QueryRow(t.Context(), `
		SELECT (SELECT count(*) FROM contact_counts WHERE organization_id = $1)
		     + (SELECT count(*) FROM deal_counts WHERE organization_id = $1)
		     + (SELECT count(*) FROM task_counts WHERE organization_id = $1)`, tm.Org).Scan(&left))
	assert.Zero(t, left)
}

func TestLists_ThePageAfterTheLastStillCarriesTheTotal(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	tm.App.NewContact(t, tm.Owner, tm.Org, "Only")
	status, p, body := lister{tm.App, tm.Owner.Access, tm.Org, "/api/v1/contacts"}.get(t, url.Values{"page": {"5"}})
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Empty(t, p.Items)
	assert.Equal(t, int64(1), p.Total)
	assert.Nil(t, p.NextCursor)
	assert.False(t, strings.Contains(string(body), "next_cursor"), "absent, not null, on the last page")
}
