package apptest

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/money"
)

// CreateContact creates a contact in org as u and returns it.
func (a *App) CreateContact(t testing.TB, u User, org uuid.UUID, body client.ContactCreate) client.Contact {
	t.Helper()
	res, err := a.Client.CreateContactWithResponse(t.Context(), body, u.In(org)...)
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
	res, err := a.Client.CreateDealWithResponse(t.Context(), body, u.In(org)...)
	if err != nil {
		t.Fatalf("create deal: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("create deal: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// DealOptions shape the deal App.Deal makes; nil options (or zero fields) leave the defaults: a deal
// called "Deal" with the server's defaults, on a new contact, owned by whoever creates it.
type DealOptions struct {
	Title    string // default "Deal"
	Amount   string // e.g. "1500.00"; "" leaves it to the server (0.00)
	Currency string // "" leaves it to the server (the organization's default currency)
	// ContactID is the deal's contact; nil makes one, named "Contact of <title>", as the creator.
	ContactID *uuid.UUID
	OwnerID   *uuid.UUID // nil: the creator
	// Status and Stage other than new and qualification are set by a second request, as the creator.
	Status client.DealStatus
	Stage  client.DealStage
}

// Deal creates a deal in org as u, shaped by o, and fails the test unless it came out so.
func (a *App) Deal(t testing.TB, u User, org uuid.UUID, opts *DealOptions) client.Deal {
	t.Helper()
	var o DealOptions
	if opts != nil {
		o = *opts
	}
	if o.Title == "" {
		o.Title = "Deal"
	}
	if o.ContactID == nil {
		o.ContactID = Ptr(a.NewContact(t, u, org, "Contact of "+o.Title).Id)
	}
	body := client.DealCreate{ContactId: *o.ContactID, Title: o.Title, OwnerId: o.OwnerID}
	if o.Amount != "" {
		body.Amount = Amount(o.Amount)
	}
	if o.Currency != "" {
		body.Currency = &o.Currency
	}
	d := a.CreateDeal(t, u, org, body)
	var move client.DealUpdate
	if o.Status != "" && o.Status != d.Status {
		move.Status = &o.Status
	}
	if o.Stage != "" && o.Stage != d.Stage {
		move.Stage = &o.Stage
	}
	if move.Status != nil || move.Stage != nil {
		d = a.UpdateDeal(t, u, org, d.Id, move)
	}
	if (o.Status != "" && d.Status != o.Status) || (o.Stage != "" && d.Stage != o.Stage) ||
		(o.Amount != "" && d.Amount.Cmp(Amount(o.Amount).Decimal) != 0) {
		t.Fatalf("deal %q is %s/%s of %s, want %s/%s of %s", o.Title, d.Status, d.Stage, d.Amount, o.Status, o.Stage, o.Amount)
	}
	return d
}

// NewDeal creates a contact and a deal on it with the given amount (e.g. "1500.00").
func (a *App) NewDeal(t testing.TB, u User, org uuid.UUID, title, amount string) client.Deal {
	t.Helper()
	return a.Deal(t, u, org, &DealOptions{Title: title, Amount: amount})
}

// UpdateDeal patches a deal as u and fails the test unless it answers 200.
func (a *App) UpdateDeal(t testing.TB, u User, org, deal uuid.UUID, body client.DealUpdate) client.Deal {
	t.Helper()
	res, err := a.Client.UpdateDealWithResponse(t.Context(), deal, body, u.In(org)...)
	if err != nil {
		t.Fatalf("update deal: %v", err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
		t.Fatalf("update deal: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// CreateTask creates a task in org as u and returns it.
func (a *App) CreateTask(t testing.TB, u User, org uuid.UUID, body client.TaskCreate) client.Task {
	t.Helper()
	res, err := a.Client.CreateTaskWithResponse(t.Context(), body, u.In(org)...)
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("create task: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// Comment posts a comment on deal in org as u and returns it.
func (a *App) Comment(t testing.TB, u User, org, deal uuid.UUID, text string) client.Activity {
	t.Helper()
	res, err := a.Client.CreateActivityWithResponse(t.Context(), deal,
		client.ActivityCreate{Type: client.ActivityTypeComment, Payload: client.CommentPayload{Text: text}}, u.In(org)...)
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	if res.StatusCode() != http.StatusCreated || res.JSON201 == nil {
		t.Fatalf("comment: status %d: %s", res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// Member registers a new user and adds them to org with role, acting as admin.
func (a *App) Member(t testing.TB, admin User, org uuid.UUID, name string, role client.Role) User {
	t.Helper()
	u := a.Register(t, name)
	a.AddMember(t, admin, org, u, role)
	return u
}

// Amount parses a decimal amount such as "1500.00", for request bodies and parameters.
func Amount(s string) *money.Amount {
	a := money.MustParse(s)
	return &a
}
