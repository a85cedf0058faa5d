package httpapi_test

import (
	"fmt"
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

// The deals' stages and statuses by value: the tests do not depend on the client's enum names.
var (
	stQualification = client.DealStage("qualification")
	stProposal      = client.DealStage("proposal")
	stNegotiation   = client.DealStage("negotiation")
	stClosed        = client.DealStage("closed")
	stsInProgress   = client.DealStatus("in_progress")
	stsWon          = client.DealStatus("won")
	stsLost         = client.DealStatus("lost")
)

const day = 24 * time.Hour

// retime rewrites the times of a deal's history, which the test made through the API a moment ago:
// the i-th ledger row (oldest first) happened ages[i] ago, the deal was created ages[0] ago, and
// every row that ends a stay starts it at the deal's previous stage-entering row and remembers the
// deal's previous entry into its stage, as the service writes them. All of it relative to one now(), so the elapsed times are exact.
func retime(t *testing.T, app *apptest.App, org, deal uuid.UUID, ages ...time.Duration) {
	t.Helper()
	secs := make([]float64, len(ages))
	for i, a := range ages {
		secs[i] = a.Seconds()
	}
	ctx := t.Context()
	tx, err := app.Pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var rows int
	require.NoError(t, tx.QueryRow(ctx,
		`SELECT count(*) FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2`, org, deal).Scan(&rows))
	require.Equal(t, len(ages), rows, "one age per ledger row of the deal")
	_, err = tx.Exec(ctx, `
		WITH r AS (
		    SELECT id, row_number() OVER (ORDER BY changed_at, id) AS n
		    FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2)
		UPDATE deal_stage_history h SET changed_at = now() - make_interval(secs => ($3::float8[])[r.n])
		FROM r WHERE h.organization_id = $1 AND h.id = r.id`, org, deal, secs)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `
		UPDATE deal_stage_history h SET
		    stay_started_at = (
		        SELECT max(p.changed_at) FROM deal_stage_history p
		        WHERE p.organization_id = h.organization_id AND p.deal_id = h.deal_id
		          AND p.from_stage IS DISTINCT FROM p.to_stage AND p.changed_at < h.changed_at),
		    previous_entry_at = (
		        SELECT max(p.changed_at) FROM deal_stage_history p
		        WHERE p.organization_id = h.organization_id AND p.deal_id = h.deal_id AND p.to_stage = h.to_stage
		          AND p.from_stage IS DISTINCT FROM p.to_stage AND p.changed_at < h.changed_at)
		WHERE h.organization_id = $1 AND h.deal_id = $2 AND h.from_stage <> h.to_stage`, org, deal)
	require.NoError(t, err)
	tag, err := tx.Exec(ctx, `UPDATE deals SET created_at = now() - make_interval(secs => $3)
		WHERE organization_id = $1 AND id = $2`, org, deal, secs[0])
	require.NoError(t, err)
	require.EqualValues(t, 1, tag.RowsAffected())
	require.NoError(t, tx.Commit(ctx))
}

