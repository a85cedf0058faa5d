package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/tenancy"
)

// CreateInvitation invites an email to the organization; the answer carries the token, once.
func (s *Server) CreateInvitation(ctx context.Context, req api.CreateInvitationRequestObject) (api.CreateInvitationResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := s.orgs.Invite(ctx, m, req.Body.Email, tenancy.Role(req.Body.Role))
	if err != nil {
		return nil, err
	}
	a := toInvitation(inv)
	return api.CreateInvitation201JSONResponse{
		Body: api.InvitationWithToken{Id: a.Id, Email: a.Email, Role: a.Role, Status: a.Status, Token: inv.Token,
			ExpiresAt: a.ExpiresAt, CreatedAt: a.CreatedAt, InvitedBy: a.InvitedBy},
		Headers: api.CreateInvitation201ResponseHeaders{
			Location: "/api/v1/organizations/" + m.OrganizationID.String() + "/invitations/" + inv.ID.String(),
		},
	}, nil
}

// ListInvitations lists a page of the organization's invitations, without their tokens.
func (s *Server) ListInvitations(ctx context.Context, req api.ListInvitationsRequestObject) (api.ListInvitationsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.pageRequest(ctx, req.Params.Page, req.Params.PageSize, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	var status string
	if req.Params.Status != nil {
		status = string(*req.Params.Status)
	}
	res, err := s.orgs.ListInvitations(ctx, m, status, page)
	if err != nil {
		return nil, err
	}
	return api.ListInvitations200JSONResponse{Items: itemsOf(res.Items, toInvitation), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// RevokeInvitation revokes a pending invitation.
func (s *Server) RevokeInvitation(ctx context.Context, req api.RevokeInvitationRequestObject) (api.RevokeInvitationResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.orgs.RevokeInvitation(ctx, m, req.InvitationId); err != nil {
		return nil, err
	}
	return api.RevokeInvitation204Response{}, nil
}

// AcceptInvitation makes the caller a member of the invitation's organization. It acts in no
// organization of the caller's: the token names it.
func (s *Server) AcceptInvitation(ctx context.Context, req api.AcceptInvitationRequestObject) (api.AcceptInvitationResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := s.orgs.AcceptInvitation(ctx, p, req.Body.Token)
	if err != nil {
		return nil, err
	}
	return api.AcceptInvitation200JSONResponse{Body: api.Membership{
		OrganizationId: acc.OrganizationID, OrganizationName: acc.OrganizationName, Role: api.Role(acc.Role),
	}}, nil
}

func toInvitation(inv orgs.Invitation) api.Invitation {
	return api.Invitation{Id: inv.ID, Email: inv.Email, Role: api.Role(inv.Role), Status: api.InvitationStatus(inv.Status),
		ExpiresAt: inv.ExpiresAt.UTC(), CreatedAt: inv.CreatedAt.UTC(), InvitedBy: inv.InvitedBy}
}
