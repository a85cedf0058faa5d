package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
)

// Stubs until the operations of this file are implemented.

func (s *Server) ListActivities(context.Context, api.ListActivitiesRequestObject) (api.ListActivitiesResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) CreateActivity(context.Context, api.CreateActivityRequestObject) (api.CreateActivityResponseObject, error) {
	return nil, errNotImplemented
}