// salesTeam is a team whose deals have this history (days ago; USD unless noted):
//
//	A  owner   1000.00      created 32 (qualification); proposal 20; negotiation 15;
//	                        in_progress 12 (status only); closed and won 10
//	B  owner    500.00      created 100; proposal 50; lost 40 (status only, stays in proposal)
//	C  member   250.50      created 5; proposal 2 (open, new)
//	D  owner    800.00 EUR  created 60; closed and won 6
//	E  owner     99.99      created 1 (open, new, qualification)
//
// and an outsider whose own organization has deals of every kind made just now, which would show
// in every figure they leaked into.
func salesTeam(t *testing.T) *apptest.Team {
	t.Helper()
	tm := apptest.NewTeam(t, nil)
	app, org, owner, member := tm.App, tm.Org, tm.Owner, tm.Member(t)
	up := func(u apptest.User, d client.Deal, stage *client.DealStage, status *client.DealStatus) {
		app.UpdateDeal(t, u, org, d.Id, client.DealUpdate{Stage: stage, Status: status})
	}
	a := app.Deal(t, owner, org, &apptest.DealOptions{Title: "A", Amount: "1000.00", Currency: "USD"})
	up(owner, a, &stProposal, nil)
	up(owner, a, &stNegotiation, nil)
	up(owner, a, nil, &stsInProgress)
	up(owner, a, &stClosed, &stsWon)
	retime(t, app, org, a.Id, 32*day, 20*day, 15*day, 12*day, 10*day)

	b := app.Deal(t, owner, org, &apptest.DealOptions{Title: "B", Amount: "500.00", Currency: "USD"})
	up(owner, b, &stProposal, nil)
	up(owner, b, nil, &stsLost)
	retime(t, app, org, b.Id, 100*day, 50*day, 40*day)

	c := app.Deal(t, member, org, &apptest.DealOptions{Title: "C", Amount: "250.50", Currency: "USD"})
	up(member, c, &stProposal, nil)
	retime(t, app, org, c.Id, 5*day, 2*day)

	d := app.Deal(t, owner, org, &apptest.DealOptions{Title: "D", Amount: "800.00", Currency: "EUR"})
	up(owner, d, &stClosed, &stsWon)
	retime(t, app, org, d.Id, 60*day, 6*day)

	e := app.Deal(t, owner, org, &apptest.DealOptions{Title: "E", Amount: "99.99", Currency: "USD"})
	retime(t, app, org, e.Id, 1*day)

	out := tm.Outsider(t)
	for i, st := range []client.DealStatus{client.DealStatus("new"), stsInProgress, stsWon, stsLost} {
		app.Deal(t, out, out.OrgID, &apptest.DealOptions{Title: fmt.Sprintf("x%d", i), Amount: "77777.77",
			Currency: "USD", Status: st, Stage: stClosed})
	}
	return tm
}

func stageStats(t *testing.T, app *apptest.App, days *int32, editors ...client.RequestEditorFn) *client.GetDealStageStatsResponse {
	t.Helper()
	res, err := app.Client.GetDealStageStatsWithResponse(t.Context(), &client.GetDealStageStatsParams{Days: days}, editors...)
	require.NoError(t, err)
	return res
}

func velocity(t *testing.T, app *apptest.App, days *int32, editors ...client.RequestEditorFn) *client.GetDealVelocityResponse {
	t.Helper()
	res, err := app.Client.GetDealVelocityWithResponse(t.Context(), &client.GetDealVelocityParams{Days: days}, editors...)
	require.NoError(t, err)
	return res
}

func forecast(t *testing.T, app *apptest.App, editors ...client.RequestEditorFn) *client.GetDealForecastResponse {
	t.Helper()
	res, err := app.Client.GetDealForecastWithResponse(t.Context(), editors...)
	require.NoError(t, err)
	return res
}

// Stays ended in 90 days: qualification A 12 d, B 50 d, C 3 d, D 54 d; proposal A 5 d; negotiation
// A 5 d (A's status change at 12 d ends nothing). Qualification: mean 119 d / 4 = 29.75 d =
// 2570400 s, median (12 d + 50 d) / 2 = 31 d = 2678400 s. B was created before the window.
const salesStages90 = `{"days": 90, "stages": [
  {"stage": "qualification", "entered": 4, "exited": 4, "current": 1, "avg_seconds_in_stage": 2570400.00, "median_seconds_in_stage": 2678400.00},
  {"stage": "proposal", "entered": 3, "exited": 1, "current": 1, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "negotiation", "entered": 1, "exited": 1, "current": 0, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "closed", "entered": 2, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`

