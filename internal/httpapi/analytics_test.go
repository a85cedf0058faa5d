package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analyticsAllSummary is the organization's summary for the default 30 days, seen by anyone who sees
// all deals. USD won average: (1200.50 + 300.33) / 2 = 750.415 → 750.42.
const analyticsAllSummary = `{
  "by_status": [
    {"status": "new", "count": 3, "amounts": [{"currency": "USD", "total": 3010.35}]},
    {"status": "in_progress", "count": 2, "amounts": [{"currency": "EUR", "total": 599.99}]},
    {"status": "won", "count": 3, "amounts": [{"currency": "EUR", "total": 15000.00}, {"currency": "USD", "total": 1500.83}]},
    {"status": "lost", "count": 1, "amounts": [{"currency": "GBP", "total": 0.00}]}
  ],
  "won_average": [{"currency": "EUR", "average": 15000.00}, {"currency": "USD", "average": 750.42}],
  "new_deals": {"days": 30, "count": 6}
}`

// analyticsAllFunnel: reached 9, 7, 4, 3; 7/9 = 77.78, 4/7 = 57.14, 3/4 = 75.
const analyticsAllFunnel = `{"stages": [
  {"stage": "qualification", "count": 2, "by_status": {"new": 2, "in_progress": 0, "won": 0, "lost": 0}, "reached": 9, "conversion_from_previous": null},
  {"stage": "proposal", "count": 3, "by_status": {"new": 1, "in_progress": 1, "won": 0, "lost": 1}, "reached": 7, "conversion_from_previous": 77.78},
  {"stage": "negotiation", "count": 1, "by_status": {"new": 0, "in_progress": 1, "won": 0, "lost": 0}, "reached": 4, "conversion_from_previous": 57.14},
  {"stage": "closed", "count": 3, "by_status": {"new": 0, "in_progress": 0, "won": 3, "lost": 0}, "reached": 3, "conversion_from_previous": 75.00}
]}`

// analyticsMemberSummary and analyticsMemberFunnel are what the member sees of their own deals
// (m1, m2, m3) once members_see_all is off.
const analyticsMemberSummary = `{
  "by_status": [
    {"status": "new", "count": 1, "amounts": [{"currency": "USD", "total": 10.00}]},
    {"status": "in_progress", "count": 1, "amounts": [{"currency": "EUR", "total": 99.99}]},
    {"status": "won", "count": 1, "amounts": [{"currency": "USD", "total": 300.33}]},
    {"status": "lost", "count": 0, "amounts": []}
  ],
  "won_average": [{"currency": "USD", "average": 300.33}],
  "new_deals": {"days": 30, "count": 2}
}`

const analyticsMemberFunnel = `{"stages": [
  {"stage": "qualification", "count": 1, "by_status": {"new": 1, "in_progress": 0, "won": 0, "lost": 0}, "reached": 3, "conversion_from_previous": null},
  {"stage": "proposal", "count": 1, "by_status": {"new": 0, "in_progress": 1, "won": 0, "lost": 0}, "reached": 2, "conversion_from_previous": 66.67},
  {"stage": "negotiation", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 1, "conversion_from_previous": 50.00},
  {"stage": "closed", "count": 1, "by_status": {"new": 0, "in_progress": 0, "won": 1, "lost": 0}, "reached": 1, "conversion_from_previous": 100.00}
]}`

const analyticsEmptySummary = `{
  "by_status": [
    {"status": "new", "count": 0, "amounts": []},
    {"status": "in_progress", "count": 0, "amounts": []},
    {"status": "won", "count": 0, "amounts": []},
    {"status": "lost", "count": 0, "amounts": []}
  ],
  "won_average": [],
  "new_deals": {"days": 30, "count": 0}
}`

const analyticsEmptyFunnel = `{"stages": [
  {"stage": "qualification", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 0, "conversion_from_previous": null},
  {"stage": "proposal", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 0, "conversion_from_previous": null},
  {"stage": "negotiation", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 0, "conversion_from_previous": null},
  {"stage": "closed", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 0, "conversion_from_previous": null}
]}`

