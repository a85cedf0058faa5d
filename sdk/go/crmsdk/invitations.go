package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// InvitationsService handles invitations to join an organization:
// /api/v1/organizations/{organization_id}/invitations, and /api/v1/invitations/accept for the
// invited user.
type InvitationsService service

// List returns one page of the invitations of the organization orgID (owners and admins).
func (s *InvitationsService) List(ctx context.Context, orgID uuid.UUID, params *ListInvitationsParams, opts ...RequestOption) (*InvitationList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListInvitationsResponse, error) {
		return s.c.ListInvitationsWithResponse(ctx, orgID, params, o...)
	}, func(r *client.ListInvitationsResponse) *InvitationList { return r.JSON200 })
}

// All iterates over the invitations of the organization orgID, paging by cursor; see
// [ContactsService.All].
func (s *InvitationsService) All(ctx context.Context, orgID uuid.UUID, params *ListInvitationsParams, opts ...RequestOption) iter.Seq2[Invitation, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Invitation, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, orgID, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create invites an email address to the organization with a role (owners and admins). The
// answer holds the invitation's Token, shown this once: hand it to the invited person, who calls
// Accept with it.
func (s *InvitationsService) Create(ctx context.Context, orgID uuid.UUID, body InvitationCreate, opts ...RequestOption) (*InvitationWithToken, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateInvitationResponse, error) {
		return s.c.CreateInvitationWithResponse(ctx, orgID, body, o...)
	}, func(r *client.CreateInvitationResponse) *InvitationWithToken { return r.JSON201 })
}

// Revoke withdraws a pending invitation; its token stops working.
func (s *InvitationsService) Revoke(ctx context.Context, orgID, invitationID uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.RevokeInvitationResponse, error) {
		return s.c.RevokeInvitationWithResponse(ctx, orgID, invitationID, o...)
	})
}

// Accept makes the caller a member of the organization that invited them with token, and returns
// the new membership. The invitation must be addressed to the caller's email ("invitation_email_mismatch")
// and still pending ("invitation_not_found" otherwise).
func (s *InvitationsService) Accept(ctx context.Context, token string, opts ...RequestOption) (*Membership, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.AcceptInvitationResponse, error) {
		return s.c.AcceptInvitationWithResponse(ctx, client.InvitationAccept{Token: token}, o...)
	}, func(r *client.AcceptInvitationResponse) *Membership { return r.JSON200 })
}
