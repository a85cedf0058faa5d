package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/orgs"
	"github.com/minicrm/crm/internal/tenancy"
)

// CreateOrganization makes a new organization owned by the caller.
func (s *Server) CreateOrganization(ctx context.Context, req api.CreateOrganizationRequestObject) (api.CreateOrganizationResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.orgs.Create(ctx, p, req.Body.Name)
	if err != nil {
		return nil, err
	}
	return api.CreateOrganization201JSONResponse{
		Body:    toOrganization(org),
		Headers: api.CreateOrganization201ResponseHeaders{Location: "/api/v1/organizations/" + org.ID.String()},
	}, nil
}

// ListMyOrganizations lists the caller's organizations with their role.
func (s *Server) ListMyOrganizations(ctx context.Context, _ api.ListMyOrganizationsRequestObject) (api.ListMyOrganizationsResponseObject, error) {
	p, err := tenancy.PrincipalFrom(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.orgs.ListMine(ctx, p)
	if err != nil {
		return nil, err
	}
	out := api.ListMyOrganizations200JSONResponse{Items: make([]api.MyOrganization, len(list))}
	for i, o := range list {
		ao := toOrganization(o.Organization)
		out.Items[i] = api.MyOrganization{Id: ao.Id, Name: ao.Name, Settings: ao.Settings,
			CreatedAt: ao.CreatedAt, UpdatedAt: ao.UpdatedAt, Role: api.Role(o.Role)}
	}
	return out, nil
}

// GetOrganization returns the organization in the path.
func (s *Server) GetOrganization(ctx context.Context, _ api.GetOrganizationRequestObject) (api.GetOrganizationResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	org, err := s.orgs.Get(ctx, m)
	if err != nil {
		return nil, err
	}
	return api.GetOrganization200JSONResponse(toOrganization(org)), nil
}

// UpdateOrganization changes the name and settings.
func (s *Server) UpdateOrganization(ctx context.Context, req api.UpdateOrganizationRequestObject) (api.UpdateOrganizationResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	u := orgs.Update{Name: req.Body.Name}
	if st := req.Body.Settings; st != nil {
		u.MembersSeeAll, u.DefaultCurrency, u.Timezone = st.MembersSeeAll, st.DefaultCurrency, st.Timezone
		if p := st.StageProbabilities; p != nil {
			u.StageProbabilities = orgs.StageProbabilities{
				Qualification: p.Qualification, Proposal: p.Proposal, Negotiation: p.Negotiation, Closed: p.Closed,
			}
		}
	}
	org, err := s.orgs.Update(ctx, m, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganization200JSONResponse(toOrganization(org)), nil
}

// DeleteOrganization deletes the organization and its data.
func (s *Server) DeleteOrganization(ctx context.Context, _ api.DeleteOrganizationRequestObject) (api.DeleteOrganizationResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.orgs.Delete(ctx, m); err != nil {
		return nil, err
	}
	return api.DeleteOrganization204Response{}, nil
}

// ListMembers lists a page of members.
func (s *Server) ListMembers(ctx context.Context, req api.ListMembersRequestObject) (api.ListMembersResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.pageRequest(ctx, req.Params.Page, req.Params.PageSize, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.orgs.ListMembers(ctx, m, page)
	if err != nil {
		return nil, err
	}
	return api.ListMembers200JSONResponse{Items: itemsOf(res.Items, toMember), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// UpdateMember changes a member's role.
func (s *Server) UpdateMember(ctx context.Context, req api.UpdateMemberRequestObject) (api.UpdateMemberResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	mem, err := s.orgs.UpdateMemberRole(ctx, m, req.UserId, tenancy.Role(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return api.UpdateMember200JSONResponse(toMember(mem)), nil
}

// RemoveMember removes a member (or lets a member leave).
func (s *Server) RemoveMember(ctx context.Context, req api.RemoveMemberRequestObject) (api.RemoveMemberResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.orgs.RemoveMember(ctx, m, req.UserId); err != nil {
		return nil, err
	}
	return api.RemoveMember204Response{}, nil
}
