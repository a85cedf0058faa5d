package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// OrganizationsService handles the caller's organizations: /api/v1/organizations. They are named
// by the path, not by the selected organization.
type OrganizationsService service

// Create creates an organization whose owner the caller becomes. It does not select it: call
// [Client.SetOrganization] with its Id to work in it.
func (s *OrganizationsService) Create(ctx context.Context, body OrganizationCreate, opts ...RequestOption) (*Organization, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateOrganizationResponse, error) {
		return s.c.CreateOrganizationWithResponse(ctx, body, o...)
	}, func(r *client.CreateOrganizationResponse) *Organization { return r.JSON201 })
}

// List returns the organizations the caller is a member of, with the caller's role in each.
func (s *OrganizationsService) List(ctx context.Context, opts ...RequestOption) ([]MyOrganization, error) {
	list, err := do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListMyOrganizationsResponse, error) {
		return s.c.ListMyOrganizationsWithResponse(ctx, o...)
	}, func(r *client.ListMyOrganizationsResponse) *MyOrganizationList { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Get returns an organization of the caller; any other is 403 "not_a_member".
func (s *OrganizationsService) Get(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*Organization, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetOrganizationResponse, error) {
		return s.c.GetOrganizationWithResponse(ctx, id, o...)
	}, func(r *client.GetOrganizationResponse) *Organization { return r.JSON200 })
}

// Update changes the name or settings (owners and admins).
func (s *OrganizationsService) Update(ctx context.Context, id uuid.UUID, patch OrganizationUpdate, opts ...RequestOption) (*Organization, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateOrganizationResponse, error) {
		return s.c.UpdateOrganizationWithResponse(ctx, id, patch, o...)
	}, func(r *client.UpdateOrganizationResponse) *Organization { return r.JSON200 })
}

// Delete deletes an organization with everything in it (owners only).
func (s *OrganizationsService) Delete(ctx context.Context, id uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.DeleteOrganizationResponse, error) {
		return s.c.DeleteOrganizationWithResponse(ctx, id, o...)
	})
}

// MembersService handles the members of an organization, named by its id (which need not be the
// selected one): /api/v1/organizations/{organization_id}/members. New members join through
// [InvitationsService].
type MembersService service

// List returns one page of the members of the organization orgID.
func (s *MembersService) List(ctx context.Context, orgID uuid.UUID, params *ListMembersParams, opts ...RequestOption) (*MemberList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListMembersResponse, error) {
		return s.c.ListMembersWithResponse(ctx, orgID, params, o...)
	}, func(r *client.ListMembersResponse) *MemberList { return r.JSON200 })
}

// All iterates over the members of the organization orgID, paging by cursor; see
// [ContactsService.All].
func (s *MembersService) All(ctx context.Context, orgID uuid.UUID, params *ListMembersParams, opts ...RequestOption) iter.Seq2[Member, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Member, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, orgID, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Update changes a member's role. Only an owner grants or revokes the owner role (403
// "owner_role_forbidden"); nobody changes their own role (400 "own_role"); the last owner stays
// one (409 "last_owner").
func (s *MembersService) Update(ctx context.Context, orgID, userID uuid.UUID, patch MemberUpdate, opts ...RequestOption) (*Member, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateMemberResponse, error) {
		return s.c.UpdateMemberWithResponse(ctx, orgID, userID, patch, o...)
	}, func(r *client.UpdateMemberResponse) *Member { return r.JSON200 })
}

// Remove removes a member from the organization (409 "last_owner" for its last owner).
func (s *MembersService) Remove(ctx context.Context, orgID, userID uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.RemoveMemberResponse, error) {
		return s.c.RemoveMemberWithResponse(ctx, orgID, userID, o...)
	})
}
