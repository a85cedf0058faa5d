package crmsdk_test

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	spec "github.com/minicrm/crm"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/money"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkOwner registers a new owner through the SDK (requests checked against openapi.yaml) and
// selects their organization.
func sdkOwner(t *testing.T, app *apptest.App, name string, opts ...crmsdk.Option) (*crmsdk.Client, *crmsdk.RegisterResult, *recorder) {
	t.Helper()
	c, rec := newSDK(t, app, opts...)
	reg, err := c.Auth.Register(t.Context(), crmsdk.RegisterRequest{
		Email: uniqueEmail(name), Password: password, Name: name, OrganizationName: name + "'s company",
	})
	require.NoError(t, err)
	c.SetOrganization(reg.Organization.Id)
	return c, reg, rec
}

// TestServices_CRM drives contacts, deals, activities, tasks and analytics through the services
// only, with the package's own types.
func TestServices_CRM(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, reg, rec := sdkOwner(t, app, "ada")

	email := uniqueEmail("charles")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage", Email: &email})
	require.NoError(t, err)
	assert.Equal(t, reg.User.Id, contact.OwnerId)

	got, err := c.Contacts.Get(ctx, contact.Id)
	require.NoError(t, err)
	assert.Equal(t, "Charles Babbage", got.Name)

	name := "Charles Babbage FRS"
	updated, err := c.Contacts.Update(ctx, contact.Id, crmsdk.ContactUpdate{Name: &name})
	require.NoError(t, err)
	assert.Equal(t, name, updated.Name)

	amount, currency := money.MustParse("1200.50"), crmsdk.Currency("EUR")
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: "Engine", Amount: &amount, Currency: &currency})
	require.NoError(t, err)
	assert.Equal(t, crmsdk.DealStatusNew, deal.Status)
	assert.Equal(t, crmsdk.DealStageQualification, deal.Stage)

	stage, status := crmsdk.DealStageProposal, crmsdk.DealStatusWon
	deal, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage, Status: &status})
	require.NoError(t, err)
	assert.Equal(t, crmsdk.DealStatusWon, deal.Status)
	assert.Equal(t, crmsdk.DealStageProposal, deal.Stage)

	comment, err := c.Activities.Comment(ctx, deal.Id, "Signed today")
	require.NoError(t, err)
	assert.Equal(t, crmsdk.ActivityTypeComment, comment.Type)
	var types []crmsdk.ActivityType
	for a, err := range c.Activities.All(ctx, deal.Id, nil) {
		require.NoError(t, err)
		types = append(types, a.Type)
	}
	assert.Contains(t, types, crmsdk.ActivityTypeComment)
	assert.Contains(t, types, crmsdk.ActivityTypeDealCreated)

	task, err := c.Tasks.Create(ctx, crmsdk.TaskCreate{DealId: deal.Id, Title: "Send the invoice"})
	require.NoError(t, err)
	done := true
	task, err = c.Tasks.Update(ctx, task.Id, crmsdk.TaskUpdate{IsDone: &done})
	require.NoError(t, err)
	assert.True(t, task.IsDone)
	page, err := c.Tasks.List(ctx, &crmsdk.ListTasksParams{DealId: &deal.Id})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, task.Id, page.Items[0].Id)

	summary, err := c.Analytics.Summary(ctx, nil)
	require.NoError(t, err)
	won := map[crmsdk.DealStatus]int64{}
	for _, s := range summary.ByStatus {
		won[s.Status] = s.Count
	}
	assert.Equal(t, int64(1), won[crmsdk.DealStatusWon])
	funnel, err := c.Analytics.Funnel(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, funnel.Stages)
	_, err = c.Analytics.StageStats(ctx, nil)
	require.NoError(t, err)
	_, err = c.Analytics.Velocity(ctx, nil)
	require.NoError(t, err)
	_, err = c.Analytics.Forecast(ctx)
	require.NoError(t, err)

	csv, err := c.Deals.Export(ctx, nil)
	require.NoError(t, err)
	assert.Contains(t, string(csv), "Engine")

	require.NoError(t, c.Tasks.Delete(ctx, task.Id))
	require.NoError(t, c.Deals.Delete(ctx, deal.Id))
	require.NoError(t, c.Contacts.Delete(ctx, contact.Id))
	_, err = c.Contacts.Get(ctx, contact.Id)
	require.ErrorIs(t, err, crmsdk.ErrNotFound)

	// Every request carried the session and the organization the services share.
	for _, e := range rec.exchanges("") {
		if strings.HasPrefix(e.Path, "/api/v1/contacts") || strings.HasPrefix(e.Path, "/api/v1/deals") {
			assert.True(t, isBearer(e.Auth), e.Path)
			assert.Equal(t, reg.Organization.Id.String(), e.Org, e.Path)
		}
	}
}

