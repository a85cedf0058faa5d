package tenancy

import (
	"context"

	"github.com/google/uuid"
	"github.com/minicrm/crm/internal/apperr"
)

// Principal is the authenticated caller: a user acting through one live session.
type Principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
}

// Settings are the organization settings the rules read on every request.
type Settings struct {
	MembersSeeAll   bool
	DefaultCurrency string
	Timezone        string
}

// Membership is the caller's role in the organization the request acts in.
type Membership struct {
	Principal
	OrganizationID uuid.UUID
	Role           Role
	Settings       Settings
}

// SeesOnlyOwn reports whether the caller may see only the records they own: members, when the
// organization turned members_see_all off.
func (m Membership) SeesOnlyOwn() bool { return m.Role == RoleMember && !m.Settings.MembersSeeAll }

// Can reports whether the member's role allows action.
func (m Membership) Can(a Action) bool { return Can(m.Role, a) }

// Require returns apperr.ErrForbidden unless the member's role allows action.
func (m Membership) Require(a Action) error {
	if !m.Can(a) {
		return apperr.ErrForbidden
	}
	return nil
}

type principalKey struct{}
type membershipKey struct{}

// WithPrincipal stores the authenticated caller in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller, or apperr.ErrUnauthorized when there is none:
// code that needs a caller fails closed.
func PrincipalFrom(ctx context.Context) (Principal, error) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	if !ok {
		return Principal{}, apperr.ErrUnauthorized
	}
	return p, nil
}

// WithMembership stores the resolved membership in ctx.
func WithMembership(ctx context.Context, m Membership) context.Context {
	return context.WithValue(ctx, membershipKey{}, m)
}

// MembershipFrom returns the resolved membership, or apperr.ErrNotAMember when none was resolved:
// a tenant handler reached without one fails closed.
func MembershipFrom(ctx context.Context) (Membership, error) {
	m, ok := ctx.Value(membershipKey{}).(Membership)
	if !ok {
		return Membership{}, apperr.ErrNotAMember
	}
	return m, nil
}
