package crm

import (
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
)

// Stages of the funnel, in order; Statuses of a deal.
var (
	Stages   = []string{"qualification", "proposal", "negotiation", "closed"}
	Statuses = []string{"new", "in_progress", "won", "lost"}
)

// StageIndex is a stage's position in the funnel, or -1.
func StageIndex(stage string) int { return slices.Index(Stages, stage) }

var (
	errWonNeedsAmount  = apperr.Invalid("won_requires_positive_amount", "A won deal needs an amount greater than 0.")
	errStageRollback   = apperr.Forbidden("stage_rollback_forbidden", "Only owners and admins may move a deal to an earlier stage.")
	errAssignOwner     = apperr.Forbidden("forbidden", "Only managers and above may change owner_id.")
	errAmountPrecision = apperr.Validation("amount", "must have at most 2 decimals")
)

// DealState is the part of a deal the rules look at.
type DealState struct {
	Title     string
	Amount    money.Amount
	Currency  string
	Status    string
	Stage     string
	ContactID uuid.UUID
	OwnerID   uuid.UUID
}

// DealPatch is a partial change; nil fields are left alone.
type DealPatch struct {
	Title     *string
	Amount    *money.Amount
	Currency  *string
	Status    *string
	Stage     *string
	ContactID *uuid.UUID
	OwnerID   *uuid.UUID
}

// Change is one field's old and new value in a deal_updated event.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// Event is a timeline entry a change produces.
type Event struct {
	Type    string
	Payload map[string]any
}

// ApplyDealPatch is THE rule function for changing a deal. It decides, without touching the
// database, whether the caller may make the change and what the deal and its timeline become:
//   - members change only their own deals; only managers and above change owner_id;
//   - moving to an earlier stage is for owners and admins only, forward moves (skips included) for all;
//   - a deal can be won only with an amount above 0: setting won, lowering a won deal's amount, or both.
//
// Fields set to their current value are not changes and write nothing.
func ApplyDealPatch(m tenancy.Membership, cur DealState, p DealPatch) (DealState, []Event, error) {
	if err := requireModify(m, cur.OwnerID); err != nil {
		return cur, nil, err
	}
	next := cur
	var events []Event
	changes := map[string]Change{}

	if p.OwnerID != nil && *p.OwnerID != cur.OwnerID {
		if !m.Can(tenancy.AssignRecordOwner) {
			return cur, nil, errAssignOwner
		}
		changes["owner_id"] = Change{cur.OwnerID, *p.OwnerID}
		next.OwnerID = *p.OwnerID
	}
	if p.Stage != nil && *p.Stage != cur.Stage {
		if StageIndex(*p.Stage) < StageIndex(cur.Stage) && !m.Can(tenancy.RollbackDealStage) {
			return cur, nil, errStageRollback
		}
		events = append(events, Event{ActivityStageChanged, map[string]any{"old_stage": cur.Stage, "new_stage": *p.Stage}})
		next.Stage = *p.Stage
	}
	if p.Status != nil && *p.Status != cur.Status {
		events = append([]Event{{ActivityStatusChanged, map[string]any{"old_status": cur.Status, "new_status": *p.Status}}}, events...)
		next.Status = *p.Status
	}
	if p.Amount != nil {
		if !p.Amount.HasCents() {
			return cur, nil, errAmountPrecision
		}
		if !p.Amount.Equal(cur.Amount.Decimal) {
			changes["amount"] = Change{cur.Amount, *p.Amount}
			next.Amount = *p.Amount
		}
	}
	if next.Status == "won" && !next.Amount.IsPositive() {
		return cur, nil, errWonNeedsAmount
	}
	if p.Title != nil && *p.Title != cur.Title {
		changes["title"] = Change{cur.Title, *p.Title}
		next.Title = *p.Title
	}
	if p.Currency != nil && *p.Currency != cur.Currency {
		changes["currency"] = Change{cur.Currency, *p.Currency}
		next.Currency = *p.Currency
	}
	if p.ContactID != nil && *p.ContactID != cur.ContactID {
		changes["contact_id"] = Change{cur.ContactID, *p.ContactID}
		next.ContactID = *p.ContactID
	}
	if len(changes) > 0 {
		events = append(events, Event{ActivityDealUpdated, map[string]any{"changes": changes}})
	}
	return next, events, nil
}
