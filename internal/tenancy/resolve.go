package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
)

// Resolver checks, per request, that a session is alive and which role its user holds.
type Resolver struct {
	Q db.Querier
}

// Session returns apperr.ErrUnauthorized unless the principal's session is alive.
func (r Resolver) Session(ctx context.Context, p Principal) error {
	ok, err := r.Q.SessionIsActive(ctx, db.SessionIsActiveParams{ID: p.SessionID, UserID: p.UserID})
	if err != nil {
		return fmt.Errorf("check session: %w", err)
	}
	if !ok {
		return apperr.ErrUnauthorized
	}
	return nil
}

// Membership checks the session and resolves the role in one query. An organization that does not
// exist, was deleted, or does not have the user as a member gives the same apperr.ErrNotAMember.
func (r Resolver) Membership(ctx context.Context, p Principal, orgID uuid.UUID) (Membership, error) {
	row, err := r.Q.ResolveMembership(ctx, db.ResolveMembershipParams{
		OrganizationID: orgID, SessionID: p.SessionID, UserID: p.UserID,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Membership{}, apperr.ErrUnauthorized
	}
	if err != nil {
		return Membership{}, fmt.Errorf("resolve membership: %w", err)
	}
	if row.Role == nil || row.MembersSeeAll == nil || row.DefaultCurrency == nil || row.Timezone == nil {
		return Membership{}, apperr.ErrNotAMember
	}
	return Membership{Principal: p, OrganizationID: orgID, Role: Role(*row.Role), Settings: Settings{
		MembersSeeAll: *row.MembersSeeAll, DefaultCurrency: *row.DefaultCurrency, Timezone: *row.Timezone,
	}}, nil
}
