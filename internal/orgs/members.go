package orgs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/tenancy"
)

var (
	errLastOwner     = apperr.Conflict("last_owner", "The organization must keep at least one owner.")
	errOwnRole       = apperr.Forbidden("own_role", "You cannot change your own role.")
	errOwnerRole     = apperr.Forbidden("owner_role_forbidden", "Only an owner may grant, change or remove the owner role.")
	errAlreadyMember = apperr.Conflict("already_member", "This email is already a member of the organization.")
)

// Member is a user's membership seen from the organization.
type Member = db.GetMemberRow

// ListMembers returns a page of members, oldest membership first (any member).
func (s *Service) ListMembers(ctx context.Context, m tenancy.Membership, p paging.Request) (paging.Page[Member], error) {
	if err := m.Require(tenancy.ReadRecords); err != nil {
		return paging.Page[Member]{}, err
	}
	page, err := paging.List(p, true, func(limit, offset int32, after *paging.Key) ([]db.ListMembersRow, error) {
		args := db.ListMembersParams{OrganizationID: m.OrganizationID, PageLimit: limit, PageOffset: offset}
		args.AfterKey, args.AfterID = after.Args()
		return s.q.ListMembers(ctx, args)
	}, func(r db.ListMembersRow) (Member, int64) {
		return Member{UserID: r.UserID, Email: r.Email, Name: r.Name, Role: r.Role, CreatedAt: r.CreatedAt}, r.Total
	}, func(mb Member) paging.Key { return paging.Key{Value: paging.TimeKey(mb.CreatedAt), ID: mb.UserID} })
	if err != nil {
		return page, fmt.Errorf("list members: %w", err)
	}
	return page, nil
}

// UpdateMemberRole changes another member's role under the owner rules.
func (s *Service) UpdateMemberRole(ctx context.Context, m tenancy.Membership, userID uuid.UUID, role tenancy.Role) (Member, error) {
	if err := m.Require(tenancy.ManageMembers); err != nil {
		return Member{}, err
	}
	if userID == m.UserID {
		return Member{}, errOwnRole
	}
	if err := requireGrant(m, role); err != nil {
		return Member{}, err
	}
	var out Member
	err := s.store.InTx(ctx, func(q *db.Queries) error {
		current, owners, err := lockMember(ctx, q, m.OrganizationID, userID)
		if err != nil {
			return err
		}
		if err := requireGrant(m, current); err != nil {
			return err
		}
		if current == tenancy.RoleOwner && role != tenancy.RoleOwner && !anotherOwner(owners, userID) {
			return errLastOwner
		}
		if err := q.UpdateMemberRole(ctx, db.UpdateMemberRoleParams{
			OrganizationID: m.OrganizationID, UserID: userID, Role: string(role),
		}); err != nil {
			return fmt.Errorf("update role: %w", err)
		}
		out, err = q.GetMember(ctx, db.GetMemberParams{OrganizationID: m.OrganizationID, UserID: userID})
		return err
	})
	return out, err
}

// RemoveMember removes a member (owner, admin; an admin cannot remove an owner); any member may
// remove themselves. The last owner stays.
func (s *Service) RemoveMember(ctx context.Context, m tenancy.Membership, userID uuid.UUID) error {
	if userID != m.UserID {
		if err := m.Require(tenancy.ManageMembers); err != nil {
			return err
		}
	}
	return s.store.InTx(ctx, func(q *db.Queries) error {
		current, owners, err := lockMember(ctx, q, m.OrganizationID, userID)
		if err != nil {
			return err
		}
		if userID != m.UserID {
			if err := requireGrant(m, current); err != nil {
				return err
			}
		}
		if current == tenancy.RoleOwner && !anotherOwner(owners, userID) {
			return errLastOwner
		}
		_, err = q.RemoveMember(ctx, db.RemoveMemberParams{OrganizationID: m.OrganizationID, UserID: userID})
		return err
	})
}

// requireGrant fails unless the caller may hand out (or take away) role: the owner role is the
// owners' alone, every other role needs ManageMembers.
func requireGrant(m tenancy.Membership, role tenancy.Role) error {
	if err := m.Require(tenancy.ManageMembers); err != nil {
		return err
	}
	if role == tenancy.RoleOwner && !m.Can(tenancy.ManageOwners) {
		return errOwnerRole
	}
	return nil
}

// lockMember locks the organization's owner rows (always in the same order, and before the target,
// so that concurrent role changes cannot deadlock nor both remove "the other" last owner), then the
// target's row, and returns the target's role and the owners.
func lockMember(ctx context.Context, q *db.Queries, orgID, userID uuid.UUID) (tenancy.Role, []uuid.UUID, error) {
	owners, err := q.LockOwners(ctx, orgID)
	if err != nil {
		return "", nil, fmt.Errorf("lock owners: %w", err)
	}
	role, err := q.GetMemberForUpdate(ctx, db.GetMemberForUpdateParams{OrganizationID: orgID, UserID: userID})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, apperr.ErrNotFound
	}
	if err != nil {
		return "", nil, fmt.Errorf("lock member: %w", err)
	}
	return tenancy.Role(role), owners, nil
}

func anotherOwner(owners []uuid.UUID, userID uuid.UUID) bool {
	for _, id := range owners {
		if id != userID {
			return true
		}
	}
	return false
}