// USD: opened A, C, E; won A (cycle 22 d); lost B: 3 × 1000 × 0.5 / 22 = 68.18.
// EUR: opened D; won D (cycle 54 d): 1 × 800 × 1 / 54 = 14.81.
const salesVelocity90 = `{"days": 90, "currencies": [
  {"currency": "EUR", "opened": 1, "won": 1, "lost": 0, "win_rate": 100.00, "won_amount": 800.00, "average_won_amount": 800.00, "average_cycle_days": 54.00, "velocity_per_day": 14.81},
  {"currency": "USD", "opened": 3, "won": 1, "lost": 1, "win_rate": 50.00, "won_amount": 1000.00, "average_won_amount": 1000.00, "average_cycle_days": 22.00, "velocity_per_day": 68.18}
]}`

// Open: C 250.50 in proposal (30 %), E 99.99 in qualification (10 %): 75.15 + 9.999 = 85.149.
const salesForecast = `{"currencies": [
  {"currency": "USD", "open_deals": 2, "pipeline_amount": 350.49, "weighted_amount": 85.15}
]}`

func TestSalesAnalytics_EveryRoleReadsExactFiguresFromTheHistory(t *testing.T) {
	t.Parallel()
	tm := salesTeam(t)
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			u := tm.As(t, role)
			s := stageStats(t, tm.App, nil, u.In(tm.Org)...)
			analyticsOK(t, s.HTTPResponse, s.Body, salesStages90)
			v := velocity(t, tm.App, nil, u.In(tm.Org)...)
			analyticsOK(t, v.HTTPResponse, v.Body, salesVelocity90)
			f := forecast(t, tm.App, u.In(tm.Org)...)
			analyticsOK(t, f.HTTPResponse, f.Body, salesForecast)
		})
	}
}

func TestSalesAnalytics_TheWindowChoosesTheHistory(t *testing.T) {
	t.Parallel()
	tm := salesTeam(t)
	tests := []struct {
		days             int32
		stages, velocity string
	}{
		// Stays ended in 30 days: qualification A 12 d, C 3 d, D 54 d (mean 23 d, median 12 d).
		// USD: opened C, E; won A: 2 × 1000 × 1 / 22 = 90.91. EUR: won D, none opened: velocity 0.
		{30, `{"days": 30, "stages": [
  {"stage": "qualification", "entered": 2, "exited": 3, "current": 1, "avg_seconds_in_stage": 1987200.00, "median_seconds_in_stage": 1036800.00},
  {"stage": "proposal", "entered": 2, "exited": 1, "current": 1, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "negotiation", "entered": 1, "exited": 1, "current": 0, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "closed", "entered": 2, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`, `{"days": 30, "currencies": [
  {"currency": "EUR", "opened": 0, "won": 1, "lost": 0, "win_rate": 100.00, "won_amount": 800.00, "average_won_amount": 800.00, "average_cycle_days": 54.00, "velocity_per_day": 0.00},
  {"currency": "USD", "opened": 2, "won": 1, "lost": 0, "win_rate": 100.00, "won_amount": 1000.00, "average_won_amount": 1000.00, "average_cycle_days": 22.00, "velocity_per_day": 90.91}
]}`},
		// Only C's move (3 d in qualification) and E's creation; nothing won or lost: every ratio null.
		{3, `{"days": 3, "stages": [
  {"stage": "qualification", "entered": 1, "exited": 1, "current": 1, "avg_seconds_in_stage": 259200.00, "median_seconds_in_stage": 259200.00},
  {"stage": "proposal", "entered": 1, "exited": 0, "current": 1, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "negotiation", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "closed", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`, `{"days": 3, "currencies": [
  {"currency": "USD", "opened": 1, "won": 0, "lost": 0, "win_rate": null, "won_amount": 0.00, "average_won_amount": null, "average_cycle_days": null, "velocity_per_day": null}
]}`},
		// B's creation (100 d ago) enters too: 4 × 1000 × 0.5 / 22 = 90.91.
		{365, `{"days": 365, "stages": [
  {"stage": "qualification", "entered": 5, "exited": 4, "current": 1, "avg_seconds_in_stage": 2570400.00, "median_seconds_in_stage": 2678400.00},
  {"stage": "proposal", "entered": 3, "exited": 1, "current": 1, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "negotiation", "entered": 1, "exited": 1, "current": 0, "avg_seconds_in_stage": 432000.00, "median_seconds_in_stage": 432000.00},
  {"stage": "closed", "entered": 2, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`, `{"days": 365, "currencies": [
  {"currency": "EUR", "opened": 1, "won": 1, "lost": 0, "win_rate": 100.00, "won_amount": 800.00, "average_won_amount": 800.00, "average_cycle_days": 54.00, "velocity_per_day": 14.81},
  {"currency": "USD", "opened": 4, "won": 1, "lost": 1, "win_rate": 50.00, "won_amount": 1000.00, "average_won_amount": 1000.00, "average_cycle_days": 22.00, "velocity_per_day": 90.91}
]}`},
		{90, salesStages90, salesVelocity90},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.days), func(t *testing.T) {
			s := stageStats(t, tm.App, apptest.Ptr(tt.days), tm.Owner.In(tm.Org)...)
			analyticsOK(t, s.HTTPResponse, s.Body, tt.stages)
			v := velocity(t, tm.App, apptest.Ptr(tt.days), tm.Owner.In(tm.Org)...)
			analyticsOK(t, v.HTTPResponse, v.Body, tt.velocity)
		})
	}
}

