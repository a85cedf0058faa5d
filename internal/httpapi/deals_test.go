package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- helpers (prefixed "deals" to stay out of other files' way) ----

// dealsTeam is a team (users registered on first use) that makes deals.
type dealsTeam struct{ *apptest.Team }

func newDealsTeam(t *testing.T) dealsTeam {
	t.Helper()
	return dealsTeam{apptest.NewTeam(t, nil)}
}

// deal creates a deal in the organization as its owner, on a contact of its own, owned by owner.
func (f dealsTeam) deal(t testing.TB, title, amount string, owner apptest.User) client.Deal {
	t.Helper()
	o := &apptest.DealOptions{Title: title, Amount: amount}
	if owner.ID != f.Owner.ID {
		o.OwnerID = &owner.ID
	}
	return f.App.Deal(t, f.Owner, f.Org, o)
}

// foreignDeal creates a deal in the outsider's organization.
func (f dealsTeam) foreignDeal(t testing.TB) client.Deal {
	t.Helper()
	return f.App.NewDeal(t, f.Outsider(t), f.Outsider(t).OrgID, "B's deal", "777.00")
}

func dealsGet(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) *client.GetDealResponse {
	t.Helper()
	res, err := app.Client.GetDealWithResponse(t.Context(), id, u.In(org)...)
	require.NoError(t, err)
	return res
}

func dealsMustGet(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) client.Deal {
	t.Helper()
	res := dealsGet(t, app, u, org, id)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	return *res.JSON200
}

func dealsPatch(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID, body client.DealUpdate) *client.UpdateDealResponse {
	t.Helper()
	res, err := app.Client.UpdateDealWithResponse(t.Context(), id, body, u.In(org)...)
	require.NoError(t, err)
	return res
}

func dealsPatchRaw(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID, body string) *client.UpdateDealResponse {
	t.Helper()
	res, err := app.Client.UpdateDealWithBodyWithResponse(t.Context(), id, "application/json", strings.NewReader(body), u.In(org)...)
	require.NoError(t, err)
	return res
}

func dealsCreateRaw(t *testing.T, app *apptest.App, u apptest.User, org uuid.UUID, body string) *client.CreateDealResponse {
	t.Helper()
	res, err := app.Client.CreateDealWithBodyWithResponse(t.Context(), "application/json", strings.NewReader(body), u.In(org)...)
	require.NoError(t, err)
	return res
}

func dealsList(t *testing.T, app *apptest.App, u apptest.User, org uuid.UUID, p client.ListDealsParams) *client.ListDealsResponse {
	t.Helper()
	res, err := app.Client.ListDealsWithResponse(t.Context(), &p, u.In(org)...)
	require.NoError(t, err)
	return res
}

// dealsEvent is a timeline entry with numbers kept exact.
type dealsEvent struct {
	ID        uuid.UUID      `json:"id"`
	DealID    uuid.UUID      `json:"deal_id"`
	AuthorID  *uuid.UUID     `json:"author_id"`
	Type      string         `json:"type"`
	Payload   map[string]any `json:"payload"`
	CreatedAt time.Time      `json:"created_at"`
}

// dealsTimeline is a deal's timeline through GET /deals/{id}/activities, newest first.
func dealsTimeline(t *testing.T, app *apptest.App, u apptest.User, org, id uuid.UUID) []dealsEvent {
	t.Helper()
	res, err := app.Client.ListActivitiesWithResponse(t.Context(), id,
		&client.ListActivitiesParams{PageSize: apptest.Ptr(int32(100))}, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	var page struct {
		Items []dealsEvent `json:"items"`
		Total int64        `json:"total"`
	}
	d := json.NewDecoder(bytes.NewReader(res.Body))
	d.UseNumber()
	require.NoError(t, d.Decode(&page))
	require.EqualValues(t, len(page.Items), page.Total, "the whole timeline fits one page")
	return page.Items
}

// dealsActivityCount counts a deal's timeline rows directly in the database.
func dealsActivityCount(t *testing.T, app *apptest.App, dealID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(),
		"SELECT count(*) FROM activities WHERE deal_id = $1", dealID).Scan(&n))
	return n
}

func dealsTaskCount(t *testing.T, app *apptest.App, dealID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, app.Pool.QueryRow(t.Context(),
		"SELECT count(*) FROM tasks WHERE deal_id = $1", dealID).Scan(&n))
	return n
}