// newAnalyticsTeam is a team with a known set of deals, and an outsider whose own organization holds
// deals that must never be counted.
//
// The deals of the organization (owner's unless noted):
//
//	title  amount     cur  status       stage          created
//	d1     1000.10    USD  new          qualification  now
//	d2     2000.25    USD  new          proposal       now
//	d3      500.00    EUR  in_progress  negotiation    now
//	d4     1200.50    USD  won          closed         10 days ago
//	d5    15000.00    EUR  won          closed         40 days ago
//	d6        0.00    GBP  lost         proposal       40 days ago
//	m1      300.33    USD  won          closed         now           (member's)
//	m2       99.99    EUR  in_progress  proposal       now           (member's)
//	m3       10.00    USD  new          qualification  400 days ago  (member's)
func newAnalyticsTeam(t *testing.T) *apptest.Team {
	t.Helper()
	tm := apptest.NewTeam(t, nil)
	owner, member, outsider := tm.Owner, tm.Member(t), tm.Outsider(t)
	analyticsDeal(t, tm, owner, "d1", "1000.10", "USD", client.DealStatusNew, client.DealStageQualification, 0)
	analyticsDeal(t, tm, owner, "d2", "2000.25", "USD", client.DealStatusNew, client.DealStageProposal, 0)
	analyticsDeal(t, tm, owner, "d3", "500.00", "EUR", client.DealStatusInProgress, client.DealStageNegotiation, 0)
	analyticsDeal(t, tm, owner, "d4", "1200.50", "USD", client.DealStatusWon, client.DealStageClosed, 10)
	analyticsDeal(t, tm, owner, "d5", "15000.00", "EUR", client.DealStatusWon, client.DealStageClosed, 40)
	analyticsDeal(t, tm, owner, "d6", "0.00", "GBP", client.DealStatusLost, client.DealStageProposal, 40)
	analyticsDeal(t, tm, member, "m1", "300.33", "USD", client.DealStatusWon, client.DealStageClosed, 0)
	analyticsDeal(t, tm, member, "m2", "99.99", "EUR", client.DealStatusInProgress, client.DealStageProposal, 0)
	analyticsDeal(t, tm, member, "m3", "10.00", "USD", client.DealStatusNew, client.DealStageQualification, 400)

	// The outsider's organization: same currencies, every status and stage, big numbers that would
	// show in any total they leaked into.
	for i, st := range []client.DealStatus{client.DealStatusNew, client.DealStatusInProgress, client.DealStatusWon, client.DealStatusLost} {
		for _, d := range []*apptest.DealOptions{
			{Title: fmt.Sprintf("x%d", i), Amount: "77777.77", Currency: "USD", Status: st, Stage: client.DealStageClosed},
			{Title: fmt.Sprintf("y%d", i), Amount: "55555.55", Currency: "EUR", Status: st, Stage: client.DealStageQualification},
		} {
			tm.App.Deal(t, outsider, outsider.OrgID, d)
		}
	}
	return tm
}

// analyticsDeal creates a deal as u in the team's organization, moves it to status and stage, and
// backdates its creation by daysAgo days.
func analyticsDeal(t *testing.T, tm *apptest.Team, u apptest.User, title, amount, currency string, status client.DealStatus, stage client.DealStage, daysAgo int) {
	t.Helper()
	d := tm.App.Deal(t, u, tm.Org, &apptest.DealOptions{Title: title, Amount: amount, Currency: currency, Status: status, Stage: stage})
	if daysAgo > 0 {
		tag, err := tm.App.Pool.Exec(t.Context(),
			`UPDATE deals SET created_at = now() - make_interval(days => $3) WHERE organization_id = $1 AND id = $2`,
			tm.Org, d.Id, daysAgo)
		require.NoError(t, err)
		require.EqualValues(t, 1, tag.RowsAffected())
	}
}

// summary asks for the deal summary as u in org; days nil leaves the parameter out.
func analyticsSummary(t *testing.T, app *apptest.App, days *int32, editors ...client.RequestEditorFn) *client.GetDealSummaryResponse {
	t.Helper()
	res, err := app.Client.GetDealSummaryWithResponse(t.Context(), &client.GetDealSummaryParams{Days: days}, editors...)
	require.NoError(t, err)
	return res
}

func analyticsFunnel(t *testing.T, app *apptest.App, editors ...client.RequestEditorFn) *client.GetDealFunnelResponse {
	t.Helper()
	res, err := app.Client.GetDealFunnelWithResponse(t.Context(), editors...)
	require.NoError(t, err)
	return res
}

// analyticsOK asserts a 200 whose JSON body equals want, number for number.
func analyticsOK(t *testing.T, res *http.Response, body []byte, want string) {
	t.Helper()
	require.Equal(t, http.StatusOK, res.StatusCode, "body: %s", body)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.JSONEq(t, want, string(body))
}

func TestAnalytics_EveryRoleReadsExactNumbers(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			u := f.As(t, role)
			res := analyticsSummary(t, f.App, nil, u.In(f.Org)...)
			analyticsOK(t, res.HTTPResponse, res.Body, analyticsAllSummary)

			fres := analyticsFunnel(t, f.App, u.In(f.Org)...)
			analyticsOK(t, fres.HTTPResponse, fres.Body, analyticsAllFunnel)
		})
	}
}

