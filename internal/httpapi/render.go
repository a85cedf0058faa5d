package httpapi

import "github.com/minicrm/crm/internal/crm"

// Renderer renders the CRM's records exactly as the API answers them: the objects of the webhook
// events (crm.Service.WithEvents).
type Renderer struct{}

var _ crm.Renderer = Renderer{}

// Contact is a contact as GET /api/v1/contacts/{id} answers it.
func (Renderer) Contact(c crm.Contact) (any, error) { return toContact(c), nil }

// Deal is a deal as GET /api/v1/deals/{id} answers it.
func (Renderer) Deal(d crm.Deal) (any, error) { return toDeal(d), nil }

// Task is a task as GET /api/v1/tasks/{id} answers it.
func (Renderer) Task(t crm.Task) (any, error) { return toTask(t), nil }

// Activity is an activity as the deal's timeline answers it.
func (Renderer) Activity(a crm.Activity) (any, error) { return toActivity(a) }
