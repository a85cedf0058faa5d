package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
)

// ListContacts lists a page of contacts.
func (s *Server) ListContacts(ctx context.Context, req api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := crm.ContactFilter{
		OwnerID: p.OwnerId, Search: p.Search,
		OrderBy: "created_at", Descending: p.Order == nil || *p.Order == api.ListContactsParamsOrderDesc,
	}
	if p.OrderBy != nil {
		f.OrderBy = string(*p.OrderBy)
	}
	page, err := s.pageRequest(ctx, p.Page, p.PageSize, p.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.crm.ListContacts(ctx, m, f, page)
	if err != nil {
		return nil, err
	}
	return api.ListContacts200JSONResponse{Items: itemsOf(res.Items, toContact), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// CreateContact creates a contact.
func (s *Server) CreateContact(ctx context.Context, req api.CreateContactRequestObject) (api.CreateContactResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.crm.CreateContact(ctx, m, crm.NewContact{
		Name: b.Name, Email: b.Email, Phone: b.Phone, Company: b.Company, Notes: b.Notes, OwnerID: b.OwnerId,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateContact201JSONResponse{
		Body:    toContact(c),
		Headers: api.CreateContact201ResponseHeaders{Location: "/api/v1/contacts/" + c.ID.String(), ETag: etag(c.ID, c.UpdatedAt)},
	}, nil
}

// GetContact returns one contact.
func (s *Server) GetContact(ctx context.Context, req api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.crm.GetContact(ctx, m, req.ContactId)
	if err != nil {
		return nil, err
	}
	tag := etag(c.ID, c.UpdatedAt)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetContact304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetContact200JSONResponse{Body: toContact(c), Headers: api.GetContact200ResponseHeaders{ETag: tag}}, nil
}

// UpdateContact changes a contact partially.
func (s *Server) UpdateContact(ctx context.Context, req api.UpdateContactRequestObject) (api.UpdateContactResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.crm.UpdateContact(ctx, m, req.ContactId, crm.ContactPatch{
		Name: patch.FromPtr(b.Name), Email: fromNullable(b.Email), Phone: fromNullable(b.Phone),
		Company: fromNullable(b.Company), Notes: fromNullable(b.Notes), OwnerID: patch.FromPtr(b.OwnerId),
	}, ifMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.UpdateContact200JSONResponse{Body: toContact(c), Headers: api.UpdateContact200ResponseHeaders{ETag: etag(c.ID, c.UpdatedAt)}}, nil
}

// DeleteContact deletes a contact that has no deals.
func (s *Server) DeleteContact(ctx context.Context, req api.DeleteContactRequestObject) (api.DeleteContactResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.crm.DeleteContact(ctx, m, req.ContactId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteContact204Response{}, nil
}

func toContact(c crm.Contact) api.Contact {
	return api.Contact{
		Id: c.ID, OwnerId: c.OwnerID, Name: c.Name,
		Email: c.Email, Phone: c.Phone, Company: c.Company, Notes: c.Notes,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}
