package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
)

// Stubs until the operations of this file are implemented.

func (s *Server) GetDealSummary(context.Context, api.GetDealSummaryRequestObject) (api.GetDealSummaryResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetDealFunnel(context.Context, api.GetDealFunnelRequestObject) (api.GetDealFunnelResponseObject, error) {
	return nil, errNotImplemented
}