func TestSalesAnalytics_DaysMustBeBetween1And365(t *testing.T) {
	t.Parallel()
	tm := salesTeam(t)
	for _, days := range []int32{0, -1, 366, 100000} {
		t.Run(fmt.Sprint(days), func(t *testing.T) {
			s := stageStats(t, tm.App, apptest.Ptr(days), tm.Owner.In(tm.Org)...)
			p := problemOf(t, s.HTTPResponse, s.Body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, s.ApplicationproblemJSON400)
			require.NotNil(t, p.Errors)
			require.NotEmpty(t, *p.Errors)
			assert.Equal(t, "days", (*p.Errors)[0].Field)

			v := velocity(t, tm.App, apptest.Ptr(days), tm.Owner.In(tm.Org)...)
			p = problemOf(t, v.HTTPResponse, v.Body, http.StatusBadRequest, "validation_failed")
			require.NotNil(t, v.ApplicationproblemJSON400)
			require.NotNil(t, p.Errors)
			require.NotEmpty(t, *p.Errors)
			assert.Equal(t, "days", (*p.Errors)[0].Field)
		})
	}
	for _, path := range []string{"/api/v1/analytics/deals/stages", "/api/v1/analytics/deals/velocity"} {
		for _, raw := range []string{"abc", "1.5", ""} {
			t.Run(path+" "+raw, func(t *testing.T) {
				res, body := tm.App.Do(t, apptest.Request{Path: path + "?days=" + raw, Token: tm.Owner.Access, Org: tm.Org})
				p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
				require.NotNil(t, p.Errors)
				require.NotEmpty(t, *p.Errors)
				assert.Equal(t, "days", (*p.Errors)[0].Field)
			})
		}
	}
	for _, days := range []int32{1, 365} {
		s := stageStats(t, tm.App, apptest.Ptr(days), tm.Owner.In(tm.Org)...)
		require.Equal(t, http.StatusOK, s.StatusCode(), "body: %s", s.Body)
		assert.Equal(t, days, s.JSON200.Days)
		v := velocity(t, tm.App, apptest.Ptr(days), tm.Owner.In(tm.Org)...)
		require.Equal(t, http.StatusOK, v.StatusCode(), "body: %s", v.Body)
		assert.Equal(t, days, v.JSON200.Days)
	}
}

