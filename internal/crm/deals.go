package crm

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/internal/webhooks"
	"github.com/minicrm/crm/money"
)

// Deal is a deal as stored.
type Deal = db.Deal

// NewDeal is what a caller gives to create a deal.
type NewDeal struct {
	ContactID uuid.UUID
	Title     string
	Amount    *money.Amount // default 0
	Currency  *string       // default: the organization's default_currency
	OwnerID   *uuid.UUID    // default: the caller
}

// DealFilter narrows a deal list; nil and empty fields do not filter.
type DealFilter struct {
	Statuses   []string
	Stage      *string
	MinAmount  *money.Amount
	MaxAmount  *money.Amount
	OwnerID    *uuid.UUID
	ContactID  *uuid.UUID
	Search     *string
	OrderBy    string // created_at | updated_at | amount | title
	Descending bool
}

// CreateDeal opens a deal (status new, stage qualification) and writes deal_created and the first
// row of its stage history.
func (s *Service) CreateDeal(ctx context.Context, m tenancy.Membership, in NewDeal) (Deal, error) {
	if err := m.Require(tenancy.CreateRecords); err != nil {
		return Deal{}, err
	}
	amount := money.Amount{}
	if in.Amount != nil {
		if !in.Amount.HasCents() {
			return Deal{}, errAmountPrecision
		}
		amount = *in.Amount
	}
	currency := m.Settings.DefaultCurrency
	if in.Currency != nil {
		currency = *in.Currency
	}
	var deal Deal
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		owner, err := resolveOwner(ctx, q, m, in.OwnerID)
		if err != nil {
			return err
		}
		if err := requireVisibleContact(ctx, q, m, in.ContactID); err != nil {
			return err
		}
		deal, err = q.CreateDeal(ctx, db.CreateDealParams{
			OrganizationID: m.OrganizationID, ID: newID(), ContactID: in.ContactID, OwnerID: owner,
			Title: in.Title, Amount: amount, Currency: currency,
		})
		if platform.IsForeignKeyViolation(err, dealContactFK) { // unknown or another organization's contact
			return apperr.InvalidReference("contact_id")
		}
		if err != nil {
			return fmt.Errorf("create deal: %w", err)
		}
		return s.recordDealChange(ctx, tx, q, m, dealChange{deal: &deal, event: webhooks.DealCreated,
			timeline: []Event{{Type: ActivityDealCreated, Payload: map[string]any{
				"title": deal.Title, "amount": deal.Amount, "currency": deal.Currency,
				"status": deal.Status, "stage": deal.Stage,
			}}},
		})
	})
	return deal, err
}

// GetDeal returns a deal the caller may see.
func (s *Service) GetDeal(ctx context.Context, m tenancy.Membership, id uuid.UUID) (Deal, error) {
	d, err := found(s.q.GetDeal(ctx, db.GetDealParams{OrganizationID: m.OrganizationID, ID: id}))
	if err != nil {
		return Deal{}, err
	}
	return d, requireVisible(m, d.OwnerID)
}