// JSONEq compares numbers as floats; the wire text must also be the exact 2-decimal amount.
func TestAnalytics_SummaryAmountsAreExactDecimalsOnTheWire(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	res := analyticsSummary(t, f.App, nil, f.Owner.In(f.Org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	for _, frag := range []string{
		`{"currency":"USD","total":3010.35}`,
		`{"currency":"GBP","total":0.00}`,
		`{"currency":"EUR","total":15000.00}`,
		`{"average":750.42,"currency":"USD"}`,
	} {
		assert.Contains(t, string(res.Body), frag)
	}
	require.NotNil(t, res.JSON200)
	assert.Equal(t, "3010.35", res.JSON200.ByStatus[0].Amounts[0].Total.StringFixed(2))
	assert.Equal(t, "1500.83", res.JSON200.ByStatus[2].Amounts[1].Total.StringFixed(2))
}

func TestAnalytics_NewDealsCountsTheRequestedPeriod(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	// created: 6 deals now, d4 10 days ago, d5 and d6 40 days ago, m3 400 days ago.
	tests := []struct {
		days *int32
		want int64
	}{
		{apptest.Ptr[int32](1), 5},
		{apptest.Ptr[int32](9), 5},
		{apptest.Ptr[int32](11), 6},
		{nil, 6}, // default 30
		{apptest.Ptr[int32](30), 6},
		{apptest.Ptr[int32](39), 6},
		{apptest.Ptr[int32](41), 8},
		{apptest.Ptr[int32](365), 8},
	}
	for _, tt := range tests {
		name := "default"
		if tt.days != nil {
			name = fmt.Sprint(*tt.days)
		}
		t.Run(name, func(t *testing.T) {
			res := analyticsSummary(t, f.App, tt.days, f.Manager(t).In(f.Org)...)
			require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
			wantDays := int32(30)
			if tt.days != nil {
				wantDays = *tt.days
			}
			assert.Equal(t, wantDays, res.JSON200.NewDeals.Days)
			assert.Equal(t, tt.want, res.JSON200.NewDeals.Count)
			// The period changes new_deals only: the rest of the summary counts every deal.
			var got, all map[string]any
			require.NoError(t, json.Unmarshal(res.Body, &got))
			require.NoError(t, json.Unmarshal([]byte(analyticsAllSummary), &all))
			assert.Equal(t, all["by_status"], got["by_status"])
			assert.Equal(t, all["won_average"], got["won_average"])
		})
	}
}

func TestAnalytics_SummaryRejectsDaysOutOfRange(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	for _, days := range []int32{0, -1, 366, 100000} {
		t.Run(fmt.Sprint(days), func(t *testing.T) {
			res := analyticsSummary(t, f.App, apptest.Ptr(days), f.Owner.In(f.Org)...)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, res.ApplicationproblemJSON400)
			require.NotNil(t, p.Errors)
			require.NotEmpty(t, *p.Errors)
			assert.Equal(t, "days", (*p.Errors)[0].Field)
		})
	}
	for _, raw := range []string{"abc", "1.5", ""} {
		t.Run("raw "+raw, func(t *testing.T) {
			res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/analytics/deals/summary?days=" + raw, Token: f.Owner.Access, Org: f.Org})
			p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, p.Errors)
			require.NotEmpty(t, *p.Errors)
			assert.Equal(t, "days", (*p.Errors)[0].Field)
		})
	}
}

