package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
)

// The original assignment's scenario end to end, through the generated client, with every number
// of the analytics checked: register → create organization → add a member → contact → deal →
// task → comment → stage and status changes → timeline → analytics.
func TestScenario_OriginalAssignmentEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c := app.Client

	// Register: the owner and their first organization.
	ada := app.Register(t, "ada")

	// Create a second organization, where the work happens.
	orgRes, err := c.CreateOrganizationWithResponse(ctx, client.OrganizationCreate{Name: "Engines Ltd"}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, orgRes.StatusCode(), string(orgRes.Body))
	org := orgRes.JSON201.Id
	cur := "EUR"
	up, err := c.UpdateOrganizationWithResponse(ctx, org, client.OrganizationUpdate{Settings: &client.OrganizationSettingsUpdate{DefaultCurrency: &cur}}, ada.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, up.StatusCode(), string(up.Body))

	// Add a member.
	bob := app.Member(t, ada, org, "bob", client.RoleMember)
	me, err := c.GetMeWithResponse(ctx, bob.Auth())
	require.NoError(t, err)
	require.Len(t, me.JSON200.Memberships, 2)

	// Contact and deals (the currency defaults to the organization's EUR).
	charles := app.CreateContact(t, ada, org, client.ContactCreate{Name: "Charles Babbage", Email: apptest.Ptr("charles@example.com")})
	big := app.CreateDeal(t, ada, org, client.DealCreate{ContactId: charles.Id, Title: "Analytical engine", Amount: apptest.Amount("10000")})
	assert.Equal(t, "EUR", big.Currency)
	assert.Equal(t, client.DealStatusNew, big.Status)
	assert.Equal(t, client.DealStageQualification, big.Stage)
	small := app.CreateDeal(t, ada, org, client.DealCreate{ContactId: charles.Id, Title: "Spare gears", Amount: apptest.Amount("250.50"), Currency: apptest.Ptr("USD")})
	bobs := app.CreateDeal(t, bob, org, client.DealCreate{ContactId: charles.Id, Title: "Bob's lead", Amount: apptest.Amount("99.99")})

	// A task due tomorrow, and a comment.
	tomorrow := openapi_types.Date{Time: time.Now().UTC().AddDate(0, 0, 1)}
	task, err := c.CreateTaskWithResponse(ctx, client.TaskCreate{DealId: big.Id, Title: "Send the proposal", DueDate: &tomorrow}, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, task.StatusCode(), string(task.Body))
	comment, err := c.CreateActivityWithResponse(ctx, big.Id, client.ActivityCreate{Type: client.ActivityTypeComment, Payload: client.CommentPayload{Text: "Asked for a discount"}}, bob.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, comment.StatusCode(), string(comment.Body))

	// Through the funnel: the big deal is won, the small one lost at proposal.
	app.UpdateDeal(t, ada, org, big.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal), Status: apptest.Ptr(client.DealStatusInProgress)})
	app.UpdateDeal(t, ada, org, big.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageNegotiation)})
	won := app.UpdateDeal(t, ada, org, big.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageClosed), Status: apptest.Ptr(client.DealStatusWon)})
	assert.Equal(t, client.DealStatusWon, won.Status)
	app.UpdateDeal(t, ada, org, small.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal), Status: apptest.Ptr(client.DealStatusLost)})

	// The rules along the way.
	zero, err := c.UpdateDealWithResponse(ctx, big.Id, client.DealUpdate{Amount: apptest.Amount("0")}, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, zero.StatusCode())
	assert.Equal(t, "won_requires_positive_amount", zero.ApplicationproblemJSON400.Code)
	app.UpdateDeal(t, bob, org, bobs.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageNegotiation)})
	back, err := c.UpdateDealWithResponse(ctx, bobs.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal)}, bob.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, back.StatusCode())
	assert.Equal(t, "stage_rollback_forbidden", back.ApplicationproblemJSON403.Code)
	othersTask, err := c.CreateTaskWithResponse(ctx, client.TaskCreate{DealId: big.Id, Title: "Not mine"}, bob.In(org)...)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, othersTask.StatusCode())
	del, err := c.DeleteContactWithResponse(ctx, charles.Id, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusConflict, del.StatusCode())
	assert.Equal(t, "contact_has_deals", del.ApplicationproblemJSON409.Code)

	// The timeline, newest first.
	tl, err := c.ListActivitiesWithResponse(ctx, big.Id, nil, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, tl.StatusCode(), string(tl.Body))
	var types []client.ActivityType
	for _, a := range tl.JSON200.Items {
		types = append(types, a.Type)
	}
	assert.Equal(t, []client.ActivityType{
		client.ActivityTypeStageChanged, client.ActivityTypeStatusChanged, // closed, won
		client.ActivityTypeStageChanged,                                   // negotiation
		client.ActivityTypeStageChanged, client.ActivityTypeStatusChanged, // proposal, in_progress
		client.ActivityTypeComment, client.ActivityTypeTaskCreated, client.ActivityTypeDealCreated,
	}, types)
	wonEvent := tl.JSON200.Items[1]
	assert.Equal(t, map[string]any{"old_status": "in_progress", "new_status": "won"}, wonEvent.Payload)
	assert.Equal(t, ada.ID, wonEvent.AuthorId.MustGet())

	// Analytics: per currency, exact.
	sum, err := c.GetDealSummaryWithResponse(ctx, &client.GetDealSummaryParams{Days: apptest.Ptr(int32(30))}, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, sum.StatusCode(), string(sum.Body))
	s := sum.JSON200
	require.Len(t, s.ByStatus, 4)
	assertStatus(t, s.ByStatus[0], client.DealStatusNew, 1, "EUR", "99.99") // bob's deal moved stages, not status
	assertStatus(t, s.ByStatus[1], client.DealStatusInProgress, 0)
	assertStatus(t, s.ByStatus[2], client.DealStatusWon, 1, "EUR", "10000.00")
	assertStatus(t, s.ByStatus[3], client.DealStatusLost, 1, "USD", "250.50")
	require.Len(t, s.WonAverage, 1)
	assert.Equal(t, "EUR", s.WonAverage[0].Currency)
	assert.Equal(t, "10000.00", s.WonAverage[0].Average.String())
	assert.Equal(t, int64(3), s.NewDeals.Count)
	assert.Equal(t, int32(30), s.NewDeals.Days)

	fun, err := c.GetDealFunnelWithResponse(ctx, ada.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, fun.StatusCode(), string(fun.Body))
	st := fun.JSON200.Stages
	require.Len(t, st, 4)
	// qualification: 0 now, reached 3; proposal: small (lost), reached 3; negotiation: bob's,
	// reached 2; closed: big (won), reached 1.
	wantReached := []int64{3, 3, 2, 1}
	wantCount := []int64{0, 1, 1, 1}
	for i, stage := range []client.DealStage{client.DealStageQualification, client.DealStageProposal, client.DealStageNegotiation, client.DealStageClosed} {
		assert.Equal(t, stage, st[i].Stage)
		assert.Equal(t, wantCount[i], st[i].Count, stage)
		assert.Equal(t, wantReached[i], st[i].Reached, stage)
	}
	assert.True(t, st[0].ConversionFromPrevious.IsNull())
	assert.InDelta(t, 100.0, st[1].ConversionFromPrevious.MustGet(), 0.001)
	assert.InDelta(t, 66.67, st[2].ConversionFromPrevious.MustGet(), 0.001)
	assert.InDelta(t, 50.0, st[3].ConversionFromPrevious.MustGet(), 0.001)
	assert.Equal(t, client.StatusCounts{Won: 1}, st[3].ByStatus)
	assert.Equal(t, client.StatusCounts{Lost: 1}, st[1].ByStatus)
	assert.Equal(t, client.StatusCounts{New: 1}, st[2].ByStatus)

	// The member's own numbers equal the organization's while members see all...
	bobSum, err := c.GetDealSummaryWithResponse(ctx, nil, bob.In(org)...)
	require.NoError(t, err)
	assert.Equal(t, s.ByStatus, bobSum.JSON200.ByStatus)
	// ...and the registration organization of the owner has none of it.
	empty, err := c.GetDealSummaryWithResponse(ctx, nil, ada.In(ada.OrgID)...)
	require.NoError(t, err)
	for _, bs := range empty.JSON200.ByStatus {
		assert.Zero(t, bs.Count)
	}
}

func assertStatus(t *testing.T, got client.StatusSummary, status client.DealStatus, count int64, currencyTotal ...string) {
	t.Helper()
	assert.Equal(t, status, got.Status)
	assert.Equal(t, count, got.Count, status)
	require.Len(t, got.Amounts, len(currencyTotal)/2, status)
	for i := 0; i < len(currencyTotal); i += 2 {
		assert.Equal(t, currencyTotal[i], got.Amounts[i/2].Currency)
		assert.Equal(t, currencyTotal[i+1], got.Amounts[i/2].Total.String())
	}
}
