package crmsdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/minicrm/crm/money"
	"github.com/minicrm/crm/sdk/go/crmsdk"
)

// signedUp returns a Client with a new user's session, working in their new organization: what
// the examples below start from. In real code: crmsdk.New, then c.Auth.Login and
// c.SetOrganization.
func signedUp(ctx context.Context, name string) *crmsdk.Client {
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := c.Auth.Register(ctx, crmsdk.RegisterRequest{
		Email: uniqueEmail(name), Password: "correct-horse-battery", Name: name, OrganizationName: name + " Ltd",
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = reg // Register selected reg.Organization.Id: every call from here on works in it.
	return c
}

func ExampleAuthService_Login() {
	ctx := context.Background()
	email := uniqueEmail("grace")
	signup, _ := crmsdk.New(baseURL)
	if _, err := signup.Auth.Register(ctx, crmsdk.RegisterRequest{
		Email: email, Password: "correct-horse-battery", Name: "Grace Hopper", OrganizationName: "Navy",
	}); err != nil {
		log.Fatal(err)
	}

	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Auth.Login(ctx, email, "wrong password"); crmsdk.IsProblem(err, crmsdk.CodeInvalidCredentials) {
		fmt.Println("refused:", err)
	}
	login, err := c.Auth.Login(ctx, email, "correct-horse-battery")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(login.User.Name, "has a session:", !c.Tokens().IsZero())
	// Output:
	// refused: crm: 401 invalid_credentials: The email or password is wrong.
	// Grace Hopper has a session: true
}

func ExampleAccountService_Get() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	if _, err := c.Account.Update(ctx, "Ada Lovelace"); err != nil {
		log.Fatal(err)
	}
	me, err := c.Account.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.User.Name)
	for _, m := range me.Memberships {
		fmt.Println(m.OrganizationName, m.Role)
	}
	// Output:
	// Ada Lovelace
	// Ada Ltd owner
}

func ExampleHealthService_Live() {
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	h, err := c.Health.Live(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Status)
	// Output: ok
}

func ExampleContactsService_Create() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	email := uniqueEmail("charles")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage", Email: &email})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(contact.Name)

	// The same email twice in one organization is a conflict with its own code.
	_, err = c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles again", Email: &email})
	var pe *crmsdk.ProblemError
	if errors.As(err, &pe) {
		fmt.Println(pe.Status, pe.Code() == crmsdk.CodeContactEmailTaken)
	}
	// Output:
	// Charles Babbage
	// 409 true
}

func ExampleContactsService_All() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	for _, name := range []string{"Charles Babbage", "Mary Somerville", "Augustus De Morgan", "Michael Faraday", "Luigi Menabrea"} {
		if _, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: name}); err != nil {
			log.Fatal(err)
		}
	}

	// Two contacts a page: the iterator asks for the next page, by cursor, as the loop needs it.
	pageSize, orderBy, order := crmsdk.PageSize(2), crmsdk.ListContactsParamsOrderByName, crmsdk.ListContactsParamsOrderAsc
	params := &crmsdk.ListContactsParams{PageSize: &pageSize, OrderBy: &orderBy, Order: &order}
	for contact, err := range c.Contacts.All(ctx, params) {
		if err != nil {
			log.Fatal(err) // e.g. a *crmsdk.ProblemError
		}
		fmt.Println(contact.Name)
	}
	// Output:
	// Augustus De Morgan
	// Charles Babbage
	// Luigi Menabrea
	// Mary Somerville
	// Michael Faraday
}

func ExampleContactsService_List() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	for _, name := range []string{"Charles Babbage", "Mary Somerville", "Michael Faraday"} {
		if _, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: name}); err != nil {
			log.Fatal(err)
		}
	}
	search := "m"
	page, err := c.Contacts.List(ctx, &crmsdk.ListContactsParams{Search: &search})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.Total, "contacts match", search)
	// Output: 2 contacts match m
}