// The outsider's own analytics count only the outsider's deals, and the organization's never count
// the outsider's (the fixture's constants would not match otherwise).
func TestAnalytics_AnotherOrganizationsDealsAreNeverCounted(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	res := analyticsSummary(t, f.App, nil, f.Owner.In(f.Org)...)
	analyticsOK(t, res.HTTPResponse, res.Body, analyticsAllSummary)
	assert.NotContains(t, string(res.Body), "77777.77")
	assert.NotContains(t, string(res.Body), "55555.55")

	res = analyticsSummary(t, f.App, nil, f.Outsider(t).In(f.Outsider(t).OrgID)...)
	analyticsOK(t, res.HTTPResponse, res.Body, `{
  "by_status": [
    {"status": "new", "count": 2, "amounts": [{"currency": "EUR", "total": 55555.55}, {"currency": "USD", "total": 77777.77}]},
    {"status": "in_progress", "count": 2, "amounts": [{"currency": "EUR", "total": 55555.55}, {"currency": "USD", "total": 77777.77}]},
    {"status": "won", "count": 2, "amounts": [{"currency": "EUR", "total": 55555.55}, {"currency": "USD", "total": 77777.77}]},
    {"status": "lost", "count": 2, "amounts": [{"currency": "EUR", "total": 55555.55}, {"currency": "USD", "total": 77777.77}]}
  ],
  "won_average": [{"currency": "EUR", "average": 55555.55}, {"currency": "USD", "average": 77777.77}],
  "new_deals": {"days": 30, "count": 8}
}`)
	fres := analyticsFunnel(t, f.App, f.Outsider(t).In(f.Outsider(t).OrgID)...)
	analyticsOK(t, fres.HTTPResponse, fres.Body, `{"stages": [
  {"stage": "qualification", "count": 4, "by_status": {"new": 1, "in_progress": 1, "won": 1, "lost": 1}, "reached": 8, "conversion_from_previous": null},
  {"stage": "proposal", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 4, "conversion_from_previous": 50.00},
  {"stage": "negotiation", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 4, "conversion_from_previous": 100.00},
  {"stage": "closed", "count": 4, "by_status": {"new": 1, "in_progress": 1, "won": 1, "lost": 1}, "reached": 4, "conversion_from_previous": 100.00}
]}`)
}

func TestAnalytics_MembersSeeOnlyTheirOwnDealsWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	f := newAnalyticsTeam(t)
	f.MembersSeeAll(t, false)

	res := analyticsSummary(t, f.App, nil, f.Member(t).In(f.Org)...)
	analyticsOK(t, res.HTTPResponse, res.Body, analyticsMemberSummary)
	fres := analyticsFunnel(t, f.App, f.Member(t).In(f.Org)...)
	analyticsOK(t, fres.HTTPResponse, fres.Body, analyticsMemberFunnel)

	// The member's deal from 400 days ago is theirs too.
	res = analyticsSummary(t, f.App, apptest.Ptr[int32](365), f.Member(t).In(f.Org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.EqualValues(t, 2, res.JSON200.NewDeals.Count)

	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		t.Run(string(role)+" still sees everything", func(t *testing.T) {
			u := f.As(t, role)
			res := analyticsSummary(t, f.App, nil, u.In(f.Org)...)
			analyticsOK(t, res.HTTPResponse, res.Body, analyticsAllSummary)
			fres := analyticsFunnel(t, f.App, u.In(f.Org)...)
			analyticsOK(t, fres.HTTPResponse, fres.Body, analyticsAllFunnel)
		})
	}

	// Turning the setting back on shows the member the whole organization again.
	f.MembersSeeAll(t, true)
	res = analyticsSummary(t, f.App, nil, f.Member(t).In(f.Org)...)
	analyticsOK(t, res.HTTPResponse, res.Body, analyticsAllSummary)
}