// dealsNorm turns a payload value into a comparable string: amounts (numbers) with 2 decimals.
func dealsNorm(v any) string {
	switch x := v.(type) {
	case json.Number:
		return money.MustParse(x.String()).String()
	case string:
		return x
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

// dealsChange is one field's {old, new} of a deal_updated payload.
func dealsChange(t *testing.T, ev dealsEvent, field string) (old, new string, ok bool) {
	t.Helper()
	require.Equal(t, "deal_updated", ev.Type)
	changes, isMap := ev.Payload["changes"].(map[string]any)
	require.True(t, isMap, "payload: %v", ev.Payload)
	c, ok := changes[field].(map[string]any)
	if !ok {
		return "", "", false
	}
	return dealsNorm(c["old"]), dealsNorm(c["new"]), true
}

func dealsChangedFields(t *testing.T, ev dealsEvent) []string {
	t.Helper()
	changes, isMap := ev.Payload["changes"].(map[string]any)
	require.True(t, isMap, "payload: %v", ev.Payload)
	var out []string
	for k := range changes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dealsTitles(items []client.Deal) []string {
	out := make([]string, len(items))
	for i, d := range items {
		out[i] = d.Title
	}
	sort.Strings(out)
	return out
}

func dealsSorted(s ...string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

var dealsAmountJSON = regexp.MustCompile(`"amount"\s*:\s*([-0-9.eE+]+)`)

// ---- create ----

func TestDeals_CreateDefaultsOwnerLocationAndTimeline(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	c := f.App.NewContact(t, f.Owner, f.Org, "Charles")

	org, err := f.App.Client.GetOrganizationWithResponse(t.Context(), f.Org, f.Owner.Auth())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, org.StatusCode())
	defaultCurrency := org.JSON200.Settings.DefaultCurrency

	for _, role := range apptest.Roles {
		u := f.As(t, role)
		res, err := f.App.Client.CreateDealWithResponse(t.Context(),
			client.DealCreate{ContactId: c.Id, Title: "Deal of " + string(role)}, u.In(f.Org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
		d := res.JSON201
		assert.Equal(t, "/api/v1/deals/"+d.Id.String(), res.HTTPResponse.Header.Get("Location"))
		assert.Equal(t, client.DealStatus("new"), d.Status)
		assert.Equal(t, client.DealStage("qualification"), d.Stage)
		assert.True(t, d.Amount.IsZero())
		m := dealsAmountJSON.FindSubmatch(res.Body)
		require.NotNil(t, m, "body: %s", res.Body)
		assert.Equal(t, "0.00", string(m[1]), "amount is a number with 2 decimals")
		assert.Equal(t, defaultCurrency, d.Currency)
		assert.Equal(t, u.ID, d.OwnerId, "the caller owns what it creates")
		assert.Equal(t, c.Id, d.ContactId)
		assert.Equal(t, d.CreatedAt, d.UpdatedAt)
		assert.Equal(t, *d, dealsMustGet(t, f.App, f.Owner, f.Org, d.Id))

		tl := dealsTimeline(t, f.App, u, f.Org, d.Id)
		require.Len(t, tl, 1)
		assert.Equal(t, "deal_created", tl[0].Type)
		require.NotNil(t, tl[0].AuthorID)
		assert.Equal(t, u.ID, *tl[0].AuthorID)
		assert.Equal(t, d.Id, tl[0].DealID)
		assert.Equal(t, d.Title, tl[0].Payload["title"])
		assert.Equal(t, "0.00", dealsNorm(tl[0].Payload["amount"]))
		assert.Equal(t, defaultCurrency, tl[0].Payload["currency"])
	}

	// Explicit values win over the defaults.
	res, err := f.App.Client.CreateDealWithResponse(t.Context(), client.DealCreate{
		ContactId: c.Id, Title: "Explicit", Amount: apptest.Amount("1000.10"), Currency: apptest.Ptr("GBP"),
	}, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
	assert.Equal(t, "GBP", res.JSON201.Currency)
	assert.Equal(t, "1000.10", string(dealsAmountJSON.FindSubmatch(res.Body)[1]))

	// The organization's default currency is read at creation time.
	f.Settings(t, client.OrganizationSettingsUpdate{DefaultCurrency: apptest.Ptr("EUR")})
	for _, role := range apptest.Roles {
		d := f.App.CreateDeal(t, f.As(t, role), f.Org, client.DealCreate{ContactId: c.Id, Title: "Euro deal"})
		assert.Equal(t, "EUR", d.Currency, role)
	}
	d := f.App.CreateDeal(t, f.Member(t), f.Org, client.DealCreate{ContactId: c.Id, Title: "Dollar deal", Currency: apptest.Ptr("USD")})
	assert.Equal(t, "USD", d.Currency)
}

func TestDeals_CreateWithOwnerIDIsForManagersAndAbove(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	c := f.App.NewContact(t, f.Owner, f.Org, "Charles")
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			u := f.As(t, role)
			res, err := f.App.Client.CreateDealWithResponse(t.Context(),
				client.DealCreate{ContactId: c.Id, Title: "For member2", OwnerId: apptest.Ptr(f.Member2(t).ID)}, u.In(f.Org)...)
			require.NoError(t, err)
			if role == client.RoleMember {
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
			} else {
				require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
				assert.Equal(t, f.Member2(t).ID, res.JSON201.OwnerId)
				tl := dealsTimeline(t, f.App, f.Owner, f.Org, res.JSON201.Id)
				require.Len(t, tl, 1)
				assert.Equal(t, u.ID, *tl[0].AuthorID, "the author is the caller, not the new owner")
			}
			// Naming oneself is always fine.
			d := f.App.CreateDeal(t, u, f.Org, client.DealCreate{ContactId: c.Id, Title: "Mine", OwnerId: &u.ID})
			assert.Equal(t, u.ID, d.OwnerId)

			// Unknown user and a user of another organization look alike.
			if role == client.RoleMember {
				return
			}
			var bodies []map[string]any
			for _, id := range []uuid.UUID{uuid.New(), f.Outsider(t).ID} {
				res, err := f.App.Client.CreateDealWithResponse(t.Context(),
					client.DealCreate{ContactId: c.Id, Title: "Nobody's", OwnerId: &id}, u.In(f.Org)...)
				require.NoError(t, err)
				p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
				assert.Equal(t, []string{"owner_id"}, fieldsOf(p))
				bodies = append(bodies, withoutRequestID(t, res.Body))
			}
			assert.Equal(t, bodies[0], bodies[1])
		})
	}
	// None of the refused creations left a deal behind.
	list := dealsList(t, f.App, f.Owner, f.Org, client.ListDealsParams{PageSize: apptest.Ptr(int32(100))})
	require.Equal(t, http.StatusOK, list.StatusCode())
	assert.Equal(t, []string{"For member2", "For member2", "For member2", "Mine", "Mine", "Mine", "Mine"}, dealsTitles(list.JSON200.Items))
}

func TestDeals_CreateWithUnknownOrForeignContactIsInvalidReference(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	foreign := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "B's contact")
	var bodies []map[string]any
	for _, id := range []uuid.UUID{uuid.New(), foreign.Id} {
		res, err := f.App.Client.CreateDealWithResponse(t.Context(),
			client.DealCreate{ContactId: id, Title: "Dangling"}, f.Owner.In(f.Org)...)
		require.NoError(t, err)
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_reference")
		assert.Equal(t, []string{"contact_id"}, fieldsOf(p))
		bodies = append(bodies, withoutRequestID(t, res.Body))
	}
	assert.Equal(t, bodies[0], bodies[1], "unknown and foreign contacts answer alike")
	for _, org := range []uuid.UUID{f.Org, f.Outsider(t).OrgID} {
		var n int
		require.NoError(t, f.App.Pool.QueryRow(t.Context(), "SELECT count(*) FROM deals WHERE organization_id = $1", org).Scan(&n))
		assert.Zero(t, n)
	}
}

func TestDeals_CreateRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	c := f.App.NewContact(t, f.Owner, f.Org, "Charles")
	cid := c.Id.String()
	cases := []struct {
		name, body, code string
		field            string
	}{
		{"amount with 3 decimals", `{"contact_id":"` + cid + `","title":"x","amount":10.005}`, "validation_failed", "amount"},
		{"negative amount", `{"contact_id":"` + cid + `","title":"x","amount":-1}`, "validation_failed", "amount"},
		{"amount too large", `{"contact_id":"` + cid + `","title":"x","amount":1000000000000}`, "validation_failed", "amount"},
		{"amount as text", `{"contact_id":"` + cid + `","title":"x","amount":"ten"}`, "validation_failed", "amount"},
		{"missing title", `{"contact_id":"` + cid + `"}`, "validation_failed", "title"},
		{"empty title", `{"contact_id":"` + cid + `","title":""}`, "validation_failed", "title"},
		{"title too long", `{"contact_id":"` + cid + `","title":"` + strings.Repeat("t", 201) + `"}`, "validation_failed", "title"},
		{"missing contact", `{"title":"x"}`, "validation_failed", "contact_id"},
		{"contact not a uuid", `{"contact_id":"nope","title":"x"}`, "validation_failed", "contact_id"},
		{"owner not a uuid", `{"contact_id":"` + cid + `","title":"x","owner_id":"nope"}`, "validation_failed", "owner_id"},
		{"lowercase currency", `{"contact_id":"` + cid + `","title":"x","currency":"usd"}`, "validation_failed", "currency"},
		{"unknown field", `{"contact_id":"` + cid + `","title":"x","colour":"red"}`, "validation_failed", "colour"},
		{"read-only id", `{"contact_id":"` + cid + `","title":"x","id":"` + uuid.NewString() + `"}`, "validation_failed", "id"},
		{"status is not settable", `{"contact_id":"` + cid + `","title":"x","status":"won"}`, "validation_failed", "status"},
		{"stage is not settable", `{"contact_id":"` + cid + `","title":"x","stage":"closed"}`, "validation_failed", "stage"},
		{"not an object", `[]`, "validation_failed", ""},
		{"malformed JSON", `{"contact_id":`, "malformed_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := dealsCreateRaw(t, f.App, f.Owner, f.Org, c.body)
			p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, c.code)
			if c.field != "" {
				assert.Contains(t, fieldsOf(p), c.field)
			}
		})
	}
	var n int
	require.NoError(t, f.App.Pool.QueryRow(t.Context(), "SELECT count(*) FROM deals").Scan(&n))
	assert.Zero(t, n, "no refused body created a deal")
}

// ---- list ----

