package httpapi

import (
	"context"

	"github.com/minicrm/crm/gen/api"
)

// Stubs until the operations of this file are implemented.

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