// Visibility follows owner_id, not who created the deal: a deal a manager gives to the member counts
// in the member's own analytics, and a member with no deals sees an empty, zero-filled answer.
func TestAnalytics_MemberVisibilityFollowsTheDealOwner(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org := tm.App, tm.Org
	manager, member, idle := tm.Manager(t), tm.Member(t), tm.Member2(t)
	tm.MembersSeeAll(t, false)

	c := app.NewContact(t, manager, org, "Grace")
	app.Deal(t, manager, org, &apptest.DealOptions{Title: "given", Amount: "1000.10", ContactID: &c.Id, OwnerID: &member.ID})
	app.NewDeal(t, manager, org, "kept", "2000.25")

	res := analyticsSummary(t, app, nil, member.In(org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.EqualValues(t, 1, res.JSON200.ByStatus[0].Count)
	assert.Contains(t, string(res.Body), `{"currency":"USD","total":1000.10}`)
	assert.NotContains(t, string(res.Body), "2000.25")

	res = analyticsSummary(t, app, nil, manager.In(org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.EqualValues(t, 2, res.JSON200.ByStatus[0].Count)
	assert.Contains(t, string(res.Body), `{"currency":"USD","total":3000.35}`)

	res = analyticsSummary(t, app, nil, idle.In(org)...)
	analyticsOK(t, res.HTTPResponse, res.Body, analyticsEmptySummary)
	fres := analyticsFunnel(t, app, idle.In(org)...)
	analyticsOK(t, fres.HTTPResponse, fres.Body, analyticsEmptyFunnel)
}

func TestAnalytics_EmptyOrganizationIsZeroFilled(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	res := analyticsSummary(t, app, nil, owner.In(owner.OrgID)...)
	analyticsOK(t, res.HTTPResponse, res.Body, analyticsEmptySummary)
	fres := analyticsFunnel(t, app, owner.In(owner.OrgID)...)
	analyticsOK(t, fres.HTTPResponse, fres.Body, analyticsEmptyFunnel)
}

// Analytics follow every change of the deals: a status or stage move, a new amount, a deletion.
func TestAnalytics_FollowDealChanges(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	org := owner.OrgID
	a := app.NewDeal(t, owner, org, "a", "1000.10")
	b := app.NewDeal(t, owner, org, "b", "2000.25")
	c := app.NewDeal(t, owner, org, "c", "1.00")

	won, closed := client.DealStatusWon, client.DealStageClosed
	app.UpdateDeal(t, owner, org, a.Id, client.DealUpdate{Status: &won, Stage: &closed})
	app.UpdateDeal(t, owner, org, b.Id, client.DealUpdate{Status: &won, Stage: &closed})
	del, err := app.Client.DeleteDealWithResponse(t.Context(), c.Id, owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)

	res := analyticsSummary(t, app, nil, owner.In(org)...)
	analyticsOK(t, res.HTTPResponse, res.Body, `{
  "by_status": [
    {"status": "new", "count": 0, "amounts": []},
    {"status": "in_progress", "count": 0, "amounts": []},
    {"status": "won", "count": 2, "amounts": [{"currency": "USD", "total": 3000.35}]},
    {"status": "lost", "count": 0, "amounts": []}
  ],
  "won_average": [{"currency": "USD", "average": 1500.18}],
  "new_deals": {"days": 30, "count": 2}
}`)
	fres := analyticsFunnel(t, app, owner.In(org)...)
	analyticsOK(t, fres.HTTPResponse, fres.Body, `{"stages": [
  {"stage": "qualification", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 2, "conversion_from_previous": null},
  {"stage": "proposal", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 2, "conversion_from_previous": 100.00},
  {"stage": "negotiation", "count": 0, "by_status": {"new": 0, "in_progress": 0, "won": 0, "lost": 0}, "reached": 2, "conversion_from_previous": 100.00},
  {"stage": "closed", "count": 2, "by_status": {"new": 0, "in_progress": 0, "won": 2, "lost": 0}, "reached": 2, "conversion_from_previous": 100.00}
]}`)

	// A new amount on a won deal changes the sums and the average; the conversion rounds 1/3.
	amt := money.MustParse("0.01")
	app.UpdateDeal(t, owner, org, b.Id, client.DealUpdate{Amount: &amt})
	app.NewDeal(t, owner, org, "d", "5.00")
	res = analyticsSummary(t, app, nil, owner.In(org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.Contains(t, string(res.Body), `{"amounts":[{"currency":"USD","total":1000.11}],"count":2,"status":"won"}`)
	assert.Contains(t, string(res.Body), `"won_average":[{"average":500.06,"currency":"USD"}]`)
	fres = analyticsFunnel(t, app, owner.In(org)...)
	require.Equal(t, http.StatusOK, fres.StatusCode(), "body: %s", fres.Body)
	require.Len(t, fres.JSON200.Stages, 4)
	assert.EqualValues(t, 3, fres.JSON200.Stages[0].Reached)
	conv, err := fres.JSON200.Stages[1].ConversionFromPrevious.Get()
	require.NoError(t, err)
	assert.Equal(t, 66.67, conv)
}

// The period's edge is an instant, not a day: a deal created a minute inside it counts, one a
// minute outside does not, whatever the day buckets behind the count.
func TestAnalytics_NewDealsPeriodEndsAtAnInstant(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	inside := tm.App.Deal(t, tm.Owner, tm.Org, &apptest.DealOptions{Title: "inside"})
	outside := tm.App.Deal(t, tm.Owner, tm.Org, &apptest.DealOptions{Title: "outside"})
	tm.App.Deal(t, tm.Owner, tm.Org, &apptest.DealOptions{Title: "now"})
	for id, minutes := range map[uuid.UUID]int{inside.Id: 7*24*60 - 1, outside.Id: 7*24*60 + 1} {
		_, err := tm.App.Pool.Exec(t.Context(),
			`UPDATE deals SET created_at = now() - make_interval(mins => $3) WHERE organization_id = $1 AND id = $2`, tm.Org, id, minutes)
		require.NoError(t, err)
	}
	res := analyticsSummary(t, tm.App, apptest.Ptr[int32](7), tm.Owner.In(tm.Org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.EqualValues(t, 2, res.JSON200.NewDeals.Count)
	res = analyticsSummary(t, tm.App, apptest.Ptr[int32](8), tm.Owner.In(tm.Org)...)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	assert.EqualValues(t, 3, res.JSON200.NewDeals.Count)
}