// TestServices_ContactsImportExport: a CSV export imports as it is, into another organization.
func TestServices_ContactsImportExport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, _, _ := sdkOwner(t, app, "ada")
	for _, n := range []string{"Charles Babbage", "Mary Somerville"} {
		_, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: n})
		require.NoError(t, err)
	}
	csv, err := c.Contacts.Export(ctx, nil)
	require.NoError(t, err)
	assert.Contains(t, string(csv), "Mary Somerville")

	other, err := c.Organizations.Create(ctx, crmsdk.OrganizationCreate{Name: "Second"})
	require.NoError(t, err)
	c.SetOrganization(other.Id)
	dry := true
	res, err := c.Contacts.Import(ctx, strings.NewReader(string(csv)), &crmsdk.ImportContactsParams{DryRun: &dry})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Created)
	res, err = c.Contacts.Import(ctx, strings.NewReader(string(csv)), nil)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Created)
	var names []string
	for contact, err := range c.Contacts.All(ctx, nil) {
		require.NoError(t, err)
		names = append(names, contact.Name)
	}
	slices.Sort(names)
	assert.Equal(t, []string{"Charles Babbage", "Mary Somerville"}, names)

	_, err = c.Contacts.Import(ctx, strings.NewReader("email\nnot-an-address\n"), nil)
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusUnprocessableEntity, pe.Status)
	assert.Equal(t, "import_failed", pe.Code())
}

// TestServices_Organization: organizations, invitations and members through the services.
func TestServices_Organization(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	owner, reg, _ := sdkOwner(t, app, "ada")
	org := reg.Organization.Id

	mine, err := owner.Organizations.List(ctx)
	require.NoError(t, err)
	require.Len(t, mine, 1)
	assert.Equal(t, crmsdk.RoleOwner, mine[0].Role)
	renamed := "Analytical Engines"
	o, err := owner.Organizations.Update(ctx, org, crmsdk.OrganizationUpdate{Name: &renamed})
	require.NoError(t, err)
	assert.Equal(t, renamed, o.Name)
	o, err = owner.Organizations.Get(ctx, org)
	require.NoError(t, err)
	assert.Equal(t, renamed, o.Name)

	guest, greg, _ := sdkOwner(t, app, "grace")
	inv, err := owner.Invitations.Create(ctx, org, crmsdk.InvitationCreate{Email: greg.User.Email, Role: crmsdk.RoleManager})
	require.NoError(t, err)
	require.NotEmpty(t, inv.Token)
	var pending []uuid.UUID
	for i, err := range owner.Invitations.All(ctx, org, nil) {
		require.NoError(t, err)
		pending = append(pending, i.Id)
	}
	assert.Equal(t, []uuid.UUID{inv.Id}, pending)

	joined, err := guest.Invitations.Accept(ctx, inv.Token)
	require.NoError(t, err)
	assert.Equal(t, org, joined.OrganizationId)
	assert.Equal(t, crmsdk.RoleManager, joined.Role)

	roles := map[uuid.UUID]crmsdk.Role{}
	for m, err := range owner.Members.All(ctx, org, nil) {
		require.NoError(t, err)
		roles[m.UserId] = m.Role
	}
	assert.Equal(t, map[uuid.UUID]crmsdk.Role{reg.User.Id: crmsdk.RoleOwner, greg.User.Id: crmsdk.RoleManager}, roles)

	admin := crmsdk.RoleAdmin
	m, err := owner.Members.Update(ctx, org, greg.User.Id, crmsdk.MemberUpdate{Role: admin})
	require.NoError(t, err)
	assert.Equal(t, crmsdk.RoleAdmin, m.Role)
	_, err = guest.Members.Update(ctx, org, reg.User.Id, crmsdk.MemberUpdate{Role: admin})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeOwnerRoleForbidden), "%v", err)
	require.NoError(t, owner.Members.Remove(ctx, org, greg.User.Id))
	_, err = guest.Organizations.Get(ctx, org)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeNotAMember), "%v", err)

	// An invitation revoked before it is accepted is gone.
	second, err := owner.Invitations.Create(ctx, org, crmsdk.InvitationCreate{Email: greg.User.Email, Role: crmsdk.RoleMember})
	require.NoError(t, err)
	require.NoError(t, owner.Invitations.Revoke(ctx, org, second.Id))
	_, err = guest.Invitations.Accept(ctx, second.Token)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvitationNotFound), "%v", err)

	extra, err := owner.Organizations.Create(ctx, crmsdk.OrganizationCreate{Name: "Short-lived"})
	require.NoError(t, err)
	require.NoError(t, owner.Organizations.Delete(ctx, extra.Id))
}