// With members_see_all off a member counts only the deals they own now (C), like the summary and
// the funnel; the other roles still count every deal.
func TestSalesAnalytics_MembersCountOnlyTheirOwnDealsWhenMembersSeeAllIsOff(t *testing.T) {
	t.Parallel()
	tm := salesTeam(t)
	tm.MembersSeeAll(t, false)
	member := tm.Member(t)

	s := stageStats(t, tm.App, nil, member.In(tm.Org)...)
	analyticsOK(t, s.HTTPResponse, s.Body, `{"days": 90, "stages": [
  {"stage": "qualification", "entered": 1, "exited": 1, "current": 0, "avg_seconds_in_stage": 259200.00, "median_seconds_in_stage": 259200.00},
  {"stage": "proposal", "entered": 1, "exited": 0, "current": 1, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "negotiation", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "closed", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`)
	v := velocity(t, tm.App, nil, member.In(tm.Org)...)
	analyticsOK(t, v.HTTPResponse, v.Body, `{"days": 90, "currencies": [
  {"currency": "USD", "opened": 1, "won": 0, "lost": 0, "win_rate": null, "won_amount": 0.00, "average_won_amount": null, "average_cycle_days": null, "velocity_per_day": null}
]}`)
	f := forecast(t, tm.App, member.In(tm.Org)...)
	analyticsOK(t, f.HTTPResponse, f.Body, `{"currencies": [{"currency": "USD", "open_deals": 1, "pipeline_amount": 250.50, "weighted_amount": 75.15}]}`)

	// A member without deals sees zero-filled stages and no currencies.
	idle := tm.Member2(t)
	s = stageStats(t, tm.App, nil, idle.In(tm.Org)...)
	analyticsOK(t, s.HTTPResponse, s.Body, `{"days": 90, "stages": [
  {"stage": "qualification", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "proposal", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "negotiation", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null},
  {"stage": "closed", "entered": 0, "exited": 0, "current": 0, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`)
	v = velocity(t, tm.App, nil, idle.In(tm.Org)...)
	analyticsOK(t, v.HTTPResponse, v.Body, `{"days": 90, "currencies": []}`)
	f = forecast(t, tm.App, idle.In(tm.Org)...)
	analyticsOK(t, f.HTTPResponse, f.Body, `{"currencies": []}`)

	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		u := tm.As(t, role)
		s := stageStats(t, tm.App, nil, u.In(tm.Org)...)
		analyticsOK(t, s.HTTPResponse, s.Body, salesStages90)
		v := velocity(t, tm.App, nil, u.In(tm.Org)...)
		analyticsOK(t, v.HTTPResponse, v.Body, salesVelocity90)
		f := forecast(t, tm.App, u.In(tm.Org)...)
		analyticsOK(t, f.HTTPResponse, f.Body, salesForecast)
	}

	// Visibility follows the owner now: A given to the member brings its whole history along.
	a := findDeal(t, tm, "A")
	app := tm.App
	app.UpdateDeal(t, tm.Owner, tm.Org, a, client.DealUpdate{OwnerId: &member.ID})
	v = velocity(t, app, nil, member.In(tm.Org)...)
	analyticsOK(t, v.HTTPResponse, v.Body, `{"days": 90, "currencies": [
  {"currency": "USD", "opened": 2, "won": 1, "lost": 0, "win_rate": 100.00, "won_amount": 1000.00, "average_won_amount": 1000.00, "average_cycle_days": 22.00, "velocity_per_day": 90.91}
]}`)
}

// findDeal is the id of the team organization's deal titled title.
func findDeal(t *testing.T, tm *apptest.Team, title string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, tm.App.Pool.QueryRow(t.Context(),
		`SELECT id FROM deals WHERE organization_id = $1 AND title = $2`, tm.Org, title).Scan(&id))
	return id
}

// defaultStageProbabilities are a new organization's.
var defaultStageProbabilities = client.StageProbabilities{Qualification: 10, Proposal: 30, Negotiation: 60, Closed: 90}

