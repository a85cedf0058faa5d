package apptest

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/money"
)

// CreateContact creates a contact in org as u and returns it.
func (a *App) CreateContact(t testing.TB, u User, org uuid.UUID, body client.ContactCreate) client.Contact {
	t.Helper()
	res, err := a.Client.CreateContactWithResponse(context.Background(), body, u.In(org)...)
	if err != nil {
		t.Fatalf("create contact: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("create contact: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// NewContact creates a contact with just a name.
func (a *App) NewContact(t testing.TB, u User, org uuid.UUID, name string) client.Contact {
	t.Helper()
	return a.CreateContact(t, u, org, client.ContactCreate{Name: name})
}

// CreateDeal creates a deal in org as u and returns it.
func (a *App) CreateDeal(t testing.TB, u User, org uuid.UUID, body client.DealCreate) client.Deal {
	t.Helper()
	res, err := a.Client.CreateDealWithResponse(context.Background(), body, u.In(org)...)
	if err != nil {
		t.Fatalf("create deal: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("create deal: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// NewDeal creates a contact and a deal on it with the given amount (e.g. "1500.00").
func (a *App) NewDeal(t testing.TB, u User, org uuid.UUID, title, amount string) client.Deal {
	t.Helper()
	c := a.NewContact(t, u, org, "Contact of "+title)
	amt := money.MustParse(amount)
	return a.CreateDeal(t, u, org, client.DealCreate{ContactId: c.Id, Title: title, Amount: &amt})
}

// UpdateDeal patches a deal as u and fails the test unless it answers 200.
func (a *App) UpdateDeal(t testing.TB, u User, org, deal uuid.UUID, body client.DealUpdate) client.Deal {
	t.Helper()
	res, err := a.Client.UpdateDealWithResponse(context.Background(), deal, body, u.In(org)...)
	if err != nil {
		t.Fatalf("update deal: %v", err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("update deal: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// Member registers a new user and adds them to org with role, acting as admin.
func (a *App) Member(t testing.TB, admin User, org uuid.UUID, name string, role client.Role) User {
	t.Helper()
	u := a.Register(t, name)
	a.AddMember(t, admin, org, u, role)
	return u
}