// TestServices_AccountAndHealth: the session services and the probes.
func TestServices_AccountAndHealth(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, reg, _ := sdkOwner(t, app, "ada")

	live, err := c.Health.Live(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ok", live.Status)
	_, err = c.Health.Ready(ctx)
	require.NoError(t, err)

	me, err := c.Account.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, reg.User.Id, me.User.Id)
	me, err = c.Account.Update(ctx, "Ada King")
	require.NoError(t, err)
	assert.Equal(t, "Ada King", me.User.Name)
	sessions, err := c.Account.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, sessions, 1)

	err = c.Account.ChangePassword(ctx, "wrong-password-entirely", "another-horse-battery")
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials), "%v", err)
	require.NoError(t, c.Account.ChangePassword(ctx, password, "another-horse-battery"))

	second, _ := newSDK(t, app)
	_, err = second.Auth.Login(ctx, reg.User.Email, "another-horse-battery")
	require.NoError(t, err)
	require.NoError(t, second.Auth.Refresh(ctx))
	sessions, err = second.Account.Sessions(ctx)
	require.NoError(t, err)
	require.Len(t, sessions, 2)
	for _, s := range sessions {
		if !s.Current {
			require.NoError(t, second.Account.EndSession(ctx, s.Id))
		}
	}
	_, err = c.Account.Get(ctx)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeUnauthorized), "the ended session: %v", err)
	assert.True(t, c.Tokens().IsZero())

	require.NoError(t, second.Auth.LogoutAll(ctx))
	assert.True(t, second.Tokens().IsZero())
	_, err = second.Auth.Login(ctx, reg.User.Email, "another-horse-battery")
	require.NoError(t, err)
	require.NoError(t, second.Auth.Logout(ctx))
	assert.True(t, second.Tokens().IsZero())
}

