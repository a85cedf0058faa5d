package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
)

// Stubs until the operations of this file are implemented.

func (s *Server) ListDeals(context.Context, api.ListDealsRequestObject) (api.ListDealsResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) CreateDeal(context.Context, api.CreateDealRequestObject) (api.CreateDealResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) DeleteDeal(context.Context, api.DeleteDealRequestObject) (api.DeleteDealResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetDeal(context.Context, api.GetDealRequestObject) (api.GetDealResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) UpdateDeal(context.Context, api.UpdateDealRequestObject) (api.UpdateDealResponseObject, error) {
	return nil, errNotImplemented
}