// stage_probabilities is merged by the settings PATCH (owners and admins), and the forecast weighs
// the open deals by it at once.
func TestSalesAnalytics_ForecastFollowsTheStageProbabilities(t *testing.T) {
	t.Parallel()
	tm := salesTeam(t)
	org := tm.Settings(t, client.OrganizationSettingsUpdate{StageProbabilities: &client.StageProbabilitiesUpdate{Qualification: apptest.Ptr[int32](5)}})
	assert.Equal(t, client.StageProbabilities{Qualification: 5, Proposal: 30, Negotiation: 60, Closed: 90}, org.Settings.StageProbabilities)
	// 250.50 × 30 % + 99.99 × 5 % = 75.15 + 4.9995 = 80.1495 → 80.15
	f := forecast(t, tm.App, tm.Member(t).In(tm.Org)...)
	analyticsOK(t, f.HTTPResponse, f.Body, `{"currencies": [{"currency": "USD", "open_deals": 2, "pipeline_amount": 350.49, "weighted_amount": 80.15}]}`)

	admin := tm.Admin(t)
	res, err := tm.App.Client.UpdateOrganizationWithResponse(t.Context(), tm.Org, client.OrganizationUpdate{
		Settings: &client.OrganizationSettingsUpdate{StageProbabilities: &client.StageProbabilitiesUpdate{
			Proposal: apptest.Ptr[int32](0), Closed: apptest.Ptr[int32](100),
		}},
	}, admin.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	want := client.StageProbabilities{Qualification: 5, Proposal: 0, Negotiation: 60, Closed: 100}
	assert.Equal(t, want, res.JSON200.Settings.StageProbabilities)
	got := orgsGet(t, tm.App, tm.Member(t), tm.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, want, got.JSON200.Settings.StageProbabilities)

	// An open deal at closed now weighs 100 %: 250.50 × 0 + 99.99 × 5 % + 10.00 × 100 % = 14.9995 → 15.00.
	d := tm.App.NewDeal(t, tm.Owner, tm.Org, "F", "10.00")
	tm.App.UpdateDeal(t, tm.Owner, tm.Org, d.Id, client.DealUpdate{Stage: &stClosed})
	f = forecast(t, tm.App, tm.Owner.In(tm.Org)...)
	analyticsOK(t, f.HTTPResponse, f.Body, `{"currencies": [{"currency": "USD", "open_deals": 3, "pipeline_amount": 360.49, "weighted_amount": 15.00}]}`)

	// Deals won, lost or deleted leave the pipeline.
	tm.App.UpdateDeal(t, tm.Owner, tm.Org, d.Id, client.DealUpdate{Status: &stsLost})
	f = forecast(t, tm.App, tm.Owner.In(tm.Org)...)
	analyticsOK(t, f.HTTPResponse, f.Body, `{"currencies": [{"currency": "USD", "open_deals": 2, "pipeline_amount": 350.49, "weighted_amount": 5.00}]}`)

	for _, role := range []client.Role{client.RoleManager, client.RoleMember} {
		u := tm.As(t, role)
		res, err := tm.App.Client.UpdateOrganizationWithResponse(t.Context(), tm.Org, client.OrganizationUpdate{
			Settings: &client.OrganizationSettingsUpdate{StageProbabilities: &client.StageProbabilitiesUpdate{Proposal: apptest.Ptr[int32](50)}},
		}, u.Auth())
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	}
	got = orgsGet(t, tm.App, tm.Owner, tm.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, want, got.JSON200.Settings.StageProbabilities)
}

func TestSalesAnalytics_StageProbabilitiesAreIntegersFrom0To100ForTheFunnelStages(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	for _, tc := range []struct{ name, body, field string }{
		{"above 100", `{"settings": {"stage_probabilities": {"proposal": 101}}}`, "settings.stage_probabilities.proposal"},
		{"negative", `{"settings": {"stage_probabilities": {"closed": -1}}}`, "settings.stage_probabilities.closed"},
		{"fraction", `{"settings": {"stage_probabilities": {"negotiation": 50.5}}}`, "settings.stage_probabilities.negotiation"},
		{"string", `{"settings": {"stage_probabilities": {"qualification": "10"}}}`, "settings.stage_probabilities.qualification"},
		{"null", `{"settings": {"stage_probabilities": {"qualification": null}}}`, "settings.stage_probabilities.qualification"},
		{"not a stage", `{"settings": {"stage_probabilities": {"won": 10}}}`, "settings.stage_probabilities.won"},
		{"empty", `{"settings": {"stage_probabilities": {}}}`, "settings.stage_probabilities"},
		{"not an object", `{"settings": {"stage_probabilities": [10, 30, 60, 90]}}`, "settings.stage_probabilities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tm.App.Client.UpdateOrganizationWithBodyWithResponse(t.Context(), tm.Org,
				"application/json", strings.NewReader(tc.body), tm.Owner.Auth())
			require.NoError(t, err)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "validation_failed")
			assert.Contains(t, fieldsOf(p), tc.field)
		})
	}
	got := orgsGet(t, tm.App, tm.Owner, tm.Org)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, defaultStageProbabilities, got.JSON200.Settings.StageProbabilities)
}

