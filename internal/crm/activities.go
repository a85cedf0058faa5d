package crm

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
)

// Activity is one event of a deal's timeline. AuthorID is nil for system events; Payload is a
// JSON object whose shape depends on Type.
type Activity = db.Activity

// maxCommentLength is the longest comment, in characters.
const maxCommentLength = 5000

var errOnlyComments = apperr.Invalid("only_comments_allowed", "Only comments may be posted to a timeline.")

// timelineDeal returns the deal when it exists in the organization and the caller may see it, and
// apperr.ErrNotFound otherwise (missing, foreign and invisible alike).
func timelineDeal(ctx context.Context, q *db.Queries, m tenancy.Membership, id uuid.UUID) (db.Deal, error) {
	d, err := q.GetDeal(ctx, db.GetDealParams{OrganizationID: m.OrganizationID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Deal{}, apperr.ErrNotFound
	}
	if err != nil {
		return db.Deal{}, fmt.Errorf("get deal: %w", err)
	}
	if err := requireVisible(m, d.OwnerID); err != nil {
		return db.Deal{}, err
	}
	return d, nil
}

// ListActivities returns a page of a deal's timeline, newest first, optionally of one type only.
func (s *Service) ListActivities(ctx context.Context, m tenancy.Membership, dealID uuid.UUID, typ *string, p paging.Request) (paging.Page[Activity], error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return paging.Page[Activity]{}, err
	}
	if _, err := timelineDeal(ctx, s.q, m, dealID); err != nil {
		return paging.Page[Activity]{}, err
	}
	page, err := paging.List(p, true, func(limit, offset int32, after *paging.Key) ([]db.ListActivitiesRow, error) {
		args := db.ListActivitiesParams{OrganizationID: m.OrganizationID, DealID: dealID, Type: typ, PageLimit: limit, PageOffset: offset}
		args.AfterKey, args.AfterID = after.Args()
		return s.q.ListActivities(ctx, args)
	}, func(r db.ListActivitiesRow) (Activity, int64) { return r.Activity, r.Total },
		func(a Activity) paging.Key { return paging.Key{Value: paging.TimeKey(a.CreatedAt), ID: a.ID} })
	if err != nil {
		return page, fmt.Errorf("list activities: %w", err)
	}
	return page, nil
}

// AddComment posts a comment to a deal's timeline. typ is the posted activity type: only comments
// may be posted. Anyone who can see the deal may comment on it.
func (s *Service) AddComment(ctx context.Context, m tenancy.Membership, dealID uuid.UUID, typ, text string) (Activity, error) {
	if typ != ActivityComment {
		return Activity{}, errOnlyComments
	}
	if n := utf8.RuneCountInString(text); n < 1 || n > maxCommentLength {
		return Activity{}, apperr.Validation("payload.text", fmt.Sprintf("must have 1 to %d characters", maxCommentLength))
	}
	if err := m.Require(tenancy.CreateRecords); err != nil {
		return Activity{}, err
	}
	if _, err := timelineDeal(ctx, s.q, m, dealID); err != nil {
		return Activity{}, err
	}
	var a Activity
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		var err error
		if a, err = record(ctx, q, m, dealID, ActivityComment, map[string]string{"text": text}); err != nil {
			return err
		}
		return s.activityEvent(ctx, tx, q, a)
	})
	if platform.IsForeignKeyViolation(err, "activities_deal_fkey") { // the deal was deleted meanwhile
		return Activity{}, apperr.ErrNotFound
	}
	if err != nil {
		return Activity{}, err
	}
	return a, nil
}
