package codesamples

// sdkCall is how an operation is called with the SDKs' own methods. In both templates:
//   - a path parameter is the variable named after it (deal_id: dealId in TypeScript, dealID in Go);
//   - {body} is the request's example as a literal of the type the method takes;
//   - {body.name} is the field name of that example as a literal;
//   - {csv} is the example of a text/csv body as a string literal.
//
// The TypeScript samples run with `crm`, a client of @minicrm/sdk; the Go ones with ctx and `c`, a
// *crmsdk.Client. A Go template assigns err (and at most one result before it). An operation
// missing here gets the generated clients' own call (crm.client.GET(…), c.XxxWithResponse(…)).
type sdkCall struct {
	TS, Go string
}

var calls = map[string]sdkCall{
	"getHealthz": {`const health = await crm.client.GET("/healthz");`, `health, err := c.Health.Live(ctx)`},
	"getReadyz":  {`const ready = await crm.client.GET("/readyz");`, `health, err := c.Health.Ready(ctx)`},

	"register":       {`const registered = await crm.auth.register({body});`, `registered, err := c.Auth.Register(ctx, {body})`},
	"login":          {`const session = await crm.auth.login({body});`, `session, err := c.Auth.Login(ctx, {body.email}, {body.password})`},
	"refreshTokens":  {`const tokens = await crm.auth.refresh();`, `err := c.Auth.Refresh(ctx)`},
	"logout":         {`await crm.auth.logout();`, `err := c.Auth.Logout(ctx)`},
	"getMe":          {`const me = await crm.auth.me();`, `me, err := c.Account.Get(ctx)`},
	"updateMe":       {`const me = await crm.auth.updateMe({body.name});`, `me, err := c.Account.Update(ctx, {body.name})`},
	"changePassword": {`await crm.auth.changePassword({body.current_password}, {body.new_password});`, `err := c.Account.ChangePassword(ctx, {body.current_password}, {body.new_password})`},
	"listSessions":   {`const sessions = await crm.auth.sessions.list();`, `sessions, err := c.Account.Sessions(ctx)`},
	"deleteSession":  {`await crm.auth.sessions.delete(sessionId);`, `err := c.Account.EndSession(ctx, sessionID)`},
	"logoutAll":      {`await crm.auth.logoutAll();`, `err := c.Auth.LogoutAll(ctx)`},

	"createOrganization":  {`const organization = await crm.organizations.create({body});`, `organization, err := c.Organizations.Create(ctx, {body})`},
	"listMyOrganizations": {`const organizations = await crm.organizations.list();`, `organizations, err := c.Organizations.List(ctx)`},
	"getOrganization":     {`const organization = await crm.organizations.get(organizationId);`, `organization, err := c.Organizations.Get(ctx, organizationID)`},
	"updateOrganization":  {`const organization = await crm.organizations.update(organizationId, {body});`, `organization, err := c.Organizations.Update(ctx, organizationID, {body})`},
	"deleteOrganization":  {`await crm.organizations.delete(organizationId);`, `err := c.Organizations.Delete(ctx, organizationID)`},

	"listMembers":  {`const members = await crm.members.list({}, { organizationId });`, `members, err := c.Members.List(ctx, organizationID, nil)`},
	"updateMember": {`const member = await crm.members.update(userId, {body}, { organizationId });`, `member, err := c.Members.Update(ctx, organizationID, userID, {body})`},
	"removeMember": {`await crm.members.delete(userId, { organizationId });`, `err := c.Members.Remove(ctx, organizationID, userID)`},

	"listInvitations":  {`const invitations = await crm.invitations.list({}, { organizationId });`, `invitations, err := c.Invitations.List(ctx, organizationID, nil)`},
	"createInvitation": {`const invitation = await crm.invitations.create({body}, { organizationId });`, `invitation, err := c.Invitations.Create(ctx, organizationID, {body})`},
	"revokeInvitation": {`await crm.invitations.delete(invitationId, { organizationId });`, `err := c.Invitations.Revoke(ctx, organizationID, invitationID)`},
	"acceptInvitation": {`const membership = await crm.invitations.accept({body.token});`, `membership, err := c.Invitations.Accept(ctx, {body.token})`},

	"listContacts":   {`const page = await crm.contacts.list({ search: "ada", page_size: 20 });`, `page, err := c.Contacts.List(ctx, &crmsdk.ListContactsParams{Search: new("ada"), PageSize: new(int32(20))})`},
	"createContact":  {`const contact = await crm.contacts.create({body});`, `contact, err := c.Contacts.Create(ctx, {body})`},
	"exportContacts": {`const csv = await crm.contacts.export({ search: "ada" });`, `csv, err := c.Contacts.Export(ctx, &crmsdk.ExportContactsParams{Search: new("ada")})`},
	"importContacts": {`const result = await crm.contacts.import({csv}, { dryRun: true });`, `result, err := c.Contacts.Import(ctx, strings.NewReader({csv}), &crmsdk.ImportContactsParams{DryRun: new(true)})`},
	"getContact":     {`const contact = await crm.contacts.get(contactId);`, `contact, err := c.Contacts.Get(ctx, contactID)`},
	"updateContact":  {`const contact = await crm.contacts.update(contactId, {body});`, `contact, err := c.Contacts.Update(ctx, contactID, {body})`},
	"deleteContact":  {`await crm.contacts.delete(contactId);`, `err := c.Contacts.Delete(ctx, contactID)`},

	"listDeals":   {`const page = await crm.deals.list({ stage: "proposal", page_size: 20 });`, `page, err := c.Deals.List(ctx, &crmsdk.ListDealsParams{Stage: new(crmsdk.DealStageProposal), PageSize: new(int32(20))})`},
	"createDeal":  {`const deal = await crm.deals.create({body});`, `deal, err := c.Deals.Create(ctx, {body})`},
	"exportDeals": {`const csv = await crm.deals.export({ stage: "proposal" });`, `csv, err := c.Deals.Export(ctx, &crmsdk.ExportDealsParams{Stage: new(crmsdk.DealStageProposal)})`},
	"getDeal":     {`const deal = await crm.deals.get(dealId);`, `deal, err := c.Deals.Get(ctx, dealID)`},
	"updateDeal":  {`const deal = await crm.deals.update(dealId, {body});`, `deal, err := c.Deals.Update(ctx, dealID, {body})`},
	"deleteDeal":  {`await crm.deals.delete(dealId);`, `err := c.Deals.Delete(ctx, dealID)`},

	"listActivities": {`const timeline = await crm.activities.list(dealId);`, `timeline, err := c.Activities.List(ctx, dealID, nil)`},
	"createActivity": {`const comment = await crm.activities.create(dealId, {body});`, `comment, err := c.Activities.Create(ctx, dealID, {body})`},

	"listTasks":  {`const page = await crm.tasks.list({ only_open: true });`, `page, err := c.Tasks.List(ctx, &crmsdk.ListTasksParams{OnlyOpen: new(true)})`},
	"createTask": {`const task = await crm.tasks.create({body});`, `task, err := c.Tasks.Create(ctx, {body})`},
	"getTask":    {`const task = await crm.tasks.get(taskId);`, `task, err := c.Tasks.Get(ctx, taskID)`},
	"updateTask": {`const task = await crm.tasks.update(taskId, {body});`, `task, err := c.Tasks.Update(ctx, taskID, {body})`},
	"deleteTask": {`await crm.tasks.delete(taskId);`, `err := c.Tasks.Delete(ctx, taskID)`},

	"getDealSummary":    {`const summary = await crm.analytics.summary({ days: 30 });`, `summary, err := c.Analytics.Summary(ctx, &crmsdk.GetDealSummaryParams{Days: new(int32(30))})`},
	"getDealFunnel":     {`const funnel = await crm.analytics.funnel();`, `funnel, err := c.Analytics.Funnel(ctx)`},
	"getDealStageStats": {`const stages = await crm.analytics.stages({ days: 30 });`, `stages, err := c.Analytics.StageStats(ctx, &crmsdk.GetDealStageStatsParams{Days: new(int32(30))})`},
	"getDealVelocity":   {`const velocity = await crm.analytics.velocity({ days: 30 });`, `velocity, err := c.Analytics.Velocity(ctx, &crmsdk.GetDealVelocityParams{Days: new(int32(30))})`},
	"getDealForecast":   {`const forecast = await crm.analytics.forecast();`, `forecast, err := c.Analytics.Forecast(ctx)`},

	"listWebhooks":             {`const page = await crm.webhooks.list();`, `page, err := c.Webhooks.List(ctx, nil)`},
	"createWebhook":            {`const webhook = await crm.webhooks.create({body}); // webhook.secret is shown only now`, `webhook, err := c.Webhooks.Create(ctx, {body}) // webhook.Secret is shown only now`},
	"getWebhook":               {`const webhook = await crm.webhooks.get(webhookId);`, `webhook, err := c.Webhooks.Get(ctx, webhookID)`},
	"updateWebhook":            {`const webhook = await crm.webhooks.update(webhookId, {body});`, `webhook, err := c.Webhooks.Update(ctx, webhookID, {body})`},
	"deleteWebhook":            {`await crm.webhooks.delete(webhookId);`, `err := c.Webhooks.Delete(ctx, webhookID)`},
	"pingWebhook":              {`const delivery = await crm.webhooks.ping(webhookId);`, `delivery, err := c.Webhooks.Ping(ctx, webhookID)`},
	"listWebhookDeliveries":    {`const deliveries = await crm.webhooks.deliveries.list(webhookId);`, `deliveries, err := c.Webhooks.Deliveries(ctx, webhookID, nil)`},
	"redeliverWebhookDelivery": {`const delivery = await crm.webhooks.deliveries.redeliver(webhookId, deliveryId);`, `delivery, err := c.Webhooks.Redeliver(ctx, webhookID, deliveryID)`},
}

// The clients of the "Getting started" section of openapi.yaml's description: a test keeps the
// description's snippets equal to these, and the check files compile them like the samples.
const (
	GettingStartedTS = `import { createCrmClient } from "@minicrm/sdk";

const crm = createCrmClient({ baseUrl: "http://localhost:8080" });
await crm.auth.login({ email: "ada@example.com", password: "correct-horse-battery" });
crm.setOrganization(organizationId); // sent as X-Organization-Id from now on
const deal = await crm.deals.update(dealId, { stage: "proposal" });`

	GettingStartedGo = `c, err := crmsdk.New("http://localhost:8080")
if err != nil {
	return err
}
if _, err := c.Auth.Login(ctx, "ada@example.com", "correct-horse-battery"); err != nil {
	return err
}
c.SetOrganization(organizationID) // sent as X-Organization-Id from now on
deal, err := c.Deals.Update(ctx, dealID, crmsdk.DealUpdate{Stage: new(crmsdk.DealStageProposal)})`
)