// TestServices_Webhooks: a subscription and its deliveries through the services.
func TestServices_Webhooks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, _, _ := sdkOwner(t, app, "ada")

	hook, err := c.Webhooks.Create(ctx, crmsdk.WebhookCreate{
		Url:    "https://hooks.example.com/crm",
		Events: crmsdk.WebhookSubscriptions{crmsdk.WebhookSubscriptionDealUpdated},
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(hook.Secret, "whsec_"), hook.Secret)

	_, err = c.Webhooks.Create(ctx, crmsdk.WebhookCreate{Url: "http://127.0.0.1/x", Events: crmsdk.WebhookSubscriptions{crmsdk.WebhookSubscriptionAll}})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvalidWebhookURL), "%v", err)

	active := false
	got, err := c.Webhooks.Update(ctx, hook.Id, crmsdk.WebhookUpdate{Active: &active})
	require.NoError(t, err)
	assert.False(t, got.Active)
	got, err = c.Webhooks.Get(ctx, hook.Id)
	require.NoError(t, err)
	assert.False(t, got.Active)
	var ids []uuid.UUID
	for w, err := range c.Webhooks.All(ctx, nil) {
		require.NoError(t, err)
		ids = append(ids, w.Id)
	}
	assert.Equal(t, []uuid.UUID{hook.Id}, ids)

	ping, err := c.Webhooks.Ping(ctx, hook.Id)
	require.NoError(t, err)
	assert.Equal(t, crmsdk.WebhookEventTypeWebhookPing, ping.EventType)
	var deliveries []uuid.UUID
	for d, err := range c.Webhooks.AllDeliveries(ctx, hook.Id, nil) {
		require.NoError(t, err)
		deliveries = append(deliveries, d.Id)
	}
	assert.Equal(t, []uuid.UUID{ping.Id}, deliveries)
	page, err := c.Webhooks.Deliveries(ctx, hook.Id, nil)
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
	again, err := c.Webhooks.Redeliver(ctx, hook.Id, ping.Id)
	require.NoError(t, err)
	assert.NotEqual(t, ping.Id, again.Id)

	require.NoError(t, c.Webhooks.Delete(ctx, hook.Id))
	_, err = c.Webhooks.Get(ctx, hook.Id)
	require.ErrorIs(t, err, crmsdk.ErrNotFound)
}

// TestServices_Problems: error answers are *ProblemErrors with the spec's codes.
func TestServices_Problems(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, _, _ := sdkOwner(t, app, "ada")

	_, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: ""})
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusBadRequest, pe.Status)
	assert.Equal(t, crmsdk.CodeValidationFailed, pe.Code())
	require.NotEmpty(t, pe.FieldErrors())

	email := uniqueEmail("charles")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles", Email: &email})
	require.NoError(t, err)
	_, err = c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles again", Email: &email})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeContactEmailTaken), "%v", err)
	assert.Equal(t, http.StatusConflict, problemOf(t, err).Status)

	_, err = c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: uuid.New(), Title: "Nobody's"})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeInvalidReference), "%v", err)

	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: "Free"})
	require.NoError(t, err)
	won := crmsdk.DealStatusWon
	_, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Status: &won})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeWonRequiresPositiveAmount), "%v", err)

	err = c.Contacts.Delete(ctx, contact.Id)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeContactHasDeals), "%v", err)

	yesterday := time.Now().AddDate(0, 0, -2)
	_, err = c.Tasks.Create(ctx, crmsdk.TaskCreate{DealId: deal.Id, Title: "Late", DueDate: apptest.Ptr(dateOf(yesterday))})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeDueDateInPast), "%v", err)

	_, err = c.Deals.Get(ctx, uuid.New())
	require.ErrorIs(t, err, crmsdk.ErrNotFound)
	var asProblem *crmsdk.ProblemError
	require.True(t, errors.As(err, &asProblem))
	assert.NotEmpty(t, asProblem.RequestID())

	c.SetOrganization(uuid.New())
	_, err = c.Contacts.List(ctx, nil)
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeNotAMember), "%v", err)
}

