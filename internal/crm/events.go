package crm

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/webhooks"
)

// Renderer renders the records as the API answers them, so that an event's object is exactly what
// a GET of the record answers. The HTTP layer owns that shape (httpapi.Renderer); cmd/crm gives
// it to the service at wiring time, and the domain never imports the HTTP layer.
type Renderer interface {
	Contact(Contact) (any, error)
	Deal(Deal) (any, error)
	Task(Task) (any, error)
	Activity(Activity) (any, error)
}

// EventSink records the event of a change on the change's own transaction (webhooks.Service):
// Emit for the endpoints subscribed to it, EmitTo for the given ones, which the change read in its
// own statement.
type EventSink interface {
	Emit(ctx context.Context, tx pgx.Tx, q *db.Queries, ev webhooks.Event) error
	EmitTo(ctx context.Context, tx pgx.Tx, q *db.Queries, ev webhooks.Event, endpoints []uuid.UUID) error
}

// WithEvents makes the service emit the events of its changes to sink, rendered by r, and
// returns it. Without it no event is emitted.
func (s *Service) WithEvents(sink EventSink, r Renderer) *Service {
	s.events, s.render = sink, r
	return s
}

// emit renders cur (and before, for an update) and emits the event on tx.
func emit[T any](ctx context.Context, s *Service, tx pgx.Tx, q *db.Queries, org uuid.UUID, typ webhooks.EventType,
	render func(T) (any, error), cur T, before *T,
) error {
	ev, err := newEvent(org, typ, render, cur, before)
	if err != nil {
		return err
	}
	return s.events.Emit(ctx, tx, q, ev)
}

// newEvent is the event of a change: cur rendered, and before for an update.
func newEvent[T any](org uuid.UUID, typ webhooks.EventType, render func(T) (any, error), cur T, before *T) (webhooks.Event, error) {
	obj, err := render(cur)
	if err != nil {
		return webhooks.Event{}, err
	}
	ev := webhooks.Event{OrganizationID: org, Type: typ, Object: obj}
	if before != nil {
		if ev.Before, err = render(*before); err != nil {
			return webhooks.Event{}, err
		}
	}
	return ev, nil
}

// contactEvent emits a contact's event (before: its state before an update, else nil).
func (s *Service) contactEvent(ctx context.Context, tx pgx.Tx, q *db.Queries, typ webhooks.EventType, c Contact, before *Contact) error {
	if s.events == nil {
		return nil
	}
	return emit(ctx, s, tx, q, c.OrganizationID, typ, s.render.Contact, c, before)
}

// dealEvent emits a deal's event.
func (s *Service) dealEvent(ctx context.Context, tx pgx.Tx, q *db.Queries, typ webhooks.EventType, d Deal, before *Deal) error {
	if s.events == nil {
		return nil
	}
	return emit(ctx, s, tx, q, d.OrganizationID, typ, s.render.Deal, d, before)
}

// taskEvent emits a task's event.
func (s *Service) taskEvent(ctx context.Context, tx pgx.Tx, q *db.Queries, typ webhooks.EventType, t Task, before *Task) error {
	if s.events == nil {
		return nil
	}
	return emit(ctx, s, tx, q, t.OrganizationID, typ, s.render.Task, t, before)
}

// activityEvent emits activity.created for a comment.
func (s *Service) activityEvent(ctx context.Context, tx pgx.Tx, q *db.Queries, a Activity) error {
	if s.events == nil {
		return nil
	}
	return emit(ctx, s, tx, q, a.OrganizationID, webhooks.ActivityCreated, s.render.Activity, a, nil)
}