func ExampleContactsService_Import() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	csv := "name,email,company\n" +
		"Charles Babbage,charles@example.com,Difference Engines\n" +
		"Mary Somerville,mary@example.com,\n"
	res, err := c.Contacts.Import(ctx, strings.NewReader(csv), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", res.Created)

	out, err := c.Contacts.Export(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exported Mary:", strings.Contains(string(out), "mary@example.com"))
	// Output:
	// created: 2
	// exported Mary: true
}

func ExampleDealsService_Update() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	amount, currency := money.MustParse("10000"), "EUR"
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: "Difference engine", Amount: &amount, Currency: &currency})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(deal.Title, deal.Amount, deal.Currency, deal.Status, deal.Stage)

	stage, status := crmsdk.DealStageNegotiation, crmsdk.DealStatusInProgress
	deal, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage, Status: &status})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(deal.Status, deal.Stage)
	// Output:
	// Difference engine 10000.00 EUR new qualification
	// in_progress negotiation
}

func ExampleDealsService_All() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	for _, title := range []string{"Engine", "Manual", "Support"} {
		if _, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: title}); err != nil {
			log.Fatal(err)
		}
	}
	orderBy, order := crmsdk.ListDealsParamsOrderByTitle, crmsdk.ListDealsParamsOrderDesc
	for deal, err := range c.Deals.All(ctx, &crmsdk.ListDealsParams{OrderBy: &orderBy, Order: &order}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(deal.Title)
	}
	// Output:
	// Support
	// Manual
	// Engine
}

func ExampleCaptureETag() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	var etag string
	deal, err := c.Deals.Get(ctx, mustDeal(ctx, c, contact.Id), crmsdk.CaptureETag(&etag))
	if err != nil {
		log.Fatal(err)
	}

	// Change the deal only while it is as it was read.
	stage := crmsdk.DealStageProposal
	if _, err := c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage}, crmsdk.IfMatch(etag)); err != nil {
		log.Fatal(err)
	}
	// A second writer with the old tag is refused: nothing is changed.
	stage = crmsdk.DealStageClosed
	_, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage}, crmsdk.IfMatch(etag))
	fmt.Println(errors.Is(err, crmsdk.ErrPreconditionFailed))

	// A read that answers only when the deal changed since etag.
	_, err = c.Deals.Get(ctx, deal.Id, crmsdk.IfNoneMatch(etag))
	fmt.Println(errors.Is(err, crmsdk.ErrNotModified))
	// Output:
	// true
	// false
}

func mustDeal(ctx context.Context, c *crmsdk.Client, contact crmsdk.ContactIdPath) crmsdk.DealIdPath {
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact, Title: "Engine"})
	if err != nil {
		log.Fatal(err)
	}
	return deal.Id
}

func ExampleActivitiesService_Comment() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	deal := mustDeal(ctx, c, contact.Id)
	if _, err := c.Activities.Comment(ctx, deal, "Called; sending the proposal"); err != nil {
		log.Fatal(err)
	}
	// The timeline, newest first: the comment, then the deal's creation.
	for a, err := range c.Activities.All(ctx, deal, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.Type)
	}
	// Output:
	// comment
	// deal_created
}

func ExampleTasksService_Create() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	deal := mustDeal(ctx, c, contact.Id)
	task, err := c.Tasks.Create(ctx, crmsdk.TaskCreate{DealId: deal, Title: "Send the proposal"})
	if err != nil {
		log.Fatal(err)
	}
	done := true
	if task, err = c.Tasks.Update(ctx, task.Id, crmsdk.TaskUpdate{IsDone: &done}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(task.Title, "done:", task.IsDone)
	// Output: Send the proposal done: true
}

func ExampleAnalyticsService_Summary() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	contact, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"})
	if err != nil {
		log.Fatal(err)
	}
	amount, currency, won := money.MustParse("250"), "EUR", crmsdk.DealStatusWon
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: contact.Id, Title: "Manual", Amount: &amount, Currency: &currency})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Status: &won}); err != nil {
		log.Fatal(err)
	}
	summary, err := c.Analytics.Summary(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range summary.ByStatus {
		if s.Count > 0 {
			fmt.Println(s.Status, s.Count)
		}
	}
	// Output: won 1
}

