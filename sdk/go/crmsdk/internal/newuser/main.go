// Command newuser is what a new user of the Go SDK writes first: one import, the services, an
// iterator, a problem code. It is built as a module of its own, outside the repository, by
// TestNewModule and scripts/sdk-go-newmodule.sh; here, inside the repository, it keeps compiling
// with every build.
//
// Usage: newuser [base URL, default $CRM_BASE_URL] [email of a new user]
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"os"

	"github.com/minicrm/crm/sdk/go/crmsdk"
)

func main() {
	log.SetFlags(0)
	base, email := os.Getenv("CRM_BASE_URL"), "ada."+rand.Text()+"@example.com"
	if len(os.Args) > 1 {
		base = os.Args[1]
	}
	if len(os.Args) > 2 {
		email = os.Args[2]
	}
	ctx := context.Background()
	c, err := crmsdk.New(base)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := c.Auth.Register(ctx, crmsdk.RegisterRequest{
		Email: email, Password: "correct-horse-battery", Name: "Ada", OrganizationName: "Engines",
	})
	if err != nil {
		log.Fatal(err)
	}
	c.SetOrganization(reg.Organization.Id)
	for _, name := range []string{"Charles", "Mary", "Michael"} {
		if _, err := c.Contacts.Create(ctx, crmsdk.ContactCreate{Name: name}); err != nil {
			log.Fatal(err)
		}
	}
	// One contact a page, so that the iterator has pages to walk.
	size, by, asc := crmsdk.PageSize(1), crmsdk.ListContactsParamsOrderByName, crmsdk.ListContactsParamsOrderAsc
	var first crmsdk.Contact
	for contact, err := range c.Contacts.All(ctx, &crmsdk.ListContactsParams{PageSize: &size, OrderBy: &by, Order: &asc}) {
		if err != nil {
			log.Fatal(err)
		}
		if first.Name == "" {
			first = contact
		}
		fmt.Println("contact", contact.Name)
	}
	deal, err := c.Deals.Create(ctx, crmsdk.DealCreate{ContactId: first.Id, Title: "Engine"})
	if err != nil {
		log.Fatal(err)
	}
	stage := crmsdk.DealStageProposal
	if deal, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Stage: &stage}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("deal", deal.Title, deal.Stage, deal.Status == crmsdk.DealStatusNew)
	won := crmsdk.DealStatusWon
	_, err = c.Deals.Update(ctx, deal.Id, crmsdk.DealUpdate{Status: &won})
	fmt.Println("problem", crmsdk.IsProblem(err, crmsdk.CodeWonRequiresPositiveAmount))
}
