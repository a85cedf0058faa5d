package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/money"
	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ledgerRow is one row of a deal's stage history as stored.
type ledgerRow struct {
	FromStage, FromStatus *string
	ToStage, ToStatus     string
	ChangedAt             time.Time
	ChangedBy             *uuid.UUID
	StayStartedAt         *time.Time
	PreviousEntryAt       *time.Time
}

// ledger reads a deal's stage history, oldest first.
func ledger(t *testing.T, app *apptest.App, org, deal uuid.UUID) []ledgerRow {
	t.Helper()
	rows, err := app.Pool.Query(t.Context(), `
		SELECT from_stage, from_status, to_stage, to_status, changed_at, changed_by, stay_started_at, previous_entry_at
		FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2 ORDER BY changed_at, id`, org, deal)
	require.NoError(t, err)
	defer rows.Close()
	var out []ledgerRow
	for rows.Next() {
		var r ledgerRow
		require.NoError(t, rows.Scan(&r.FromStage, &r.FromStatus, &r.ToStage, &r.ToStatus, &r.ChangedAt, &r.ChangedBy, &r.StayStartedAt, &r.PreviousEntryAt))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestStageHistory_EveryStageAndStatusChangeIsRecordedWithItsAuthor(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org, owner, manager := tm.App, tm.Org, tm.Owner, tm.Manager(t)

	d := app.NewDeal(t, manager, org, "ledger", "100.00")
	h := ledger(t, app, org, d.Id)
	require.Len(t, h, 1, "the creation enters the initial stage")
	assert.Nil(t, h[0].FromStage)
	assert.Nil(t, h[0].FromStatus)
	assert.Equal(t, "qualification", h[0].ToStage)
	assert.Equal(t, "new", h[0].ToStatus)
	assert.True(t, h[0].ChangedAt.Equal(d.CreatedAt), "at the deal's created_at")
	assert.Equal(t, &manager.ID, h[0].ChangedBy)
	assert.Nil(t, h[0].StayStartedAt)

	// Neither a change of other fields nor a stage or status set to its current value is a change.
	title, amount := "renamed", money.MustParse("150.00")
	app.UpdateDeal(t, manager, org, d.Id, client.DealUpdate{Title: &title, Amount: &amount, Stage: &stQualification})
	require.Len(t, ledger(t, app, org, d.Id), 1)

	// A status change alone: recorded, but it ends no stay.
	d1 := app.UpdateDeal(t, manager, org, d.Id, client.DealUpdate{Status: &stsInProgress})
	// A stage and a status at once: one row, ending the stay that began at the creation.
	d2 := app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stClosed, Status: &stsWon})
	// A rollback (owners and admins) is a move like any other.
	d3 := app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stProposal})

	h = ledger(t, app, org, d.Id)
	require.Len(t, h, 4)
	assert.Equal(t, ledgerRow{FromStage: apptest.Ptr("qualification"), FromStatus: apptest.Ptr("new"),
		ToStage: "qualification", ToStatus: "in_progress", ChangedAt: h[1].ChangedAt, ChangedBy: &manager.ID}, h[1])
	assert.True(t, h[1].ChangedAt.Equal(d1.UpdatedAt), "at the deal's updated_at")
	assert.Equal(t, ledgerRow{FromStage: apptest.Ptr("qualification"), FromStatus: apptest.Ptr("in_progress"),
		ToStage: "closed", ToStatus: "won", ChangedAt: h[2].ChangedAt, ChangedBy: &owner.ID, StayStartedAt: h[2].StayStartedAt}, h[2])
	assert.True(t, h[2].ChangedAt.Equal(d2.UpdatedAt))
	require.NotNil(t, h[2].StayStartedAt)
	assert.True(t, h[2].StayStartedAt.Equal(d.CreatedAt), "the stay in qualification began at the creation")
	assert.Equal(t, "closed", *h[3].FromStage)
	assert.Equal(t, "proposal", h[3].ToStage)
	assert.Equal(t, "won", *h[3].FromStatus)
	assert.Equal(t, "won", h[3].ToStatus)
	assert.True(t, h[3].ChangedAt.Equal(d3.UpdatedAt))
	require.NotNil(t, h[3].StayStartedAt)
	assert.True(t, h[3].StayStartedAt.Equal(d2.UpdatedAt), "the stay in closed began with the move there")
}

// The ledger row is written in the transaction of the change: a refused change writes none, and a
// deleted deal takes its history along.
func TestStageHistory_RefusedChangesRecordNothingAndDeletionRemovesTheHistory(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	app, org, owner, manager := tm.App, tm.Org, tm.Owner, tm.Manager(t)
	d := app.NewDeal(t, owner, org, "refused", "0.00")
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stNegotiation})

	res, err := app.Client.UpdateDealWithResponse(t.Context(), d.Id, client.DealUpdate{Stage: &stProposal}, manager.In(org)...)
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "stage_rollback_forbidden")
	res, err = app.Client.UpdateDealWithResponse(t.Context(), d.Id, client.DealUpdate{Status: &stsWon, Stage: &stClosed}, owner.In(org)...)
	require.NoError(t, err)
	problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "won_requires_positive_amount")
	require.Len(t, ledger(t, app, org, d.Id), 2)

	del, err := app.Client.DeleteDealWithResponse(t.Context(), d.Id, owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, del.StatusCode(), "body: %s", del.Body)
	assert.Empty(t, ledger(t, app, org, d.Id))
}