func ExampleOrganizationsService_Create() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	org, err := c.Organizations.Create(ctx, crmsdk.OrganizationCreate{Name: "Difference Engines"})
	if err != nil {
		log.Fatal(err)
	}
	c.SetOrganization(org.Id) // work in it from now on

	mine, err := c.Organizations.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range mine {
		fmt.Println(o.Name, o.Role)
	}
	// Unordered output:
	// Ada Ltd owner
	// Difference Engines owner
}

func ExampleInvitationsService_Create() {
	ctx := context.Background()
	owner := signedUp(ctx, "Ada")
	org := owner.Organization()

	email := uniqueEmail("grace")
	grace, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := grace.Auth.Register(ctx, crmsdk.RegisterRequest{
		Email: email, Password: "correct-horse-battery", Name: "Grace Hopper", OrganizationName: "Navy",
	}); err != nil {
		log.Fatal(err)
	}

	// The owner invites; the token goes to Grace by some other way (an email, a chat).
	inv, err := owner.Invitations.Create(ctx, org, crmsdk.InvitationCreate{Email: email, Role: crmsdk.RoleMember})
	if err != nil {
		log.Fatal(err)
	}
	joined, err := grace.Invitations.Accept(ctx, inv.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(joined.OrganizationName, joined.Role)
	// Output: Ada Ltd member
}

func ExampleMembersService_All() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	for m, err := range c.Members.All(ctx, c.Organization(), nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Name, m.Role)
	}
	// Output: Ada owner
}

func ExampleWebhooksService_Create() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")
	hook, err := c.Webhooks.Create(ctx, crmsdk.WebhookCreate{
		Url:    "https://hooks.example.com/crm",
		Events: crmsdk.WebhookSubscriptions{crmsdk.WebhookSubscriptionDealUpdated, crmsdk.WebhookSubscriptionContactCreated},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The signing secret is shown this once: keep it to verify the deliveries' signatures.
	fmt.Println(hook.Active, strings.HasPrefix(hook.Secret, "whsec_"))

	ping, err := c.Webhooks.Ping(ctx, hook.Id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ping.EventType)
	// Output:
	// true true
	// webhook.ping
}

func ExampleIdempotencyKey() {
	ctx := context.Background()
	c := signedUp(ctx, "Ada")

	// A key of the caller's, kept across calls (say, stored with a job that may run twice): the
	// server runs the request once per key and answers the same key with the stored answer.
	key := "import-2026-11-30-charles"
	var first, second *http.Response
	a, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"}, crmsdk.IdempotencyKey(key), crmsdk.CaptureResponse(&first))
	if err != nil {
		log.Fatal(err)
	}
	b, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Charles Babbage"}, crmsdk.IdempotencyKey(key), crmsdk.CaptureResponse(&second))
	if err != nil {
		log.Fatal(err)
	}
	page, err := c.Contacts.List(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same contact:", a.Id == b.Id, "contacts:", page.Total)
	fmt.Println("replayed:", crmsdk.Replayed(first), crmsdk.Replayed(second))

	// The same key with another request is refused.
	_, err = c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: "Mary Somerville"}, crmsdk.IdempotencyKey(key))
	fmt.Println(errors.Is(err, crmsdk.ErrIdempotencyKeyMismatch))
	// Output:
	// same contact: true contacts: 1
	// replayed: false true
	// true
}

func ExampleWithRetry() {
	// Up to 5 attempts of a request that failed for a transient reason (429, 503, a lost answer),
	// waiting 500ms, 1s, 2s, 4s (with jitter, or Retry-After), never more than 5s at a time.
	c, err := crmsdk.New(baseURL, crmsdk.WithRetry(crmsdk.RetryPolicy{
		MaxAttempts: 5, BaseDelay: 500 * time.Millisecond, MaxDelay: 5 * time.Second,
	}))
	if err != nil {
		log.Fatal(err)
	}
	h, err := c.Health.Live(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Status)
	// Output: ok
}
