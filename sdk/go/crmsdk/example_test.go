package crmsdk_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/money"
	"github.com/minicrm/crm/sdk/go/crmsdk"
)

// baseURL is set by TestMain to an in-process server; in real code it is the service's address,
// e.g. "https://crm.example.com". uniqueEmail keeps the examples rerunnable on one database.

func ExampleNew() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	res, err := crmsdk.Ok(c.GetHealthzWithResponse(ctx))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("service:", res.JSON200.Status)
	// Output: service: ok
}

func ExampleClient_Register() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Register(ctx, client.RegisterRequest{
		Email:            uniqueEmail("ada"),
		Password:         "correct-horse-battery",
		Name:             "Ada Lovelace",
		OrganizationName: "Analytical Engines Ltd",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.User.Name, "owns", res.Organization.Name)
	fmt.Println("session stored:", c.Tokens().AccessToken == res.AccessToken)
	// Output:
	// Ada Lovelace owns Analytical Engines Ltd
	// session stored: true
}

func ExampleClient_Login() {
	ctx := context.Background()
	email := uniqueEmail("grace")
	signup, _ := crmsdk.New(baseURL)
	if _, err := signup.Register(ctx, client.RegisterRequest{
		Email: email, Password: "correct-horse-battery", Name: "Grace Hopper", OrganizationName: "Navy",
	}); err != nil {
		log.Fatal(err)
	}

	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, email, "correct-horse-battery"); err != nil {
		log.Fatal(err)
	}
	// Every request now carries the access token.
	me, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.JSON200.User.Name)
	for _, m := range me.JSON200.Memberships {
		fmt.Println(m.OrganizationName, m.Role)
	}
	// Output:
	// Grace Hopper
	// Navy owner
}

func ExampleClient_SetOrganization() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := c.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Contacts, deals, tasks and analytics belong to an organization: Register selected the new
	// one (SetOrganization switches to another).
	fmt.Println(c.Organization() == reg.Organization.Id)

	contact, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage"}))
	if err != nil {
		log.Fatal(err)
	}
	amount, currency := money.MustParse("10000"), "EUR"
	created, err := crmsdk.Ok(c.CreateDealWithResponse(ctx, client.DealCreate{
		ContactId: contact.JSON201.Id, Title: "Difference engine", Amount: &amount, Currency: &currency,
	}))
	if err != nil {
		log.Fatal(err)
	}
	deal := created.JSON201
	fmt.Println(deal.Title, deal.Amount, deal.Currency, deal.Status, deal.Stage)

	stage, status := client.DealStageProposal, client.DealStatusInProgress
	updated, err := crmsdk.Ok(c.UpdateDealWithResponse(ctx, deal.Id, client.DealUpdate{Stage: &stage, Status: &status}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(updated.JSON200.Status, updated.JSON200.Stage)
	// Output:
	// true
	// Difference engine 10000.00 EUR new qualification
	// in_progress proposal
}

func ExampleProblemError() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Login(ctx, uniqueEmail("nobody"), "wrong-password")

	var problem *crmsdk.ProblemError
	if errors.As(err, &problem) {
		fmt.Println(problem.Status, problem.Problem.Code)
		fmt.Println(err)
	}
	// Output:
	// 401 invalid_credentials
	// crm: 401 invalid_credentials: The email or password is wrong.
}

func ExampleOk() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	}); err != nil {
		log.Fatal(err)
	}
	// Register selected the new organization; without one, tenant routes answer 400
	// organization_header_required.
	c.SetOrganization(uuid.Nil)
	res, err := crmsdk.Ok(c.ListContactsWithResponse(ctx, nil))
	fmt.Println(res.StatusCode(), crmsdk.IsProblem(err, "organization_header_required"))
	// Output: 400 true
}

func ExampleCheck() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.GetMeWithResponse(ctx) // no session yet
	if err == nil {
		err = crmsdk.Check(res, res.Body)
	}
	fmt.Println(err)
	// Output: crm: 401 unauthorized: A valid bearer token is required.
}

func ExampleWithTokenCallback() {
	ctx := context.Background()
	var saved []crmsdk.Tokens // in real code: a file, a keychain, a database row
	c, err := crmsdk.New(baseURL, crmsdk.WithTokenCallback(func(t crmsdk.Tokens) {
		saved = append(saved, t)
	}))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	}); err != nil {
		log.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil { // rotates the pair, as a 401 would
		log.Fatal(err)
	}
	if err := c.Logout(ctx); err != nil {
		log.Fatal(err)
	}
	for _, t := range saved {
		fmt.Println("session:", !t.IsZero())
	}
	fmt.Println("rotated:", saved[0].RefreshToken != saved[1].RefreshToken)
	// Output:
	// session: true
	// session: true
	// session: false
	// rotated: true
}

func ExampleWithTokens() {
	ctx := context.Background()
	first, _ := crmsdk.New(baseURL)
	if _, err := first.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	}); err != nil {
		log.Fatal(err)
	}
	stored := first.Tokens()

	// Later, e.g. in another process: resume the session.
	c, err := crmsdk.New(baseURL, crmsdk.WithTokens(stored.AccessToken, stored.RefreshToken))
	if err != nil {
		log.Fatal(err)
	}
	me, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.JSON200.User.Name)
	// Output: Ada Lovelace
}

func ExampleClient_Logout() {
	ctx := context.Background()
	c, _ := crmsdk.New(baseURL)
	if _, err := c.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	}); err != nil {
		log.Fatal(err)
	}
	if err := c.Logout(ctx); err != nil {
		log.Fatal(err)
	}
	_, err := crmsdk.Ok(c.GetMeWithResponse(ctx))
	fmt.Println(c.Tokens().IsZero(), crmsdk.IsProblem(err, "unauthorized"))
	// Output: true true
}

func ExampleIfMatch() {
	ctx := context.Background()
	c, err := crmsdk.New(baseURL)
	if err != nil {
		log.Fatal(err)
	}
	signup, err := c.Register(ctx, client.RegisterRequest{
		Email: uniqueEmail("ada"), Password: "correct-horse-battery", Name: "Ada Lovelace", OrganizationName: "Analytical Engines Ltd",
	})
	if err != nil {
		log.Fatal(err)
	}
	c.SetOrganization(signup.Organization.Id)

	// The POST carries a fresh Idempotency-Key: were its answer lost, the retry would not create a
	// second contact. The answer carries the contact's entity tag.
	created, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage"}))
	if err != nil {
		log.Fatal(err)
	}
	id, etag := created.JSON201.Id, crmsdk.ETag(created)

	// A change made only while the contact is as it was read: it succeeds and gives a new tag.
	name := "Charles Babbage FRS"
	if _, err := crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &name}, crmsdk.IfMatch(etag))); err != nil {
		log.Fatal(err)
	}

	// A second writer still holding the old tag is refused, and told the current one.
	other := "Lord Byron"
	_, err = crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &other}, crmsdk.IfMatch(etag)))
	var pe *crmsdk.ProblemError
	if errors.Is(err, crmsdk.ErrPreconditionFailed) && errors.As(err, &pe) {
		fmt.Println(pe.Status, pe.Code(), "current tag known:", pe.ETag() != "" && pe.ETag() != etag)
	}

	// A read that only answers when the contact changed.
	res, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id, crmsdk.IfNoneMatch(pe.ETag())))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("not modified:", crmsdk.NotModified(res))
	// Output:
	// 412 precondition_failed current tag known: true
	// not modified: true
}