// TestServices_ConditionalRequests: CaptureETag, IfMatch and IfNoneMatch on the services.
func TestServices_ConditionalRequests(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	c, _, _ := sdkOwner(t, app, "ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles"})
	require.NoError(t, err)

	var etag string
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: "Engine"}, crmsdk.CaptureETag(&etag))
	require.NoError(t, err)
	require.NotEmpty(t, etag)

	_, err = c.Deals.Get(ctx, deal.Id, crmsdk.IfNoneMatch(etag))
	require.ErrorIs(t, err, crmsdk.ErrNotModified)

	stage := crmsdk.DealStageProposal
	var resp *http.Response
	var etag1 string
	_, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage}, crmsdk.IfMatch(etag), crmsdk.CaptureETag(&etag1), crmsdk.CaptureResponse(&resp))
	require.NoError(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEqual(t, etag, etag1)
	assert.Equal(t, etag1, crmsdk.ETag(resp))

	// Another writer holding the old tag is refused; the capture gives the current one.
	var current string
	stage = crmsdk.DealStageNegotiation
	_, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage}, crmsdk.IfMatch(etag), crmsdk.CaptureETag(&current))
	require.ErrorIs(t, err, crmsdk.ErrPreconditionFailed)
	assert.Equal(t, etag1, current)
	assert.Equal(t, etag1, problemOf(t, err).ETag())
	err = c.Deals.Delete(ctx, deal.Id, crmsdk.IfMatch(etag))
	require.ErrorIs(t, err, crmsdk.ErrPreconditionFailed)

	got, err := c.Deals.Get(ctx, deal.Id, crmsdk.IfNoneMatch(etag))
	require.NoError(t, err, "an old tag gets the current object")
	assert.Equal(t, crmsdk.DealStageProposal, got.Stage)
	require.NoError(t, c.Deals.Delete(ctx, deal.Id, crmsdk.IfMatch(etag1)))
}

// TestServices_RetriesAndIdempotency: the services go through the retries of the Client. A lost
// answer to Create is retried with the same Idempotency-Key and answered from the store: one
// contact, and the answer says it was replayed. With retries off the same loss is an error.
func TestServices_RetriesAndIdempotency(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: contactsPath, drop: 1, fake503: true}
	c := lossyOwner(t, app, l)

	var resp *http.Response
	created, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles"}, crmsdk.CaptureResponse(&resp))
	require.NoError(t, err)
	assert.True(t, crmsdk.Replayed(resp), "the retry got the stored answer")
	posts := l.requests(http.MethodPost, contactsPath)
	require.Len(t, posts, 2)
	assert.NotEmpty(t, posts[0].Key)
	assert.Equal(t, posts[0].Key, posts[1].Key)
	assert.Equal(t, 1, countContacts(t, c))
	assert.Equal(t, "Charles", created.Name)

	l2 := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: contactsPath, drop: 1, fake503: true}
	off := lossyOwner(t, app, l2, crmsdk.WithoutRetries())
	_, err = off.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles"})
	assert.True(t, crmsdk.IsProblem(err, crmsdk.CodeServiceUnavailable), "%v", err)
	require.Len(t, l2.requests(http.MethodPost, contactsPath), 1)
}

