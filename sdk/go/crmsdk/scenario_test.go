package crmsdk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/money"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScenario is the assignment's end-to-end story, through the SDK only: register, a second
// organization, a member, contact, deal, task, comment, the funnel moves, the timeline, analytics,
// and a member's forbidden stage rollback. The steps share state and run in order.
func TestScenario(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	var events tokenLog
	owner, _ := newSDK(t, app, crmsdk.WithTokenCallback(events.record))
	member, _ := newSDK(t, app)
	ownerEmail, memberEmail := uniqueEmail("ada"), uniqueEmail("grace")

	var (
		ownerUser, memberUser client.User
		org                   client.Organization
		contact               client.Contact
		deal                  client.Deal
		task                  client.Task
	)
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("register the owner and their organization", func(t *testing.T) {
		res, err := owner.Register(ctx, client.RegisterRequest{
			Email: ownerEmail, Password: password, Name: "Ada Lovelace", OrganizationName: "Analytical Engines",
		})
		require.NoError(t, err)
		ownerUser, org = res.User, res.Organization
		assert.Equal(t, ownerEmail, res.User.Email)
		assert.Equal(t, client.RegisterResultTokenTypeBearer, res.TokenType)
		assert.Equal(t, crmsdk.Tokens{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken}, owner.Tokens())
		assert.Equal(t, []crmsdk.Tokens{owner.Tokens()}, events.all())
		assert.Equal(t, res.Organization.Id, owner.Organization(), "Register selects the new organization")
	})

	step("log in again: a new session", func(t *testing.T) {
		before := owner.Tokens()
		res, err := owner.Login(ctx, ownerEmail, password)
		require.NoError(t, err)
		assert.Equal(t, ownerUser.Id, res.User.Id)
		assert.NotEqual(t, before.RefreshToken, owner.Tokens().RefreshToken)
		me, err := crmsdk.Ok(owner.GetMeWithResponse(ctx))
		require.NoError(t, err)
		require.Len(t, me.JSON200.Memberships, 1)
		assert.Equal(t, org.Id, me.JSON200.Memberships[0].OrganizationId)
		assert.Equal(t, client.RoleOwner, me.JSON200.Memberships[0].Role)
	})

	step("create a second organization", func(t *testing.T) {
		res, err := crmsdk.Ok(owner.CreateOrganizationWithResponse(ctx, client.OrganizationCreate{Name: "Difference Engines"}))
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode())
		second := res.JSON201
		assert.NotEqual(t, org.Id, second.Id)
		mine, err := crmsdk.Ok(owner.ListMyOrganizationsWithResponse(ctx))
		require.NoError(t, err)
		got := map[uuid.UUID]client.Role{}
		for _, o := range mine.JSON200.Items {
			got[o.Id] = o.Role
		}
		assert.Equal(t, map[uuid.UUID]client.Role{org.Id: client.RoleOwner, second.Id: client.RoleOwner}, got)
	})

	step("add a member", func(t *testing.T) {
		res, err := member.Register(ctx, client.RegisterRequest{
			Email: memberEmail, Password: password, Name: "Grace Hopper", OrganizationName: "Grace's own",
		})
		require.NoError(t, err)
		memberUser = res.User
		inv, err := owner.Invitations.Create(ctx, org.Id, client.InvitationCreate{Email: memberEmail, Role: client.RoleMember})
		require.NoError(t, err)
		joined, err := member.Invitations.Accept(ctx, inv.Token)
		require.NoError(t, err)
		assert.Equal(t, org.Id, joined.OrganizationId)
		assert.Equal(t, client.RoleMember, joined.Role)
		member.SetOrganization(org.Id)
	})

	step("tenant routes need the organization", func(t *testing.T) {
		owner.SetOrganization(uuid.Nil) // stops sending the header Register's selection set
		_, err := crmsdk.Ok(owner.ListContactsWithResponse(ctx, nil))
		pe := problemOf(t, err)
		assert.Equal(t, http.StatusBadRequest, pe.Status)
		assert.Equal(t, "organization_header_required", pe.Code())
		owner.SetOrganization(org.Id)
	})

	step("create a contact", func(t *testing.T) {
		email := uniqueEmail("charles")
		res, err := crmsdk.Ok(owner.CreateContactWithResponse(ctx, client.ContactCreate{
			Name: "Charles Babbage", Email: &email, Company: apptest.Ptr("Difference Engines"),
		}))
		require.NoError(t, err)
		contact = *res.JSON201
		assert.Equal(t, "Charles Babbage", contact.Name)
		assert.Equal(t, ownerUser.Id, contact.OwnerId)
		assert.True(t, contact.Phone.IsNull())
		assert.Equal(t, email, contact.Email.MustGet())
	})

	step("a bad request is a validation_failed problem naming the fields", func(t *testing.T) {
		_, err := crmsdk.Ok(owner.CreateContactWithResponse(ctx, client.ContactCreate{Name: ""}))
		pe := problemOf(t, err)
		assert.Equal(t, http.StatusBadRequest, pe.Status)
		assert.Equal(t, "validation_failed", pe.Code())
		require.NotEmpty(t, pe.FieldErrors())
		assert.Contains(t, pe.FieldErrors()[0].Field, "name")
	})

	step("create a deal of 10000 EUR", func(t *testing.T) {
		amount, currency := money.MustParse("10000"), "EUR"
		res, err := crmsdk.Ok(owner.CreateDealWithResponse(ctx, client.DealCreate{
			ContactId: contact.Id, Title: "Website redesign", Amount: &amount, Currency: &currency,
		}))
		require.NoError(t, err)
		deal = *res.JSON201
		assert.Equal(t, "10000.00", deal.Amount.String())
		assert.Equal(t, "EUR", deal.Currency)
		assert.Equal(t, client.DealStatusNew, deal.Status)
		assert.Equal(t, client.DealStageQualification, deal.Stage)
		assert.Equal(t, ownerUser.Id, deal.OwnerId)
	})

	step("create a task due tomorrow", func(t *testing.T) {
		// The organization's time zone is UTC by default.
		due := openapi_types.Date{Time: time.Now().UTC().AddDate(0, 0, 1)}
		res, err := crmsdk.Ok(owner.CreateTaskWithResponse(ctx, client.TaskCreate{DealId: deal.Id, Title: "Send the proposal", DueDate: &due}))
		require.NoError(t, err)
		task = *res.JSON201
		assert.Equal(t, due.String(), task.DueDate.MustGet().String())
		assert.False(t, task.IsDone)
		assert.Equal(t, deal.Id, task.DealId)
	})

	step("comment on the deal", func(t *testing.T) {
		res, err := crmsdk.Ok(owner.CreateActivityWithResponse(ctx, deal.Id, client.ActivityCreate{
			Type: client.ActivityTypeComment, Payload: client.CommentPayload{Text: "Client asked for a discount."},
		}))
		require.NoError(t, err)
		assert.Equal(t, client.ActivityTypeComment, res.JSON201.Type)
		assert.Equal(t, ownerUser.Id, res.JSON201.AuthorId.MustGet())
	})

	step("qualification → proposal, in_progress", func(t *testing.T) {
		stage, status := client.DealStageProposal, client.DealStatusInProgress
		res, err := crmsdk.Ok(owner.UpdateDealWithResponse(ctx, deal.Id, client.DealUpdate{Stage: &stage, Status: &status}))
		require.NoError(t, err)
		deal = *res.JSON200
		assert.Equal(t, client.DealStageProposal, deal.Stage)
		assert.Equal(t, client.DealStatusInProgress, deal.Status)
	})

	step("closed, won", func(t *testing.T) {
		stage, status := client.DealStageClosed, client.DealStatusWon
		res, err := crmsdk.Ok(owner.UpdateDealWithResponse(ctx, deal.Id, client.DealUpdate{Stage: &stage, Status: &status}))
		require.NoError(t, err)
		deal = *res.JSON200
		assert.Equal(t, client.DealStageClosed, deal.Stage)
		assert.Equal(t, client.DealStatusWon, deal.Status)
	})

	step("the timeline", func(t *testing.T) {
		pageSize := client.PageSize(100)
		res, err := crmsdk.Ok(owner.ListActivitiesWithResponse(ctx, deal.Id, &client.ListActivitiesParams{PageSize: &pageSize}))
		require.NoError(t, err)
		items := res.JSON200.Items
		require.Len(t, items, 7)
		assert.EqualValues(t, 7, res.JSON200.Total)
		for i, a := range items {
			assert.Equal(t, deal.Id, a.DealId)
			if i > 0 {
				assert.False(t, a.CreatedAt.After(items[i-1].CreatedAt), "newest first")
			}
		}
		// Chronological payloads per type (the list is newest first).
		ofType := func(typ client.ActivityType) []map[string]any {
			var out []map[string]any
			for i := len(items) - 1; i >= 0; i-- {
				if items[i].Type == typ {
					out = append(out, items[i].Payload)
				}
			}
			return out
		}
		created := ofType(client.ActivityTypeDealCreated)
		require.Len(t, created, 1)
		assert.Equal(t, "Website redesign", created[0]["title"])
		assert.EqualValues(t, 10000, created[0]["amount"])
		assert.Equal(t, "EUR", created[0]["currency"])
		assert.Equal(t, []map[string]any{{"text": "Client asked for a discount."}}, ofType(client.ActivityTypeComment))
		assert.Equal(t, []map[string]any{{"task_id": task.Id.String(), "title": "Send the proposal"}}, ofType(client.ActivityTypeTaskCreated))
		assert.Equal(t, []map[string]any{
			{"old_stage": "qualification", "new_stage": "proposal"},
			{"old_stage": "proposal", "new_stage": "closed"},
		}, ofType(client.ActivityTypeStageChanged))
		assert.Equal(t, []map[string]any{
			{"old_status": "new", "new_status": "in_progress"},
			{"old_status": "in_progress", "new_status": "won"},
		}, ofType(client.ActivityTypeStatusChanged))

		comments := client.ActivityTypeComment
		only, err := crmsdk.Ok(owner.ListActivitiesWithResponse(ctx, deal.Id, &client.ListActivitiesParams{Type: &comments}))
		require.NoError(t, err)
		assert.EqualValues(t, 1, only.JSON200.Total)
	})

	step("the analytics summary", func(t *testing.T) {
		days := int32(30)
		res, err := crmsdk.Ok(owner.GetDealSummaryWithResponse(ctx, &client.GetDealSummaryParams{Days: &days}))
		require.NoError(t, err)
		s := res.JSON200
		type row struct {
			status  client.DealStatus
			count   int64
			amounts map[string]string
		}
		var rows []row
		for _, b := range s.ByStatus {
			r := row{status: b.Status, count: b.Count, amounts: map[string]string{}}
			for _, a := range b.Amounts {
				r.amounts[a.Currency] = a.Total.String()
			}
			rows = append(rows, r)
		}
		assert.Equal(t, []row{
			{client.DealStatusNew, 0, map[string]string{}},
			{client.DealStatusInProgress, 0, map[string]string{}},
			{client.DealStatusWon, 1, map[string]string{"EUR": "10000.00"}},
			{client.DealStatusLost, 0, map[string]string{}},
		}, rows)
		require.Len(t, s.WonAverage, 1)
		assert.Equal(t, "EUR", s.WonAverage[0].Currency)
		assert.Equal(t, "10000.00", s.WonAverage[0].Average.String())
		assert.Equal(t, int32(30), s.NewDeals.Days)
		assert.Equal(t, int64(1), s.NewDeals.Count)
		// Exactness on the wire: the total travels as a number with 2 decimals.
		assert.Contains(t, string(res.Body), `"total":10000.00`)
	})

	step("the funnel", func(t *testing.T) {
		res, err := crmsdk.Ok(owner.GetDealFunnelWithResponse(ctx))
		require.NoError(t, err)
		type row struct {
			stage      client.DealStage
			count      int64
			reached    int64
			conversion *float64
			byStatus   client.StatusCounts
		}
		var rows []row
		for _, s := range res.JSON200.Stages {
			r := row{stage: s.Stage, count: s.Count, reached: s.Reached, byStatus: s.ByStatus}
			if !s.ConversionFromPrevious.IsNull() {
				v := s.ConversionFromPrevious.MustGet()
				r.conversion = &v
			}
			rows = append(rows, r)
		}
		hundred := 100.0
		assert.Equal(t, []row{
			{client.DealStageQualification, 0, 1, nil, client.StatusCounts{}},
			{client.DealStageProposal, 0, 1, &hundred, client.StatusCounts{}},
			{client.DealStageNegotiation, 0, 1, &hundred, client.StatusCounts{}},
			{client.DealStageClosed, 1, 1, &hundred, client.StatusCounts{Won: 1}},
		}, rows)
	})

	step("a member cannot roll back the stage of their own deal", func(t *testing.T) {
		// The owner's deal is not the member's to change at all.
		proposal := client.DealStageProposal
		_, err := crmsdk.Ok(member.UpdateDealWithResponse(ctx, deal.Id, client.DealUpdate{Stage: &proposal}))
		assert.Equal(t, "forbidden", problemOf(t, err).Code())

		c, err := crmsdk.Ok(member.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Herman Hollerith"}))
		require.NoError(t, err)
		amount := money.MustParse("500")
		d, err := crmsdk.Ok(member.CreateDealWithResponse(ctx, client.DealCreate{ContactId: c.JSON201.Id, Title: "Tabulators", Amount: &amount}))
		require.NoError(t, err)
		theirs := d.JSON201
		assert.Equal(t, memberUser.Id, theirs.OwnerId)

		negotiation := client.DealStageNegotiation
		fwd, err := crmsdk.Ok(member.UpdateDealWithResponse(ctx, theirs.Id, client.DealUpdate{Stage: &negotiation}))
		require.NoError(t, err)
		assert.Equal(t, client.DealStageNegotiation, fwd.JSON200.Stage)

		qualification := client.DealStageQualification
		back, err := crmsdk.Ok(member.UpdateDealWithResponse(ctx, theirs.Id, client.DealUpdate{Stage: &qualification}))
		pe := problemOf(t, err)
		assert.Equal(t, http.StatusForbidden, pe.Status)
		assert.Equal(t, http.StatusForbidden, back.StatusCode())
		assert.Equal(t, "stage_rollback_forbidden", pe.Problem.Code)
		assert.True(t, crmsdk.IsProblem(err, "stage_rollback_forbidden"))
		assert.NotEmpty(t, pe.RequestID(), "problem documents carry the request id")
		assert.Contains(t, err.Error(), "403 stage_rollback_forbidden")

		// An owner may move it back.
		ok, err := crmsdk.Ok(owner.UpdateDealWithResponse(ctx, theirs.Id, client.DealUpdate{Stage: &proposal}))
		require.NoError(t, err)
		assert.Equal(t, client.DealStageProposal, ok.JSON200.Stage)
	})
}
