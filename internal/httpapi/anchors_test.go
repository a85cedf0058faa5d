package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/require"
)

// pagesAgreeWithTheList reads every page of l by number (page_size 3), twice each (the second time
// from the position the service remembered), and checks each against the whole list read as one
// page: a remembered position that outlived a change of the list would shift a page.
func pagesAgreeWithTheList(t *testing.T, l lister, q url.Values) {
	t.Helper()
	whole := cloneValues(q)
	whole.Set("page_size", "100")
	status, all, body := l.get(t, whole)
	require.Equal(t, http.StatusOK, status, string(body))
	want := all.ids()
	for page := 1; page <= (len(want)+2)/3+1; page++ {
		q := cloneValues(q)
		q.Set("page_size", "3")
		q.Set("page", fmt.Sprint(page))
		for range 2 {
			status, p, body := l.get(t, q)
			require.Equal(t, http.StatusOK, status, string(body))
			end := min(page*3, len(want))
			start := min((page-1)*3, end)
			require.Equal(t, want[start:end], p.ids(), "page %d of %v", page, q)
			require.Equal(t, int64(len(want)), p.Total)
		}
	}
}

func TestLists_PagesByNumberStayExactWhileTheListChanges(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	tm.MembersSeeAll(t, false)
	a, owner, member := tm.App, tm.Owner, tm.Member(t)
	var contacts []uuid.UUID
	for i := range 10 {
		contacts = append(contacts, a.NewContact(t, owner, tm.Org, fmt.Sprintf("Contact %02d", i)).Id)
	}
	for i := range 4 {
		a.NewContact(t, member, tm.Org, fmt.Sprintf("Member's %02d", i))
	}
	byName := url.Values{"order_by": {"name"}, "order": {"asc"}}
	ownerView := lister{a, owner.Access, tm.Org, "/api/v1/contacts"}
	memberView := lister{a, member.Access, tm.Org, "/api/v1/contacts"}
	everyView := func(t *testing.T) {
		t.Helper()
		for _, q := range []url.Values{byName, {}} {
			pagesAgreeWithTheList(t, ownerView, q)
			pagesAgreeWithTheList(t, memberView, q)
		}
	}
	everyView(t)

	// Each change moves rows across the positions remembered for the pages after it.
	a.NewContact(t, owner, tm.Org, "A first one")
	everyView(t)
	patch := func(id uuid.UUID, body map[string]any) {
		res, b := a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/contacts/" + id.String(), Token: owner.Access, Org: tm.Org, Body: apptest.JSON(t, body)})
		require.Equal(t, http.StatusOK, res.StatusCode, string(b))
	}
	patch(contacts[1], map[string]any{"name": "Zulu"})
	everyView(t)
	patch(contacts[2], map[string]any{"owner_id": member.ID})
	everyView(t)
	res, _ := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/contacts/" + contacts[3].String(), Token: owner.Access, Org: tm.Org})
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	everyView(t)

	contact := contacts[0]
	var deals []uuid.UUID
	for i := range 8 {
		deals = append(deals, a.Deal(t, owner, tm.Org, &apptest.DealOptions{Title: fmt.Sprint("Deal ", i), Amount: fmt.Sprintf("%d.00", 10+i), ContactID: &contact}).Id)
	}
	dealList := lister{a, owner.Access, tm.Org, "/api/v1/deals"}
	byAmount := url.Values{"order_by": {"amount"}, "order": {"asc"}}
	byUpdate := url.Values{"order_by": {"updated_at"}, "order": {"desc"}}
	pagesAgreeWithTheList(t, dealList, byAmount)
	pagesAgreeWithTheList(t, dealList, byUpdate)
	a.UpdateDeal(t, owner, tm.Org, deals[6], client.DealUpdate{Amount: apptest.Amount("1.00")})
	pagesAgreeWithTheList(t, dealList, byAmount)
	a.UpdateDeal(t, owner, tm.Org, deals[0], client.DealUpdate{Title: apptest.Ptr("Renamed")})
	pagesAgreeWithTheList(t, dealList, byUpdate)
}
