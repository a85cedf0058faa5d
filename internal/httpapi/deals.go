package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
)

// ListDeals lists a page of deals.
func (s *Server) ListDeals(ctx context.Context, req api.ListDealsRequestObject) (api.ListDealsResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := crm.DealFilter{
		Stage: (*string)(p.Stage), MinAmount: p.MinAmount, MaxAmount: p.MaxAmount,
		OwnerID: p.OwnerId, ContactID: p.ContactId, Search: p.Search,
		OrderBy: "created_at", Descending: p.Order == nil || *p.Order == api.ListDealsParamsOrderDesc,
	}
	if p.OrderBy != nil {
		f.OrderBy = string(*p.OrderBy)
	}
	if p.Status != nil {
		for _, st := range *p.Status {
			f.Statuses = append(f.Statuses, string(st))
		}
	}
	page, err := s.pageRequest(ctx, p.Page, p.PageSize, p.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.crm.ListDeals(ctx, m, f, page)
	if err != nil {
		return nil, err
	}
	return api.ListDeals200JSONResponse{Items: itemsOf(res.Items, toDeal), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// CreateDeal opens a deal.
func (s *Server) CreateDeal(ctx context.Context, req api.CreateDealRequestObject) (api.CreateDealResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	d, err := s.crm.CreateDeal(ctx, m, crm.NewDeal{
		ContactID: b.ContactId, Title: b.Title, Amount: b.Amount, Currency: b.Currency, OwnerID: b.OwnerId,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateDeal201JSONResponse{
		Body:    toDeal(d),
		Headers: api.CreateDeal201ResponseHeaders{Location: "/api/v1/deals/" + d.ID.String(), ETag: etag(d.ID, d.UpdatedAt)},
	}, nil
}

// GetDeal returns one deal.
func (s *Server) GetDeal(ctx context.Context, req api.GetDealRequestObject) (api.GetDealResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.crm.GetDeal(ctx, m, req.DealId)
	if err != nil {
		return nil, err
	}
	tag := etag(d.ID, d.UpdatedAt)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetDeal304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetDeal200JSONResponse{Body: toDeal(d), Headers: api.GetDeal200ResponseHeaders{ETag: tag}}, nil
}

// UpdateDeal changes a deal under the funnel rules.
func (s *Server) UpdateDeal(ctx context.Context, req api.UpdateDealRequestObject) (api.UpdateDealResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	d, err := s.crm.UpdateDeal(ctx, m, req.DealId, crm.DealPatch{
		Title: patch.FromPtr(b.Title), Amount: patch.FromPtr(b.Amount), Currency: patch.FromPtr(b.Currency),
		Status: fromEnum(b.Status), Stage: fromEnum(b.Stage),
		ContactID: patch.FromPtr(b.ContactId), OwnerID: patch.FromPtr(b.OwnerId),
	}, ifMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.UpdateDeal200JSONResponse{Body: toDeal(d), Headers: api.UpdateDeal200ResponseHeaders{ETag: etag(d.ID, d.UpdatedAt)}}, nil
}

// DeleteDeal deletes a deal with its tasks and timeline.
func (s *Server) DeleteDeal(ctx context.Context, req api.DeleteDealRequestObject) (api.DeleteDealResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.crm.DeleteDeal(ctx, m, req.DealId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteDeal204Response{}, nil
}

func toDeal(d crm.Deal) api.Deal {
	return api.Deal{
		Id: d.ID, ContactId: d.ContactID, OwnerId: d.OwnerID, Title: d.Title, Amount: d.Amount,
		Currency: d.Currency, Status: api.DealStatus(d.Status), Stage: api.DealStage(d.Stage),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
}