// insertStays replaces a deal's history, made through the API, by rows the test writes itself: the
// creation at now() - start, then each move to the next stage after the stay's length; the deal
// itself was moved through the same stages by the API, so that its current stage agrees.
func insertStays(t *testing.T, app *apptest.App, org, deal uuid.UUID, start time.Duration, stays ...time.Duration) {
	t.Helper()
	ctx := t.Context()
	_, err := app.Pool.Exec(ctx, `DELETE FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2`, org, deal)
	require.NoError(t, err)
	_, err = app.Pool.Exec(ctx, `
		INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status, changed_at)
		VALUES ($1, gen_random_uuid(), $2, NULL, 'qualification', NULL, 'new', now() - make_interval(secs => $3))`,
		org, deal, start.Seconds())
	require.NoError(t, err)
	stages := []string{"qualification", "proposal", "negotiation", "closed"}
	at := start
	for i, stay := range stays {
		_, err = app.Pool.Exec(ctx, `
			INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status,
			                                changed_at, stay_started_at)
			VALUES ($1, gen_random_uuid(), $2, $3, $4, 'new', 'new',
			        now() - make_interval(secs => $5), now() - make_interval(secs => $6))`,
			org, deal, stages[i], stages[i+1], (at - stay).Seconds(), at.Seconds())
		require.NoError(t, err)
		at -= stay
	}
}

// Means and medians are exact to the microsecond and rounded half away from zero to 2 decimals;
// the median of an even count is the mean of the two middle stays.
func TestSalesAnalytics_TimeInStageIsRoundedTo2Decimals(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	org := owner.OrgID
	const ms = time.Millisecond
	for _, d := range []struct {
		now   client.DealStage
		stays []time.Duration
	}{
		{stClosed, []time.Duration{10 * time.Second, 3 * ms, 1500 * ms}},
		{stClosed, []time.Duration{10 * time.Second, 7 * ms, 2250 * ms}},
		{stProposal, []time.Duration{11 * time.Second}},
	} {
		deal := app.NewDeal(t, owner, org, "stays", "1.00")
		app.UpdateDeal(t, owner, org, deal.Id, client.DealUpdate{Stage: &d.now})
		insertStays(t, app, org, deal.Id, time.Hour, d.stays...)
	}
	// qualification 10 s, 10 s, 11 s: mean 10.333… → 10.33, median 10.
	// proposal 3 ms, 7 ms: mean and median 0.005 → 0.01 (half away from zero).
	// negotiation 1.5 s, 2.25 s: mean and median 1.875 → 1.88.
	s := stageStats(t, app, nil, owner.In(org)...)
	analyticsOK(t, s.HTTPResponse, s.Body, `{"days": 90, "stages": [
  {"stage": "qualification", "entered": 3, "exited": 3, "current": 0, "avg_seconds_in_stage": 10.33, "median_seconds_in_stage": 10.00},
  {"stage": "proposal", "entered": 3, "exited": 2, "current": 1, "avg_seconds_in_stage": 0.01, "median_seconds_in_stage": 0.01},
  {"stage": "negotiation", "entered": 2, "exited": 2, "current": 0, "avg_seconds_in_stage": 1.88, "median_seconds_in_stage": 1.88},
  {"stage": "closed", "entered": 2, "exited": 0, "current": 2, "avg_seconds_in_stage": null, "median_seconds_in_stage": null}
]}`)
}

// A deal that enters a stage again (after a rollback) counts once among the deals that entered it in
// a window, and once in a window that holds only its second entry.
func TestSalesAnalytics_ADealEntersAStageOncePerWindow(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "owner")
	org := owner.OrgID
	d := app.NewDeal(t, owner, org, "back and forth", "10.00")
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stProposal})
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stQualification})
	app.UpdateDeal(t, owner, org, d.Id, client.DealUpdate{Stage: &stProposal})
	h := ledger(t, app, org, d.Id)
	require.Len(t, h, 4)
	for i, prev := range []*time.Time{nil, nil, &h[0].ChangedAt, &h[1].ChangedAt} {
		assert.Equal(t, prev, h[i].PreviousEntryAt, "row %d: the deal's previous entry into %s", i, h[i].ToStage)
	}
	retime(t, app, org, d.Id, 10*day, 8*day, 6*day, 4*day)

	const twoDays = 172800.00
	for _, tt := range []struct {
		days             int32
		qualIn, propIn   int64
		qualOut, propOut int64
	}{
		{90, 1, 1, 2, 1}, // qualification entered at 10 and 6 d, proposal at 8 and 4 d
		{7, 1, 1, 1, 1},  // the second entries, whose first ones are older than the window
		{5, 0, 1, 1, 0},  // only the second entry into proposal
	} {
		s := stageStats(t, app, apptest.Ptr(tt.days), owner.In(org)...)
		require.Equal(t, http.StatusOK, s.StatusCode(), "body: %s", s.Body)
		q, p := s.JSON200.Stages[0], s.JSON200.Stages[1]
		assert.Equal(t, []int64{tt.qualIn, tt.propIn, tt.qualOut, tt.propOut}, []int64{q.Entered, p.Entered, q.Exited, p.Exited}, "days=%d", tt.days)
		for _, st := range []client.StageStats{q, p} {
			if st.Exited > 0 {
				assert.Equal(t, nullable.NewNullableWithValue(twoDays), st.AvgSecondsInStage, "days=%d %s", tt.days, st.Stage)
				assert.Equal(t, nullable.NewNullableWithValue(twoDays), st.MedianSecondsInStage, "days=%d %s", tt.days, st.Stage)
			}
		}
		assert.EqualValues(t, 1, p.Current)
	}
}