// ListDeals returns a page of the deals the caller may see. A list filtered by status, stage and
// owner at most is read from the index of its order, from the cursor's position when there is one;
// a filter on contact, amount or title narrows the list through that column's index instead, and
// such a list is paged by offset.
func (s *Service) ListDeals(ctx context.Context, m tenancy.Membership, f DealFilter, p paging.Request) (paging.Page[Deal], error) {
	owner, err := ownerFilter(m, f.OwnerID)
	if err != nil {
		return paging.Page[Deal]{}, err
	}
	if f.Statuses == nil {
		f.Statuses = []string{}
	}
	if f.OrderBy == "" {
		f.OrderBy = "created_at"
	}
	narrowed := f.ContactID != nil || f.MinAmount != nil || f.MaxAmount != nil || f.Search != nil
	var fetch paging.Fetch[dealRow]
	if narrowed {
		args := db.FilterDealsParams{
			OrganizationID: m.OrganizationID, Statuses: f.Statuses, Stage: f.Stage,
			MinAmount: f.MinAmount, MaxAmount: f.MaxAmount, OwnerID: owner, ContactID: f.ContactID,
			Search: likePattern(f.Search), OrderBy: f.OrderBy, Descending: f.Descending,
		}
		fetch = func(limit, offset int32, _ *paging.Key) ([]dealRow, error) {
			args.PageLimit, args.PageOffset = limit, offset
			return dealRows(s.q.FilterDeals(ctx, args))
		}
	} else {
		fetch = func(limit, offset int32, after *paging.Key) ([]dealRow, error) {
			args := db.ListDealsByCreatedAtAscParams{
				OrganizationID: m.OrganizationID, Statuses: f.Statuses, Stage: f.Stage, OwnerID: owner,
				PageLimit: limit, PageOffset: offset,
			}
			args.AfterKey, args.AfterID = after.Args()
			return s.dealsInOrder(ctx, f.OrderBy, f.Descending, args)
		}
	}
	key := func(d Deal) paging.Key {
		switch f.OrderBy {
		case "title":
			return paging.Key{Value: d.Title, ID: d.ID}
		case "amount":
			return paging.Key{Value: d.Amount.String(), ID: d.ID}
		case "updated_at":
			return paging.Key{Value: paging.TimeKey(d.UpdatedAt), ID: d.ID}
		}
		return paging.Key{Value: paging.TimeKey(d.CreatedAt), ID: d.ID}
	}
	page, err := paging.ListAnchored(s.anchors, view(owner), p, !narrowed, fetch,
		func(r dealRow) (Deal, int64, int64) { return r.Deal, r.Total, r.ListVersion }, key)
	if err != nil {
		return page, fmt.Errorf("list deals: %w", err)
	}
	return page, nil
}

// dealsInOrder runs the list query of the order.
func (s *Service) dealsInOrder(ctx context.Context, by string, desc bool, a db.ListDealsByCreatedAtAscParams) ([]dealRow, error) {
	switch {
	case by == "title" && desc:
		return dealRows(s.q.ListDealsByTitleDesc(ctx, db.ListDealsByTitleDescParams(a)))
	case by == "title":
		return dealRows(s.q.ListDealsByTitleAsc(ctx, db.ListDealsByTitleAscParams(a)))
	case by == "amount" && desc:
		return dealRows(s.q.ListDealsByAmountDesc(ctx, db.ListDealsByAmountDescParams(a)))
	case by == "amount":
		return dealRows(s.q.ListDealsByAmountAsc(ctx, db.ListDealsByAmountAscParams(a)))
	case by == "updated_at" && desc:
		return dealRows(s.q.ListDealsByUpdatedAtDesc(ctx, db.ListDealsByUpdatedAtDescParams(a)))
	case by == "updated_at":
		return dealRows(s.q.ListDealsByUpdatedAtAsc(ctx, db.ListDealsByUpdatedAtAscParams(a)))
	case desc:
		return dealRows(s.q.ListDealsByCreatedAtDesc(ctx, db.ListDealsByCreatedAtDescParams(a)))
	default:
		return dealRows(s.q.ListDealsByCreatedAtAsc(ctx, a))
	}
}

// UpdateDeal applies a partial change under ApplyDealPatch's rules. The deal row is locked for the
// transaction, so concurrent changes are serialised: none is lost and the timeline, written in the
// same transaction, always agrees with the deal. pre, when not nil, is checked on the locked row
// first (a caller who may not change the deal is answered that instead).
func (s *Service) UpdateDeal(ctx context.Context, m tenancy.Membership, id uuid.UUID, p DealPatch, pre Precondition) (Deal, error) {
	var out Deal
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		cur, err := found(q.GetDealForUpdate(ctx, db.GetDealForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, cur.OwnerID); err != nil {
			return err
		}
		if err := pre.check(cur.ID, cur.UpdatedAt); err != nil {
			return err
		}
		next, events, err := ApplyDealPatch(m, stateOf(cur), p)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			out = cur
			return nil
		}
		if next.OwnerID != cur.OwnerID {
			if _, err := resolveOwner(ctx, q, m, &next.OwnerID); err != nil {
				return err
			}
		}
		if next.ContactID != cur.ContactID {
			if err := requireVisibleContact(ctx, q, m, next.ContactID); err != nil {
				return err
			}
		}
		out, err = q.UpdateDeal(ctx, db.UpdateDealParams{
			OrganizationID: m.OrganizationID, ID: id, Title: next.Title, Amount: next.Amount,
			Currency: next.Currency, Status: next.Status, Stage: next.Stage,
			ContactID: next.ContactID, OwnerID: next.OwnerID,
		})
		if platform.IsForeignKeyViolation(err, dealContactFK) {
			return apperr.InvalidReference("contact_id")
		}
		if err != nil {
			return fmt.Errorf("update deal: %w", err)
		}
		return s.recordDealChange(ctx, tx, q, m, dealChange{deal: &out, before: &cur, timeline: events, event: webhooks.DealUpdated})
	})
	return out, err
}

