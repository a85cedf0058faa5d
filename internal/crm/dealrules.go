package crm

import (
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/money"
)

// The stages of the funnel, in order, and the statuses of a deal, in the order analytics lists them.
var (
	stages   = []string{"qualification", "proposal", "negotiation", "closed"}
	statuses = []string{"new", "in_progress", "won", "lost"}
)

// StageIndex is a stage's position in the funnel, or -1.
func StageIndex(stage string) int { return slices.Index(stages, stage) }

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

// DealPatch is a partial change; no field of a deal can be cleared.
type DealPatch struct {
	Title     patch.Field[string]
	Amount    patch.Field[money.Amount]
	Currency  patch.Field[string]
	Status    patch.Field[string]
	Stage     patch.Field[string]
	ContactID patch.Field[uuid.UUID]
	OwnerID   patch.Field[uuid.UUID]
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

	if owner, ok := p.OwnerID.Value(); ok && owner != cur.OwnerID {
		if !m.Can(tenancy.AssignRecordOwner) {
			return cur, nil, errAssignOwner
		}
		changes["owner_id"] = Change{cur.OwnerID, owner}
		next.OwnerID = owner
	}
	if stage, ok := p.Stage.Value(); ok && stage != cur.Stage {
		if StageIndex(stage) < StageIndex(cur.Stage) && !m.Can(tenancy.RollbackDealStage) {
			return cur, nil, errStageRollback
		}
		events = append(events, Event{ActivityStageChanged, map[string]any{"old_stage": cur.Stage, "new_stage": stage}})
		next.Stage = stage
	}
	if status, ok := p.Status.Value(); ok && status != cur.Status {
		events = append([]Event{{ActivityStatusChanged, map[string]any{"old_status": cur.Status, "new_status": status}}}, events...)
		next.Status = status
	}
	if amount, ok := p.Amount.Value(); ok {
		if !amount.HasCents() {
			return cur, nil, errAmountPrecision
		}
		if !amount.Equal(cur.Amount.Decimal) {
			changes["amount"] = Change{cur.Amount, amount}
			next.Amount = amount
		}
	}
	if next.Status == "won" && !next.Amount.IsPositive() {
		return cur, nil, errWonNeedsAmount
	}
	if title, ok := p.Title.Value(); ok && title != cur.Title {
		changes["title"] = Change{cur.Title, title}
		next.Title = title
	}
	if currency, ok := p.Currency.Value(); ok && currency != cur.Currency {
		changes["currency"] = Change{cur.Currency, currency}
		next.Currency = currency
	}
	if contact, ok := p.ContactID.Value(); ok && contact != cur.ContactID {
		changes["contact_id"] = Change{cur.ContactID, contact}
		next.ContactID = contact
	}
	if len(changes) > 0 {
		events = append(events, Event{ActivityDealUpdated, map[string]any{"changes": changes}})
	}
	return next, events, nil
}