// The stage and velocity figures are remembered between requests (crm.figures), and still exact: a
// change of the deals, and a move or a creation leaving the window as time passes, each give new
// figures at once.
func TestSalesAnalytics_RememberedFiguresFollowTheDealsAndTheWindow(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org, owner := tm.App, tm.Org, tm.Owner
	d := app.Deal(t, owner, org, &apptest.DealOptions{Title: "Edge", Amount: "10.00"})
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stProposal})
	// Created just inside the 90-day window: it leaves it margin from now.
	const margin = 8 * time.Second
	leaves := time.Now().Add(margin)
	retime(t, app, org, d.Id, 90*day-margin, 10*day)

	entered := func(t *testing.T) map[string][2]int {
		t.Helper()
		res := stageStats(t, app, nil, owner.In(org)...)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		out := map[string][2]int{}
		for _, s := range res.JSON200.Stages {
			out[string(s.Stage)] = [2]int{int(s.Entered), int(s.Exited)}
		}
		return out
	}
	openedWon := func(t *testing.T) [][2]int64 {
		t.Helper()
		res := velocity(t, app, nil, owner.In(org)...)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		var out [][2]int64
		for _, c := range res.JSON200.Currencies {
			out = append(out, [2]int64{c.Opened, c.Won})
		}
		return out
	}
	first := entered(t)
	require.Equal(t, [2]int{1, 1}, first["qualification"], "created in the window, left it 10 days ago")
	require.Equal(t, first, entered(t), "the same figures again")
	require.Equal(t, [][2]int64{{1, 0}}, openedWon(t))
	require.Equal(t, [][2]int64{{1, 0}}, openedWon(t))

	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stNegotiation})
	moved := entered(t)
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Status: &stsWon})
	won := openedWon(t)
	require.True(t, time.Now().Before(leaves), "the test was too slow to see the deal in the window; raise margin")
	assert.Equal(t, [2]int{1, 1}, moved["proposal"], "a change of the deals is seen at once")
	assert.Equal(t, [2]int{1, 0}, moved["negotiation"])
	assert.Equal(t, [][2]int64{{1, 1}}, won, "a change of the deals is seen at once")

	time.Sleep(time.Until(leaves) + time.Second)
	assert.Equal(t, [2]int{0, 1}, entered(t)["qualification"], "the creation left the window: nothing else changed")
	assert.Equal(t, [][2]int64{{0, 1}}, openedWon(t), "the creation left the window, the win did not")
}