// DeleteDeal deletes a deal with its tasks and timeline; pre, when not nil, is checked on the locked
// row after the permission check.
func (s *Service) DeleteDeal(ctx context.Context, m tenancy.Membership, id uuid.UUID, pre Precondition) error {
	return s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		d, err := found(q.GetDealForUpdate(ctx, db.GetDealForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		if err := requireModify(m, d.OwnerID); err != nil {
			return err
		}
		if err := pre.check(d.ID, d.UpdatedAt); err != nil {
			return err
		}
		if _, err = q.DeleteDeal(ctx, db.DeleteDealParams{OrganizationID: m.OrganizationID, ID: id}); err != nil {
			return err
		}
		return s.dealEvent(ctx, tx, q, webhooks.DealDeleted, d, nil)
	})
}

func stateOf(d Deal) DealState {
	return DealState{Title: d.Title, Amount: d.Amount, Currency: d.Currency, Status: d.Status,
		Stage: d.Stage, ContactID: d.ContactID, OwnerID: d.OwnerID}
}

// dealChange is a deal's creation or change: the deal as it is after it, as it was before (nil
// for its creation), its timeline entries and the type of its event.
type dealChange struct {
	deal, before *Deal
	timeline     []Event
	event        webhooks.EventType
}

// recordDealChange writes, on the transaction of the change, what it writes besides the deal in
// one statement (RecordDealChange): the timeline entries, and the stage history row of a creation
// or of a change that moved the stage or the status, at the deal's creation or update. Then it
// emits the change's event to the endpoints that statement found subscribed; without any, the deal
// is not even rendered.
func (s *Service) recordDealChange(ctx context.Context, tx pgx.Tx, q *db.Queries, m tenancy.Membership, c dealChange) error {
	n := len(c.timeline)
	ids, types, payloads := make([]uuid.UUID, n), make([]string, n), make([]json.RawMessage, n)
	for i, ev := range c.timeline {
		b, err := json.Marshal(ev.Payload)
		if err != nil {
			return fmt.Errorf("encode %s payload: %w", ev.Type, err)
		}
		ids[i], types[i], payloads[i] = newID(), ev.Type, b
	}
	d := c.deal
	args := db.RecordDealChangeParams{
		OrganizationID: m.OrganizationID, DealID: d.ID, ChangedBy: m.UserID, EventType: string(c.event),
		ActivityIds: ids, ActivityTypes: types, ActivityPayloads: payloads,
		RecordHistory: true, HistoryID: newID(), ToStage: d.Stage, ToStatus: d.Status, ChangedAt: d.CreatedAt,
		OwnerID: &d.OwnerID,
	}
	if c.before != nil {
		args.FromStage, args.FromStatus, args.ChangedAt = &c.before.Stage, &c.before.Status, d.UpdatedAt
		args.RecordHistory = c.before.Stage != d.Stage || c.before.Status != d.Status
	}
	endpoints, err := q.RecordDealChange(ctx, args)
	if err != nil {
		return fmt.Errorf("record deal change: %w", err)
	}
	if s.events == nil || len(endpoints) == 0 {
		return nil
	}
	ev, err := newEvent(d.OrganizationID, c.event, s.render.Deal, *d, c.before)
	if err != nil {
		return err
	}
	return s.events.EmitTo(ctx, tx, q, ev, endpoints)
}
