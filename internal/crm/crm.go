// Package crm holds the rules of the CRM core: contacts, deals and their stages, tasks, the
// activity timeline and analytics. Every function takes the caller's tenancy.Membership and runs
// its queries filtered by that organization; permission checks read the one policy table.
package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
)

// Service is the CRM core.
type Service struct {
	store *platform.DB
	q     *db.Queries
	// Now is the clock of the rules that read it (due dates, completed_at); tests may set it.
	Now func() time.Time
	// events and render emit the changes' events (WithEvents); nil: none.
	events EventSink
	render Renderer
	// anchors remembers where the contact and deal pages requested by number start.
	anchors *paging.Anchors
	// stageFigures and velocityFigures remember the sales analytics' answers (see DealStageStats).
	stageFigures    *figures[StageReport]
	velocityFigures *figures[VelocityReport]
}

// NewService returns a Service on store.
func NewService(store *platform.DB) *Service {
	return &Service{store: store, q: store.Queries(), Now: time.Now, anchors: paging.NewAnchors(paging.DefaultAnchors),
		stageFigures: newFigures[StageReport](), velocityFigures: newFigures[VelocityReport]()}
}

// likePattern turns user input into an ILIKE pattern matching it as a literal substring: % and _
// (and the escape character itself) lose their wildcard meaning.
func likePattern(s *string) *string {
	if s == nil {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	p := "%" + r.Replace(*s) + "%"
	return &p
}

// ownerFilter is the owner_id a list or analytics query must use: a member may ask only for their
// own records, and sees nothing else when the organization turned members_see_all off.
func ownerFilter(m tenancy.Membership, requested *uuid.UUID) (*uuid.UUID, error) {
	if requested != nil && *requested != m.UserID && m.Role == tenancy.RoleMember {
		return nil, apperr.Forbidden("forbidden", "Members may filter by their own owner_id only.")
	}
	if m.SeesOnlyOwn() {
		own := m.UserID
		return &own, nil
	}
	return requested, nil
}

// view is the owner filter of a list as paging.ListAnchored tells callers apart: those who see
// different rows under the same request parameters.
func view(owner *uuid.UUID) string {
	if owner == nil {
		return ""
	}
	return owner.String()
}

// visible reports whether the caller may see a record owned by ownerID. An invisible record is
// answered exactly like a missing one (404).
func visible(m tenancy.Membership, ownerID uuid.UUID) bool {
	return !m.SeesOnlyOwn() || ownerID == m.UserID
}

// requireVisible returns apperr.ErrNotFound unless the caller may see the record.
func requireVisible(m tenancy.Membership, ownerID uuid.UUID) error {
	if !visible(m, ownerID) {
		return apperr.ErrNotFound
	}
	return nil
}

// requireModify fails unless the caller may change or delete a record owned by ownerID: anyone with
// ModifyAnyRecord, members only their own.
func requireModify(m tenancy.Membership, ownerID uuid.UUID) error {
	if err := requireVisible(m, ownerID); err != nil {
		return err
	}
	if ownerID != m.UserID && !m.Can(tenancy.ModifyAnyRecord) {
		return apperr.Forbidden("forbidden", "Members may change only the records they own.")
	}
	return nil
}

// resolveOwner is the owner of a new record: the caller, unless someone allowed to assign owners
// names another member of the organization.
func resolveOwner(ctx context.Context, q *db.Queries, m tenancy.Membership, requested *uuid.UUID) (uuid.UUID, error) {
	if requested == nil || *requested == m.UserID {
		return m.UserID, nil
	}
	if !m.Can(tenancy.AssignRecordOwner) {
		return uuid.Nil, apperr.Forbidden("forbidden", "Only managers and above may set owner_id.")
	}
	ok, err := q.IsMember(ctx, db.IsMemberParams{OrganizationID: m.OrganizationID, UserID: *requested})
	if err != nil {
		return uuid.Nil, fmt.Errorf("check owner: %w", err)
	}
	if !ok {
		return uuid.Nil, apperr.InvalidReference("owner_id")
	}
	return *requested, nil
}

// requireVisibleContact fails with invalid_reference on contact_id unless the caller may see the
// contact; the foreign key answers for unknown and foreign ones, so only a caller who sees just
// their own records needs the look-up.
func requireVisibleContact(ctx context.Context, q *db.Queries, m tenancy.Membership, id uuid.UUID) error {
	if !m.SeesOnlyOwn() {
		return nil
	}
	c, err := q.GetContact(ctx, db.GetContactParams{OrganizationID: m.OrganizationID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !visible(m, c.OwnerID)) {
		return apperr.InvalidReference("contact_id")
	}
	if err != nil {
		return fmt.Errorf("get contact: %w", err)
	}
	return nil
}

// found maps a single-row lookup: no row is apperr.ErrNotFound, the one answer for a missing id
// and for another organization's id alike.
func found[T any](row T, err error) (T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, apperr.ErrNotFound
	}
	return row, err
}

// sameOptional reports whether two optional values are both absent or equal.
func sameOptional[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// newID returns a UUIDv7: time-ordered, so inserts land at the end of the primary-key index.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Activity types written by the service.
const (
	ActivityComment       = "comment"
	ActivityDealCreated   = "deal_created"
	ActivityStatusChanged = "status_changed"
	ActivityStageChanged  = "stage_changed"
	ActivityDealUpdated   = "deal_updated"
	ActivityTaskCreated   = "task_created"
	ActivityTaskCompleted = "task_completed"
)

// record appends an event to a deal's timeline; call it on the transaction of the change itself.
func record(ctx context.Context, q *db.Queries, m tenancy.Membership, dealID uuid.UUID, typ string, payload any) (db.Activity, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return db.Activity{}, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	author := m.UserID
	a, err := q.CreateActivity(ctx, db.CreateActivityParams{
		OrganizationID: m.OrganizationID, ID: newID(), DealID: dealID, AuthorID: &author, Type: typ, Payload: b,
	})
	if err != nil {
		return db.Activity{}, fmt.Errorf("record %s: %w", typ, err)
	}
	return a, nil
}