func TestDeals_ListFilters(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	c1 := f.App.NewContact(t, f.Owner, f.Org, "C1")
	c2 := f.App.NewContact(t, f.Owner, f.Org, "C2")
	c3 := f.App.NewContact(t, f.Owner, f.Org, "C3")
	mk := func(title, amount string, contact client.Contact, owner apptest.User, status client.DealStatus, stage client.DealStage) {
		f.App.Deal(t, f.Owner, f.Org, &apptest.DealOptions{Title: title, Amount: amount, ContactID: &contact.Id, OwnerID: &owner.ID, Status: status, Stage: stage})
	}
	mk("Alpha website", "1000.10", c1, f.Owner, "new", "qualification")
	mk("Beta 100% discount", "1000.09", c1, f.Member(t), "in_progress", "proposal")
	mk("gamma_launch", "1000.11", c2, f.Manager(t), "won", "closed")
	mk("Delta ALPHA support", "0", c2, f.Member(t), "lost", "negotiation")
	mk("Epsilon gammaXlaunch", "250.00", c3, f.Owner, "new", "proposal")
	// Organization B's deals never show up, whatever the filter.
	f.App.NewDeal(t, f.Outsider(t), f.Outsider(t).OrgID, "Alpha of B", "1000.10")

	all := []string{"Alpha website", "Beta 100% discount", "gamma_launch", "Delta ALPHA support", "Epsilon gammaXlaunch"}
	st := func(s ...client.DealStatus) *[]client.DealStatus { return &s }
	cases := []struct {
		name string
		p    client.ListDealsParams
		want []string
	}{
		{"no filter", client.ListDealsParams{}, all},
		{"one status", client.ListDealsParams{Status: st("new")}, []string{"Alpha website", "Epsilon gammaXlaunch"}},
		{"repeated status", client.ListDealsParams{Status: st("new", "in_progress")}, []string{"Alpha website", "Beta 100% discount", "Epsilon gammaXlaunch"}},
		{"won and lost", client.ListDealsParams{Status: st("won", "lost")}, []string{"gamma_launch", "Delta ALPHA support"}},
		{"every status", client.ListDealsParams{Status: st("new", "in_progress", "won", "lost")}, all},
		{"stage", client.ListDealsParams{Stage: apptest.Ptr(client.DealStageProposal)}, []string{"Beta 100% discount", "Epsilon gammaXlaunch"}},
		{"stage without deals", client.ListDealsParams{Stage: apptest.Ptr(client.DealStageQualification), Status: st("won")}, nil},
		{"status and stage", client.ListDealsParams{Status: st("new"), Stage: apptest.Ptr(client.DealStageProposal)}, []string{"Epsilon gammaXlaunch"}},
		{"min amount is inclusive", client.ListDealsParams{MinAmount: apptest.Amount("1000.10")}, []string{"Alpha website", "gamma_launch"}},
		{"max amount is inclusive", client.ListDealsParams{MaxAmount: apptest.Amount("1000.10")}, []string{"Alpha website", "Beta 100% discount", "Delta ALPHA support", "Epsilon gammaXlaunch"}},
		{"min equals max", client.ListDealsParams{MinAmount: apptest.Amount("1000.10"), MaxAmount: apptest.Amount("1000.10")}, []string{"Alpha website"}},
		{"one cent above", client.ListDealsParams{MinAmount: apptest.Amount("1000.11")}, []string{"gamma_launch"}},
		{"one cent below", client.ListDealsParams{MaxAmount: apptest.Amount("1000.09"), MinAmount: apptest.Amount("1000.09")}, []string{"Beta 100% discount"}},
		{"zero amounts", client.ListDealsParams{MaxAmount: apptest.Amount("0")}, []string{"Delta ALPHA support"}},
		{"min above max", client.ListDealsParams{MinAmount: apptest.Amount("2000"), MaxAmount: apptest.Amount("1000")}, nil},
		{"owner", client.ListDealsParams{OwnerId: apptest.Ptr(f.Member(t).ID)}, []string{"Beta 100% discount", "Delta ALPHA support"}},
		{"owner without deals", client.ListDealsParams{OwnerId: apptest.Ptr(f.Admin(t).ID)}, nil},
		{"unknown owner", client.ListDealsParams{OwnerId: apptest.Ptr(uuid.New())}, nil},
		{"contact", client.ListDealsParams{ContactId: &c2.Id}, []string{"gamma_launch", "Delta ALPHA support"}},
		{"unknown contact", client.ListDealsParams{ContactId: apptest.Ptr(uuid.New())}, nil},
		{"search is case-insensitive", client.ListDealsParams{Search: apptest.Ptr("alpha")}, []string{"Alpha website", "Delta ALPHA support"}},
		{"search in the middle", client.ListDealsParams{Search: apptest.Ptr("WEBSIT")}, []string{"Alpha website"}},
		{"search percent is literal", client.ListDealsParams{Search: apptest.Ptr("%")}, []string{"Beta 100% discount"}},
		{"search percent inside", client.ListDealsParams{Search: apptest.Ptr("100% d")}, []string{"Beta 100% discount"}},
		{"search underscore is literal", client.ListDealsParams{Search: apptest.Ptr("_")}, []string{"gamma_launch"}},
		{"search underscore inside", client.ListDealsParams{Search: apptest.Ptr("gamma_l")}, []string{"gamma_launch"}},
		{"search backslash is literal", client.ListDealsParams{Search: apptest.Ptr(`\`)}, nil},
		{"search without match", client.ListDealsParams{Search: apptest.Ptr("zeta")}, nil},
		{"everything at once", client.ListDealsParams{Status: st("in_progress", "lost"), Stage: apptest.Ptr(client.DealStageProposal),
			MinAmount: apptest.Amount("1000"), MaxAmount: apptest.Amount("1000.09"), OwnerId: apptest.Ptr(f.Member(t).ID), ContactId: &c1.Id,
			Search: apptest.Ptr("100%")}, []string{"Beta 100% discount"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.PageSize = apptest.Ptr(int32(100))
			for _, role := range apptest.Roles {
				if role == client.RoleMember && p.OwnerId != nil && *p.OwnerId != f.Member(t).ID {
					continue // members may filter by their own id only (below)
				}
				res := dealsList(t, f.App, f.As(t, role), f.Org, p)
				require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
				assert.Equal(t, dealsSorted(c.want...), dealsTitles(res.JSON200.Items), role)
				assert.EqualValues(t, len(c.want), res.JSON200.Total, role)
			}
		})
	}

	// The repeated status parameter travels as status=new&status=in_progress.
	res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/deals?status=new&status=in_progress&page_size=100", Token: f.Owner.Access, Org: f.Org})
	require.Equal(t, http.StatusOK, res.StatusCode, "body: %s", body)
	var page client.DealList
	require.NoError(t, json.Unmarshal(body, &page))
	assert.Equal(t, dealsSorted("Alpha website", "Beta 100% discount", "Epsilon gammaXlaunch"), dealsTitles(page.Items))

	// owner_id: a member may ask for their own deals only.
	own := dealsList(t, f.App, f.Member(t), f.Org, client.ListDealsParams{OwnerId: apptest.Ptr(f.Member(t).ID)})
	require.Equal(t, http.StatusOK, own.StatusCode())
	assert.Equal(t, dealsSorted("Beta 100% discount", "Delta ALPHA support"), dealsTitles(own.JSON200.Items))
	for _, other := range []uuid.UUID{f.Owner.ID, f.Member2(t).ID, uuid.New()} {
		res, err := f.App.Client.ListDealsWithResponse(t.Context(), &client.ListDealsParams{OwnerId: &other}, f.Member(t).In(f.Org)...)
		require.NoError(t, err)
		problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	}
}

func TestDeals_ListRejectsBadParameters(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	f.deal(t, "One", "1.00", f.Owner)
	cases := map[string]string{
		"page_size=101": "page_size",
		"page_size=0":   "page_size",
		"page=0":        "page",
		"page=x":        "page",
		"status=bogus":  "status",
		"status=new&status=won&status=lost&status=in_progress&status=new": "status",
		"stage=done":                         "stage",
		"order_by=owner_id":                  "order_by",
		"order=sideways":                     "order",
		"min_amount=abc":                     "min_amount",
		"max_amount=-1":                      "max_amount",
		"owner_id=nope":                      "owner_id",
		"contact_id=nope":                    "contact_id",
		"search=":                            "search",
		"search=" + strings.Repeat("s", 201): "search",
	}
	for q, field := range cases {
		res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/deals?" + q, Token: f.Owner.Access, Org: f.Org})
		p := problemOf(t, res, body, http.StatusBadRequest, "validation_failed")
		assert.True(t, slices.ContainsFunc(fieldsOf(p), func(f string) bool {
			return f == field || strings.HasPrefix(f, field+".") // status.0: the first item of status
		}), "%s: %v", q, fieldsOf(p))
	}
	// The bounds themselves are fine.
	for _, q := range []string{"page_size=100", "page_size=1", "page=1000000", "min_amount=0&max_amount=999999999999.99"} {
		res, body := f.App.Do(t, apptest.Request{Path: "/api/v1/deals?" + q, Token: f.Owner.Access, Org: f.Org})
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", q, body)
	}
}

// dealsOrderKey compares two deals by the order_by field (without the id tie-break).
func dealsOrderKey(orderBy string, a, b client.Deal) int {
	switch orderBy {
	case "created_at":
		return a.CreatedAt.Compare(b.CreatedAt)
	case "updated_at":
		return a.UpdatedAt.Compare(b.UpdatedAt)
	case "amount":
		return a.Amount.Cmp(b.Amount.Decimal)
	case "title":
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	}
	panic(orderBy)
}

// dealsRequireOrdered asserts items are sorted by orderBy in direction, ties broken by id likewise.
func dealsRequireOrdered(t *testing.T, items []client.Deal, orderBy string, desc bool) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		c := dealsOrderKey(orderBy, a, b)
		if c == 0 {
			c = strings.Compare(a.Id.String(), b.Id.String())
		}
		if desc {
			c = -c
		}
		assert.Negative(t, c, "%s desc=%t: %q (%s) before %q (%s)", orderBy, desc, a.Title, a.Id, b.Title, b.Id)
	}
}

func TestDeals_ListOrderingAndStablePagination(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	c := f.App.NewContact(t, f.Owner, f.Org, "Shared")
	// Titles differ in case only where sorting must ignore it; amounts and titles repeat so that the
	// id tie-break is exercised.
	titles := []string{"bravo", "Alpha", "charlie", "alpha", "Bravo", "delta", "echo"}
	amounts := []string{"100.00", "250.50", "100.00", "0.00", "999.99", "250.50", "100.00"}
	var ids []uuid.UUID
	for i := 0; i < 23; i++ {
		d := f.App.CreateDeal(t, f.Owner, f.Org, client.DealCreate{ContactId: c.Id,
			Title: titles[i%len(titles)], Amount: apptest.Amount(amounts[(i*3)%len(amounts)])})
		ids = append(ids, d.Id)
	}
	// updated_at in another order than created_at.
	for i := len(ids) - 1; i >= 0; i -= 3 {
		f.App.UpdateDeal(t, f.Owner, f.Org, ids[i], client.DealUpdate{Currency: apptest.Ptr("EUR")})
	}

	// The default is created_at, newest first.
	def := dealsList(t, f.App, f.Owner, f.Org, client.ListDealsParams{PageSize: apptest.Ptr(int32(100))})
	require.Equal(t, http.StatusOK, def.StatusCode())
	require.Len(t, def.JSON200.Items, 23)
	assert.EqualValues(t, 1, def.JSON200.Page)
	assert.EqualValues(t, 100, def.JSON200.PageSize)
	dealsRequireOrdered(t, def.JSON200.Items, "created_at", true)
	assert.Equal(t, ids[len(ids)-1], def.JSON200.Items[0].Id)

	// Default page size is 20.
	p20 := dealsList(t, f.App, f.Owner, f.Org, client.ListDealsParams{})
	require.Equal(t, http.StatusOK, p20.StatusCode())
	assert.Len(t, p20.JSON200.Items, 20)
	assert.EqualValues(t, 20, p20.JSON200.PageSize)
	assert.EqualValues(t, 23, p20.JSON200.Total)

	for _, orderBy := range []client.ListDealsParamsOrderBy{"created_at", "updated_at", "amount", "title"} {
		for _, order := range []client.ListDealsParamsOrder{"asc", "desc"} {
			t.Run(string(orderBy)+"/"+string(order), func(t *testing.T) {
				full := dealsList(t, f.App, f.Owner, f.Org, client.ListDealsParams{
					OrderBy: &orderBy, Order: &order, PageSize: apptest.Ptr(int32(100))})
				require.Equal(t, http.StatusOK, full.StatusCode(), "body: %s", full.Body)
				require.Len(t, full.JSON200.Items, 23)
				dealsRequireOrdered(t, full.JSON200.Items, string(orderBy), order == "desc")

				// Walking the pages gives the same sequence: every deal exactly once.
				var walked []client.Deal
				seen := map[uuid.UUID]int{}
				for page := int32(1); ; page++ {
					res := dealsList(t, f.App, f.Owner, f.Org, client.ListDealsParams{
						OrderBy: &orderBy, Order: &order, Page: &page, PageSize: apptest.Ptr(int32(5))})
					require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
					assert.EqualValues(t, 23, res.JSON200.Total, "page %d", page)
					assert.EqualValues(t, page, res.JSON200.Page)
					assert.EqualValues(t, 5, res.JSON200.PageSize)
					if len(res.JSON200.Items) == 0 {
						assert.EqualValues(t, 6, page, "past the end is empty, with the total")
						break
					}
					for _, d := range res.JSON200.Items {
						seen[d.Id]++
					}
					walked = append(walked, res.JSON200.Items...)
				}
				require.Len(t, walked, 23)
				for _, id := range ids {
					assert.Equal(t, 1, seen[id], "deal %s", id)
				}
				assert.Equal(t, full.JSON200.Items, walked)
			})
		}
	}
}

// ---- visibility ----

func TestDeals_MembersSeeAllFalseHidesOthersDealsFromMembersOnly(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	mine := f.deal(t, "Member's", "10.00", f.Member(t))
	theirs := f.deal(t, "Member2's", "20.00", f.Member2(t))
	owners := f.deal(t, "Owner's", "30.00", f.Owner)

	// members_see_all=true (the default): members read everything, change their own only.
	for _, d := range []client.Deal{mine, theirs, owners} {
		assert.Equal(t, d, dealsMustGet(t, f.App, f.Member(t), f.Org, d.Id))
	}
	res := dealsPatch(t, f.App, f.Member(t), f.Org, theirs.Id, client.DealUpdate{Title: apptest.Ptr("x")})
	problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
	del, err := f.App.Client.DeleteDealWithResponse(t.Context(), theirs.Id, f.Member(t).In(f.Org)...)
	require.NoError(t, err)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "forbidden")

	f.MembersSeeAll(t, false)

	list := dealsList(t, f.App, f.Member(t), f.Org, client.ListDealsParams{})
	require.Equal(t, http.StatusOK, list.StatusCode())
	assert.Equal(t, []string{"Member's"}, dealsTitles(list.JSON200.Items))
	assert.EqualValues(t, 1, list.JSON200.Total)
	list = dealsList(t, f.App, f.Member(t), f.Org, client.ListDealsParams{OwnerId: apptest.Ptr(f.Member(t).ID), Search: apptest.Ptr("'s")})
	require.Equal(t, http.StatusOK, list.StatusCode())
	assert.Equal(t, []string{"Member's"}, dealsTitles(list.JSON200.Items))
	list = dealsList(t, f.App, f.Member(t), f.Org, client.ListDealsParams{OwnerId: apptest.Ptr(f.Member2(t).ID)})
	problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "forbidden")

	assert.Equal(t, mine, dealsMustGet(t, f.App, f.Member(t), f.Org, mine.Id))
	unknown := dealsGet(t, f.App, f.Member(t), f.Org, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	want := withoutRequestID(t, unknown.Body)
	for _, d := range []client.Deal{theirs, owners} {
		g := dealsGet(t, f.App, f.Member(t), f.Org, d.Id)
		problemOf(t, g.HTTPResponse, g.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, g.Body), "invisible looks like missing")
		p := dealsPatch(t, f.App, f.Member(t), f.Org, d.Id, client.DealUpdate{Title: apptest.Ptr("x")})
		problemOf(t, p.HTTPResponse, p.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, p.Body))
		del, err := f.App.Client.DeleteDealWithResponse(t.Context(), d.Id, f.Member(t).In(f.Org)...)
		require.NoError(t, err)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		assert.Equal(t, want, withoutRequestID(t, del.Body))
		assert.Equal(t, d, dealsMustGet(t, f.App, f.Owner, f.Org, d.Id), "untouched")
		assert.Equal(t, 1, dealsActivityCount(t, f.App, d.Id))
	}
	// The member still changes their own deal.
	f.App.UpdateDeal(t, f.Member(t), f.Org, mine.Id, client.DealUpdate{Title: apptest.Ptr("Member's, renamed")})

	// Managers and above are not affected.
	for _, role := range []client.Role{client.RoleOwner, client.RoleAdmin, client.RoleManager} {
		l := dealsList(t, f.App, f.As(t, role), f.Org, client.ListDealsParams{})
		require.Equal(t, http.StatusOK, l.StatusCode())
		assert.EqualValues(t, 3, l.JSON200.Total, role)
		for _, d := range []client.Deal{theirs, owners} {
			assert.Equal(t, d.Id, dealsMustGet(t, f.App, f.As(t, role), f.Org, d.Id).Id, role)
		}
		l = dealsList(t, f.App, f.As(t, role), f.Org, client.ListDealsParams{OwnerId: apptest.Ptr(f.Member2(t).ID)})
		require.Equal(t, http.StatusOK, l.StatusCode())
		assert.Equal(t, []string{"Member2's"}, dealsTitles(l.JSON200.Items), role)
	}
}

// ---- get ----

func TestDeals_GetReturnsTheDealForEveryRole(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "Readable", "1234.56", f.Member2(t))
	for _, role := range apptest.Roles {
		res := dealsGet(t, f.App, f.As(t, role), f.Org, d.Id)
		require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
		assert.Equal(t, d, *res.JSON200, role)
		assert.Equal(t, "1234.56", string(dealsAmountJSON.FindSubmatch(res.Body)[1]))
		assert.Equal(t, "no-store", res.HTTPResponse.Header.Get("Cache-Control"))
	}
}

func TestDeals_UnknownAndForeignDealsAreNotFoundAlike(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	foreign := f.foreignDeal(t)
	var bodies []map[string]any
	for _, id := range []uuid.UUID{uuid.New(), foreign.Id} {
		g := dealsGet(t, f.App, f.Owner, f.Org, id)
		problemOf(t, g.HTTPResponse, g.Body, http.StatusNotFound, "not_found")
		bodies = append(bodies, withoutRequestID(t, g.Body))
		p := dealsPatch(t, f.App, f.Owner, f.Org, id, client.DealUpdate{Title: apptest.Ptr("x")})
		problemOf(t, p.HTTPResponse, p.Body, http.StatusNotFound, "not_found")
		bodies = append(bodies, withoutRequestID(t, p.Body))
		del, err := f.App.Client.DeleteDealWithResponse(t.Context(), id, f.Owner.In(f.Org)...)
		require.NoError(t, err)
		problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
		bodies = append(bodies, withoutRequestID(t, del.Body))
	}
	for _, b := range bodies[1:] {
		assert.Equal(t, bodies[0], b)
	}
	assert.Equal(t, foreign, dealsMustGet(t, f.App, f.Outsider(t), f.Outsider(t).OrgID, foreign.Id))
	assert.Equal(t, 1, dealsActivityCount(t, f.App, foreign.Id))
}

// ---- update ----

// TestDeals_PatchRoleMatrix is DESIGN.md §5 for deals through HTTP: each role, each kind of change.
func TestDeals_PatchRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	type action struct {
		name string
		// setup returns the deal to patch (as its owner, already in the wanted state) and the patch.
		setup func(t *testing.T, actor apptest.User) (client.Deal, client.DealUpdate)
		// check verifies the successful result and its timeline entry.
		check func(t *testing.T, actor apptest.User, before, after client.Deal, newest []dealsEvent)
	}
	own := func(title, amount string) func(t *testing.T, actor apptest.User) client.Deal {
		return func(t *testing.T, actor apptest.User) client.Deal { return f.deal(t, title, amount, actor) }
	}
	actions := []action{
		{
			name: "change own deal",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return own("Own", "10.00")(t, a), client.DealUpdate{Title: apptest.Ptr("Own, renamed"), Amount: apptest.Amount("11.00")}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, "Own, renamed", after.Title)
				assert.Equal(t, "11.00", after.Amount.String())
				assert.Equal(t, []string{"amount", "title"}, dealsChangedFields(t, ev[0]))
			},
		},
		{
			name: "change other's deal",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return f.deal(t, "Member2's", "10.00", f.Member2(t)), client.DealUpdate{Title: apptest.Ptr("Taken over")}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, "Taken over", after.Title)
				assert.Equal(t, f.Member2(t).ID, after.OwnerId, "the owner does not change")
				old, nw, ok := dealsChange(t, ev[0], "title")
				require.True(t, ok)
				assert.Equal(t, [2]string{"Member2's", "Taken over"}, [2]string{old, nw})
			},
		},
		{
			name: "forward stage with a skip",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return own("Forward", "10.00")(t, a), client.DealUpdate{Stage: apptest.Ptr(client.DealStageNegotiation)}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, client.DealStage("negotiation"), after.Stage)
				assert.Equal(t, "stage_changed", ev[0].Type)
				assert.Equal(t, map[string]any{"old_stage": "qualification", "new_stage": "negotiation"}, ev[0].Payload)
			},
		},
		{
			name: "backward stage",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				d := own("Backward", "10.00")(t, a)
				d = f.App.UpdateDeal(t, f.Owner, f.Org, d.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageClosed)})
				return d, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal)}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, client.DealStage("proposal"), after.Stage)
				assert.Equal(t, "stage_changed", ev[0].Type)
				assert.Equal(t, map[string]any{"old_stage": "closed", "new_stage": "proposal"}, ev[0].Payload)
			},
		},
		{
			name: "change owner_id",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return own("Handover", "10.00")(t, a), client.DealUpdate{OwnerId: apptest.Ptr(f.Member2(t).ID)}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, f.Member2(t).ID, after.OwnerId)
				old, nw, ok := dealsChange(t, ev[0], "owner_id")
				require.True(t, ok)
				assert.Equal(t, [2]string{a.ID.String(), f.Member2(t).ID.String()}, [2]string{old, nw})
			},
		},
		{
			name: "set won with amount 0",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return own("Free", "0")(t, a), client.DealUpdate{Status: apptest.Ptr(client.DealStatusWon)}
			},
		},
		{
			name: "set won with a positive amount",
			setup: func(t *testing.T, a apptest.User) (client.Deal, client.DealUpdate) {
				return own("Paid", "0")(t, a), client.DealUpdate{Status: apptest.Ptr(client.DealStatusWon), Amount: apptest.Amount("0.01"), Stage: apptest.Ptr(client.DealStageClosed)}
			},
			check: func(t *testing.T, a apptest.User, before, after client.Deal, ev []dealsEvent) {
				assert.Equal(t, client.DealStatus("won"), after.Status)
				assert.Equal(t, client.DealStage("closed"), after.Stage)
				assert.Equal(t, "0.01", after.Amount.String())
				require.Len(t, ev, 3)
				assert.Equal(t, []string{"deal_updated", "stage_changed", "status_changed"}, []string{ev[0].Type, ev[1].Type, ev[2].Type})
			},
		},
	}
	type want struct {
		status int
		code   string
	}
	ok := want{http.StatusOK, ""}
	matrix := map[string]map[client.Role]want{
		"change own deal":                {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: ok, client.RoleMember: ok},
		"change other's deal":            {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: ok, client.RoleMember: {403, "forbidden"}},
		"forward stage with a skip":      {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: ok, client.RoleMember: ok},
		"backward stage":                 {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: {403, "stage_rollback_forbidden"}, client.RoleMember: {403, "stage_rollback_forbidden"}},
		"change owner_id":                {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: ok, client.RoleMember: {403, "forbidden"}},
		"set won with amount 0":          {client.RoleOwner: {400, "won_requires_positive_amount"}, client.RoleAdmin: {400, "won_requires_positive_amount"}, client.RoleManager: {400, "won_requires_positive_amount"}, client.RoleMember: {400, "won_requires_positive_amount"}},
		"set won with a positive amount": {client.RoleOwner: ok, client.RoleAdmin: ok, client.RoleManager: ok, client.RoleMember: ok},
	}
	require.Len(t, matrix, len(actions))
	for _, a := range actions {
		for _, role := range apptest.Roles {
			w, found := matrix[a.name][role]
			require.True(t, found, "%s/%s", a.name, role)
			t.Run(a.name+"/"+string(role), func(t *testing.T) {
				actor := f.As(t, role)
				before, patch := a.setup(t, actor)
				n := dealsActivityCount(t, f.App, before.Id)
				res := dealsPatch(t, f.App, actor, f.Org, before.Id, patch)
				if w.status != http.StatusOK {
					problemOf(t, res.HTTPResponse, res.Body, w.status, w.code)
					assert.Equal(t, before, dealsMustGet(t, f.App, f.Owner, f.Org, before.Id), "a refused change changes nothing")
					assert.Equal(t, n, dealsActivityCount(t, f.App, before.Id), "and writes nothing")
					return
				}
				require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
				after := *res.JSON200
				assert.Equal(t, after, dealsMustGet(t, f.App, f.Owner, f.Org, before.Id), "the answer is what is stored")
				assert.True(t, after.UpdatedAt.After(before.UpdatedAt), "updated_at moves")
				assert.Equal(t, before.CreatedAt, after.CreatedAt)
				tl := dealsTimeline(t, f.App, f.Owner, f.Org, before.Id)
				newest := tl[:len(tl)-n]
				require.NotEmpty(t, newest, "the change is in the timeline")
				for _, ev := range newest {
					require.NotNil(t, ev.AuthorID)
					assert.Equal(t, actor.ID, *ev.AuthorID, "author is the caller")
				}
				a.check(t, actor, before, after, newest)
			})
		}
	}
}

func TestDeals_PatchWritesEveryChangeToTheTimeline(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "Original", "100.00", f.Member(t))
	other := f.App.NewContact(t, f.Owner, f.Org, "Other contact")

	res := dealsPatch(t, f.App, f.Manager(t), f.Org, d.Id, client.DealUpdate{
		Title: apptest.Ptr("Changed"), Amount: apptest.Amount("2500.75"), Currency: apptest.Ptr("EUR"),
		Status: apptest.Ptr(client.DealStatusWon), Stage: apptest.Ptr(client.DealStageClosed), ContactId: &other.Id, OwnerId: apptest.Ptr(f.Member2(t).ID),
	})
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	got := *res.JSON200
	assert.Equal(t, client.Deal{Id: d.Id, ContactId: other.Id, OwnerId: f.Member2(t).ID, Title: "Changed",
		Amount: money.MustParse("2500.75"), Currency: "EUR", Status: "won", Stage: "closed",
		CreatedAt: d.CreatedAt, UpdatedAt: got.UpdatedAt}, got)

	tl := dealsTimeline(t, f.App, f.Owner, f.Org, d.Id)
	require.Len(t, tl, 4)
	assert.Equal(t, []string{"deal_updated", "stage_changed", "status_changed", "deal_created"},
		[]string{tl[0].Type, tl[1].Type, tl[2].Type, tl[3].Type}, "newest first")
	for i := 1; i < len(tl); i++ {
		assert.False(t, tl[i].CreatedAt.After(tl[i-1].CreatedAt), "newest first")
	}
	for _, ev := range tl[:3] {
		assert.Equal(t, f.Manager(t).ID, *ev.AuthorID)
		assert.Equal(t, d.Id, ev.DealID)
	}
	assert.Equal(t, map[string]any{"old_status": "new", "new_status": "won"}, tl[2].Payload)
	assert.Equal(t, map[string]any{"old_stage": "qualification", "new_stage": "closed"}, tl[1].Payload)
	assert.Equal(t, []string{"amount", "contact_id", "currency", "owner_id", "title"}, dealsChangedFields(t, tl[0]))
	for field, want := range map[string][2]string{
		"title":      {"Original", "Changed"},
		"amount":     {"100.00", "2500.75"},
		"currency":   {"USD", "EUR"},
		"contact_id": {d.ContactId.String(), other.Id.String()},
		"owner_id":   {f.Member(t).ID.String(), f.Member2(t).ID.String()},
	} {
		old, nw, ok := dealsChange(t, tl[0], field)
		require.True(t, ok, field)
		assert.Equal(t, want, [2]string{old, nw}, field)
	}

	// Repeating the current values is no change: 200, nothing written, updated_at kept.
	same := dealsPatch(t, f.App, f.Owner, f.Org, d.Id, client.DealUpdate{
		Title: &got.Title, Amount: apptest.Amount("2500.750"), Currency: &got.Currency, Status: &got.Status,
		Stage: &got.Stage, ContactId: &got.ContactId, OwnerId: &got.OwnerId,
	})
	require.Equal(t, http.StatusOK, same.StatusCode(), "body: %s", same.Body)
	assert.Equal(t, got, *same.JSON200)
	assert.Equal(t, got, dealsMustGet(t, f.App, f.Owner, f.Org, d.Id))
	assert.Equal(t, 4, dealsActivityCount(t, f.App, d.Id))

	// A single field makes a single event; the filtered timeline finds it.
	f.App.UpdateDeal(t, f.Admin(t), f.Org, d.Id, client.DealUpdate{Status: apptest.Ptr(client.DealStatusLost)})
	typ := client.ActivityType("status_changed")
	lr, err := f.App.Client.ListActivitiesWithResponse(t.Context(), d.Id, &client.ListActivitiesParams{Type: &typ}, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, lr.StatusCode())
	require.Len(t, lr.JSON200.Items, 2)
	assert.Equal(t, map[string]any{"old_status": "won", "new_status": "lost"}, lr.JSON200.Items[0].Payload)
	assert.Equal(t, f.Admin(t).ID, lr.JSON200.Items[0].AuthorId.MustGet())
}

func TestDeals_PatchRejectsBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "Stable", "100.00", f.Member(t))
	d = f.App.UpdateDeal(t, f.Owner, f.Org, d.Id, client.DealUpdate{Status: apptest.Ptr(client.DealStatusWon), Stage: apptest.Ptr(client.DealStageNegotiation)})
	foreignContact := f.App.NewContact(t, f.Outsider(t), f.Outsider(t).OrgID, "B's contact")
	n := dealsActivityCount(t, f.App, d.Id)

	cases := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"empty body", `{}`, 400, "validation_failed", ""},
		{"unknown field", `{"colour":"red"}`, 400, "validation_failed", "colour"},
		{"read-only id", `{"id":"` + uuid.NewString() + `"}`, 400, "validation_failed", "id"},
		{"read-only created_at", `{"title":"x","created_at":"2020-01-01T00:00:00Z"}`, 400, "validation_failed", "created_at"},
		{"amount with 3 decimals", `{"amount":10.005}`, 400, "validation_failed", "amount"},
		{"negative amount", `{"amount":-0.01}`, 400, "validation_failed", "amount"},
		{"amount 0 on a won deal", `{"amount":0}`, 400, "won_requires_positive_amount", ""},
		{"won and amount 0", `{"status":"won","amount":0,"title":"x"}`, 400, "won_requires_positive_amount", ""},
		{"unknown status", `{"status":"paused"}`, 400, "validation_failed", "status"},
		{"unknown stage", `{"stage":"done"}`, 400, "validation_failed", "stage"},
		{"empty title", `{"title":""}`, 400, "validation_failed", "title"},
		{"null title", `{"title":null}`, 400, "validation_failed", "title"},
		{"bad currency", `{"currency":"EURO"}`, 400, "validation_failed", "currency"},
		{"contact not a uuid", `{"contact_id":"nope"}`, 400, "validation_failed", "contact_id"},
		{"unknown contact", `{"contact_id":"` + uuid.NewString() + `","title":"x"}`, 400, "invalid_reference", "contact_id"},
		{"foreign contact", `{"contact_id":"` + foreignContact.Id.String() + `","title":"x"}`, 400, "invalid_reference", "contact_id"},
		{"owner not a member", `{"owner_id":"` + f.Outsider(t).ID.String() + `","title":"x"}`, 400, "invalid_reference", "owner_id"},
		{"unknown owner", `{"owner_id":"` + uuid.NewString() + `"}`, 400, "invalid_reference", "owner_id"},
		{"rollback with other changes", `{"stage":"qualification","title":"x"}`, 403, "stage_rollback_forbidden", ""},
		{"malformed JSON", `{"title":`, 400, "malformed_request", ""},
	}
	bodies := map[string]map[string]any{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := dealsPatchRaw(t, f.App, f.Manager(t), f.Org, d.Id, c.body)
			p := problemOf(t, res.HTTPResponse, res.Body, c.status, c.code)
			if c.field != "" {
				assert.Contains(t, fieldsOf(p), c.field)
			}
			bodies[c.name] = withoutRequestID(t, res.Body)
			assert.Equal(t, d, dealsMustGet(t, f.App, f.Owner, f.Org, d.Id), "a failed PATCH changes nothing")
			assert.Equal(t, n, dealsActivityCount(t, f.App, d.Id), "and writes no activity")
		})
	}
	assert.Equal(t, bodies["unknown contact"], bodies["foreign contact"], "unknown and foreign contacts answer alike")
	assert.Equal(t, bodies["unknown owner"], bodies["owner not a member"])
}

// ---- concurrency ----

func TestDeals_ConcurrentPatchesLoseNothingAndTheTimelineAgrees(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "Contended", "1.00", f.Owner)
	const n = 12
	actors := []apptest.User{f.Owner, f.Admin(t)} // both may move stages either way
	stages := []client.DealStage{"qualification", "proposal", "negotiation", "closed"}

	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var body client.DealUpdate
			switch i % 3 {
			case 0:
				body = client.DealUpdate{Title: apptest.Ptr(fmt.Sprintf("Title %d", i)), Amount: apptest.Amount(fmt.Sprintf("%d.%02d", 100*(i+1), i))}
			case 1:
				body = client.DealUpdate{Amount: apptest.Amount(fmt.Sprintf("%d.50", 10*(i+1)))}
			case 2:
				body = client.DealUpdate{Stage: &stages[(i/3)%len(stages)], Title: apptest.Ptr(fmt.Sprintf("Staged %d", i))}
			}
			<-start
			res, err := f.App.Client.UpdateDealWithResponse(t.Context(), d.Id, body, actors[i%len(actors)].In(f.Org)...)
			if err != nil {
				t.Errorf("patch %d: %v", i, err)
				return
			}
			statuses[i] = res.StatusCode()
		}(i)
	}
	close(start)
	wg.Wait()
	for i, s := range statuses {
		assert.Equal(t, http.StatusOK, s, "patch %d", i)
	}

	final := dealsMustGet(t, f.App, f.Owner, f.Org, d.Id)
	tl := dealsTimeline(t, f.App, f.Owner, f.Org, d.Id)
	// Replay the timeline oldest first: each field's chain starts at the created value, every
	// event's "old" is the previous event's "new", and the chain ends at the stored value.
	state := map[string]string{"title": "Contended", "amount": "1.00", "stage": "qualification"}
	changes := map[string]int{}
	for i := len(tl) - 1; i >= 0; i-- {
		ev := tl[i]
		switch ev.Type {
		case "deal_created":
			assert.Equal(t, len(tl)-1, i, "deal_created comes first")
		case "stage_changed":
			assert.Equal(t, state["stage"], ev.Payload["old_stage"], "stage chain broken at event %s", ev.ID)
			state["stage"] = ev.Payload["new_stage"].(string)
			changes["stage"]++
		case "deal_updated":
			for _, field := range dealsChangedFields(t, ev) {
				old, nw, _ := dealsChange(t, ev, field)
				require.Contains(t, state, field, "unexpected change of %s", field)
				assert.Equal(t, state[field], old, "%s chain broken at event %s", field, ev.ID)
				state[field] = nw
				changes[field]++
			}
		default:
			t.Errorf("unexpected event %s", ev.Type)
		}
	}
	assert.Equal(t, state["title"], final.Title)
	assert.Equal(t, state["amount"], final.Amount.String())
	assert.Equal(t, state["stage"], string(final.Stage))
	// Every title and every amount sent was distinct from the one before it, so none may be missing.
	assert.Equal(t, 8, changes["title"], "every title change is in the timeline")
	assert.Equal(t, 8, changes["amount"], "every amount change is in the timeline")
}

// ---- delete ----

func TestDeals_DeleteRemovesTheDealItsTasksAndTimeline(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "Doomed", "10.00", f.Owner)
	keep := f.deal(t, "Kept", "10.00", f.Owner)
	f.App.UpdateDeal(t, f.Owner, f.Org, d.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal)})
	tr, err := f.App.Client.CreateTaskWithResponse(t.Context(), client.TaskCreate{DealId: d.Id, Title: "Call"}, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, tr.StatusCode(), "body: %s", tr.Body)
	cr, err := f.App.Client.CreateActivityWithResponse(t.Context(), d.Id,
		client.ActivityCreate{Type: "comment", Payload: client.CommentPayload{Text: "Bye"}}, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, cr.StatusCode(), "body: %s", cr.Body)
	require.Equal(t, 1, dealsTaskCount(t, f.App, d.Id))
	require.GreaterOrEqual(t, dealsActivityCount(t, f.App, d.Id), 3)
	keepActivities := dealsActivityCount(t, f.App, keep.Id)

	res, err := f.App.Client.DeleteDealWithResponse(t.Context(), d.Id, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
	assert.Empty(t, res.Body)

	g := dealsGet(t, f.App, f.Owner, f.Org, d.Id)
	problemOf(t, g.HTTPResponse, g.Body, http.StatusNotFound, "not_found")
	assert.Zero(t, dealsActivityCount(t, f.App, d.Id))
	assert.Zero(t, dealsTaskCount(t, f.App, d.Id))
	again, err := f.App.Client.DeleteDealWithResponse(t.Context(), d.Id, f.Owner.In(f.Org)...)
	require.NoError(t, err)
	problemOf(t, again.HTTPResponse, again.Body, http.StatusNotFound, "not_found")
	// The other deal is untouched.
	assert.Equal(t, keep, dealsMustGet(t, f.App, f.Owner, f.Org, keep.Id))
	assert.Equal(t, keepActivities, dealsActivityCount(t, f.App, keep.Id))
}

func TestDeals_DeleteRoleMatrix(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	for _, role := range apptest.Roles {
		t.Run(string(role), func(t *testing.T) {
			u := f.As(t, role)
			own := f.deal(t, "Own of "+string(role), "1.00", u)
			other := f.deal(t, "Member2's for "+string(role), "1.00", f.Member2(t))

			res, err := f.App.Client.DeleteDealWithResponse(t.Context(), other.Id, u.In(f.Org)...)
			require.NoError(t, err)
			if role == client.RoleMember {
				problemOf(t, res.HTTPResponse, res.Body, http.StatusForbidden, "forbidden")
				assert.Equal(t, other, dealsMustGet(t, f.App, f.Owner, f.Org, other.Id))
				assert.Equal(t, 1, dealsActivityCount(t, f.App, other.Id))
			} else {
				require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
				assert.Zero(t, dealsActivityCount(t, f.App, other.Id))
			}
			res, err = f.App.Client.DeleteDealWithResponse(t.Context(), own.Id, u.In(f.Org)...)
			require.NoError(t, err)
			require.Equal(t, http.StatusNoContent, res.StatusCode(), "body: %s", res.Body)
			g := dealsGet(t, f.App, f.Owner, f.Org, own.Id)
			problemOf(t, g.HTTPResponse, g.Body, http.StatusNotFound, "not_found")
		})
	}
}

// ---- cross-organization ----

func TestDeals_OwnerOfAnotherOrganizationCannotReachADeal(t *testing.T) {
	t.Parallel()
	f := newDealsTeam(t)
	d := f.deal(t, "A's secret", "5000.00", f.Member(t))
	f.foreignDeal(t)
	n := dealsActivityCount(t, f.App, d.Id)
	b := f.Outsider(t)

	// With B's header: A's deal does not exist.
	unknown := dealsGet(t, f.App, b, b.OrgID, uuid.New())
	problemOf(t, unknown.HTTPResponse, unknown.Body, http.StatusNotFound, "not_found")
	want := withoutRequestID(t, unknown.Body)

	g := dealsGet(t, f.App, b, b.OrgID, d.Id)
	problemOf(t, g.HTTPResponse, g.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, want, withoutRequestID(t, g.Body))
	assert.NotContains(t, string(g.Body), "A's secret")
	p := dealsPatch(t, f.App, b, b.OrgID, d.Id, client.DealUpdate{Title: apptest.Ptr("pwned"), Status: apptest.Ptr(client.DealStatusLost)})
	problemOf(t, p.HTTPResponse, p.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, want, withoutRequestID(t, p.Body))
	del, err := f.App.Client.DeleteDealWithResponse(t.Context(), d.Id, b.In(b.OrgID)...)
	require.NoError(t, err)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusNotFound, "not_found")
	assert.Equal(t, want, withoutRequestID(t, del.Body))
	list := dealsList(t, f.App, b, b.OrgID, client.ListDealsParams{PageSize: apptest.Ptr(int32(100))})
	require.Equal(t, http.StatusOK, list.StatusCode())
	assert.Equal(t, []string{"B's deal"}, dealsTitles(list.JSON200.Items))
	// B cannot point its own deal at A's contact or give it to A's member either.
	mine := dealsList(t, f.App, b, b.OrgID, client.ListDealsParams{}).JSON200.Items[0]
	r := dealsPatch(t, f.App, b, b.OrgID, mine.Id, client.DealUpdate{ContactId: &d.ContactId})
	problemOf(t, r.HTTPResponse, r.Body, http.StatusBadRequest, "invalid_reference")
	r = dealsPatch(t, f.App, b, b.OrgID, mine.Id, client.DealUpdate{OwnerId: apptest.Ptr(f.Member(t).ID)})
	problemOf(t, r.HTTPResponse, r.Body, http.StatusBadRequest, "invalid_reference")

	// With A's header: not a member.
	g = dealsGet(t, f.App, b, f.Org, d.Id)
	problemOf(t, g.HTTPResponse, g.Body, http.StatusForbidden, "not_a_member")
	p = dealsPatch(t, f.App, b, f.Org, d.Id, client.DealUpdate{Title: apptest.Ptr("pwned")})
	problemOf(t, p.HTTPResponse, p.Body, http.StatusForbidden, "not_a_member")
	del, err = f.App.Client.DeleteDealWithResponse(t.Context(), d.Id, b.In(f.Org)...)
	require.NoError(t, err)
	problemOf(t, del.HTTPResponse, del.Body, http.StatusForbidden, "not_a_member")
	list = dealsList(t, f.App, b, f.Org, client.ListDealsParams{})
	problemOf(t, list.HTTPResponse, list.Body, http.StatusForbidden, "not_a_member")
	cr, err := f.App.Client.CreateDealWithResponse(t.Context(), client.DealCreate{ContactId: d.ContactId, Title: "x"}, b.In(f.Org)...)
	require.NoError(t, err)
	problemOf(t, cr.HTTPResponse, cr.Body, http.StatusForbidden, "not_a_member")

	// A's deal is untouched.
	assert.Equal(t, d, dealsMustGet(t, f.App, f.Owner, f.Org, d.Id))
	assert.Equal(t, n, dealsActivityCount(t, f.App, d.Id))
	var count int
	require.NoError(t, f.App.Pool.QueryRow(t.Context(), "SELECT count(*) FROM deals WHERE organization_id = $1", f.Org).Scan(&count))
	assert.Equal(t, 1, count)
}
