package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
)

// Stubs until the operations of this file are implemented.

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