// serviceMethods names the service method of each operation of openapi.yaml. A new operation
// fails TestServices_CoverTheSpec until it gets a method here (and in the service), or a reason
// in notAService.
var serviceMethods = map[string]string{
	"getHealthz": "Health.Live", "getReadyz": "Health.Ready",
	"register": "Auth.Register", "login": "Auth.Login", "refreshTokens": "Auth.Refresh",
	"logout": "Auth.Logout", "logoutAll": "Auth.LogoutAll",
	"getMe": "Account.Get", "updateMe": "Account.Update", "changePassword": "Account.ChangePassword",
	"listSessions": "Account.Sessions", "deleteSession": "Account.EndSession",
	"createOrganization": "Organizations.Create", "listMyOrganizations": "Organizations.List",
	"getOrganization": "Organizations.Get", "updateOrganization": "Organizations.Update",
	"deleteOrganization": "Organizations.Delete",
	"listMembers":        "Members.List", "updateMember": "Members.Update", "removeMember": "Members.Remove",
	"listInvitations": "Invitations.List", "createInvitation": "Invitations.Create",
	"revokeInvitation": "Invitations.Revoke", "acceptInvitation": "Invitations.Accept",
	"listContacts": "Contacts.List", "createContact": "Contacts.Create", "getContact": "Contacts.Get",
	"updateContact": "Contacts.Update", "deleteContact": "Contacts.Delete",
	"exportContacts": "Contacts.Export", "importContacts": "Contacts.Import",
	"listDeals": "Deals.List", "createDeal": "Deals.Create", "getDeal": "Deals.Get",
	"updateDeal": "Deals.Update", "deleteDeal": "Deals.Delete", "exportDeals": "Deals.Export",
	"listActivities": "Activities.List", "createActivity": "Activities.Create",
	"listTasks": "Tasks.List", "createTask": "Tasks.Create", "getTask": "Tasks.Get",
	"updateTask": "Tasks.Update", "deleteTask": "Tasks.Delete",
	"getDealSummary": "Analytics.Summary", "getDealFunnel": "Analytics.Funnel",
	"getDealStageStats": "Analytics.StageStats", "getDealVelocity": "Analytics.Velocity",
	"getDealForecast": "Analytics.Forecast",
	"listWebhooks":    "Webhooks.List", "createWebhook": "Webhooks.Create", "getWebhook": "Webhooks.Get",
	"updateWebhook": "Webhooks.Update", "deleteWebhook": "Webhooks.Delete", "pingWebhook": "Webhooks.Ping",
	"listWebhookDeliveries": "Webhooks.Deliveries", "redeliverWebhookDelivery": "Webhooks.Redeliver",
}

// notAService lists the operations deliberately left without a service method, with the reason.
var notAService = map[string]string{}

// TestServices_CoverTheSpec: every operation of openapi.yaml has a service method (the generated
// client's method alone is not the SDK), and every entry of serviceMethods is a real method of a
// real service of the Client.
func TestServices_CoverTheSpec(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(spec.OpenAPIYAML)
	require.NoError(t, err)
	ops := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			require.NotEmpty(t, op.OperationID, "%s %s has no operationId", method, path)
			ops[op.OperationID] = true
			if _, ok := notAService[op.OperationID]; ok {
				continue
			}
			assert.Contains(t, serviceMethods, op.OperationID, "%s %s (%s) has no service method", method, path, op.OperationID)
		}
	}
	client := reflect.TypeFor[crmsdk.Client]()
	for op, name := range serviceMethods {
		assert.True(t, ops[op], "serviceMethods names %s, which openapi.yaml no longer has", op)
		svc, method, ok := strings.Cut(name, ".")
		require.True(t, ok, name)
		field, ok := client.FieldByName(svc)
		if !assert.True(t, ok, "Client has no service %s", svc) {
			continue
		}
		_, ok = field.Type.MethodByName(method)
		assert.True(t, ok, "%s has no method %s (for %s)", field.Type, method, op)
	}
}

func dateOf(t time.Time) openapi_types.Date { return openapi_types.Date{Time: t} }

// TestProblemCodes: the sentinels name codes of the contract, and the list is the spec's enum.
func TestProblemCodes(t *testing.T) {
	t.Parallel()
	codes := crmsdk.ProblemCodes()
	assert.True(t, slices.IsSorted(codes))
	for _, sentinel := range []error{crmsdk.ErrPreconditionFailed, crmsdk.ErrIdempotencyKeyMismatch, crmsdk.ErrIdempotencyKeyInUse, crmsdk.ErrRateLimited, crmsdk.ErrNotFound} {
		code := strings.TrimPrefix(sentinel.Error(), "crm: ")
		assert.Contains(t, codes, code)
	}
	doc, err := openapi3.NewLoader().LoadFromData(spec.OpenAPIYAML)
	require.NoError(t, err)
	var want []string
	for _, v := range doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum {
		want = append(want, v.(string))
	}
	slices.Sort(want)
	assert.Equal(t, want, codes, "codes_gen.go is stale: make generate")
}
