package httpapi

import (
	"context"
	"errors"

	"github.com/minicrm/crm/gen/api"
)

// Temporary: each method moves to its own file as it is implemented.
var errNotImplemented = errors.New("not implemented")

func (s *Server) ListContacts(context.Context, api.ListContactsRequestObject) (api.ListContactsResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) CreateContact(context.Context, api.CreateContactRequestObject) (api.CreateContactResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) DeleteContact(context.Context, api.DeleteContactRequestObject) (api.DeleteContactResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetContact(context.Context, api.GetContactRequestObject) (api.GetContactResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) UpdateContact(context.Context, api.UpdateContactRequestObject) (api.UpdateContactResponseObject, error) {
	return nil, errNotImplemented
}
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
func (s *Server) ListActivities(context.Context, api.ListActivitiesRequestObject) (api.ListActivitiesResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) CreateActivity(context.Context, api.CreateActivityRequestObject) (api.CreateActivityResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) ListTasks(context.Context, api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) CreateTask(context.Context, api.CreateTaskRequestObject) (api.CreateTaskResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) DeleteTask(context.Context, api.DeleteTaskRequestObject) (api.DeleteTaskResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetTask(context.Context, api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) UpdateTask(context.Context, api.UpdateTaskRequestObject) (api.UpdateTaskResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetDealSummary(context.Context, api.GetDealSummaryRequestObject) (api.GetDealSummaryResponseObject, error) {
	return nil, errNotImplemented
}
func (s *Server) GetDealFunnel(context.Context, api.GetDealFunnelRequestObject) (api.GetDealFunnelResponseObject, error) {
	return nil, errNotImplemented
}
