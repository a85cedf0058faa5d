package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
)

// EventType is the type of an event.
type EventType string

// The event types of openapi.yaml (WebhookEventType).
const (
	ContactCreated  EventType = "contact.created"
	ContactUpdated  EventType = "contact.updated"
	ContactDeleted  EventType = "contact.deleted"
	DealCreated     EventType = "deal.created"
	DealUpdated     EventType = "deal.updated"
	DealDeleted     EventType = "deal.deleted"
	TaskCreated     EventType = "task.created"
	TaskUpdated     EventType = "task.updated"
	TaskDeleted     EventType = "task.deleted"
	ActivityCreated EventType = "activity.created"
	Ping            EventType = "webhook.ping"
)

// AllEvents is the subscription to every event type but webhook.ping.
const AllEvents = "*"

// body is an event as it is sent: the Standard Webhooks payload of openapi.yaml (WebhookEvent).
type body struct {
	ID             uuid.UUID `json:"id"`
	Type           EventType `json:"type"`
	CreatedAt      time.Time `json:"created_at"`
	OrganizationID uuid.UUID `json:"organization_id"`
	Data           data      `json:"data"`
}

type data struct {
	Object   json.RawMessage            `json:"object"`
	Previous map[string]json.RawMessage `json:"previous,omitempty"`
}

// Event is a change to tell the organization's subscribers about.
type Event struct {
	OrganizationID uuid.UUID
	Type           EventType
	// Object is the resource as the API answers it (its last state for *.deleted).
	Object any
	// Before is the resource as the API answered it before an update (nil otherwise); the event
	// carries the values of the fields that changed as data.previous.
	Before any
}

// Emit records ev and one delivery for each active endpoint of its organization subscribed to its
// type, and queues their jobs, all on tx: the transaction of the change itself, so that a change
// that does not commit emits nothing. Without subscribers it writes nothing.
func (s *Service) Emit(ctx context.Context, tx pgx.Tx, q *db.Queries, ev Event) error {
	endpoints, err := q.ListSubscribedWebhookEndpoints(ctx, db.ListSubscribedWebhookEndpointsParams{
		OrganizationID: ev.OrganizationID, EventType: string(ev.Type),
	})
	if err != nil {
		return fmt.Errorf("webhook endpoints of %s: %w", ev.Type, err)
	}
	return s.EmitTo(ctx, tx, q, ev, endpoints)
}

// EmitTo is Emit for a caller that already read, on tx, the endpoints subscribed to the event
// (queries/stage_history.sql RecordDealChange reads them in the change's own statement).
func (s *Service) EmitTo(ctx context.Context, tx pgx.Tx, q *db.Queries, ev Event, endpoints []uuid.UUID) error {
	if len(endpoints) == 0 {
		return nil
	}
	object, err := json.Marshal(ev.Object)
	if err != nil {
		return fmt.Errorf("encode %s object: %w", ev.Type, err)
	}
	var previous map[string]json.RawMessage
	if ev.Before != nil {
		if previous, err = changed(ev.Before, object); err != nil {
			return fmt.Errorf("encode %s previous: %w", ev.Type, err)
		}
		if len(previous) == 0 {
			return nil // nothing changed: no event
		}
	}
	eventID, err := s.record(ctx, q, ev.OrganizationID, ev.Type, data{Object: object, Previous: previous})
	if err != nil {
		return err
	}
	return s.deliver(ctx, tx, q, ev.OrganizationID, eventID, endpoints...)
}

// record writes an event and returns its id.
func (s *Service) record(ctx context.Context, q *db.Queries, org uuid.UUID, typ EventType, d data) (uuid.UUID, error) {
	b := body{ID: newID(), Type: typ, CreatedAt: s.now().UTC().Truncate(time.Microsecond), OrganizationID: org, Data: d}
	raw, err := json.Marshal(b)
	if err != nil {
		return uuid.Nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	if err := q.CreateWebhookEvent(ctx, db.CreateWebhookEventParams{
		OrganizationID: org, ID: b.ID, Type: string(typ), Body: raw, CreatedAt: b.CreatedAt,
	}); err != nil {
		return uuid.Nil, fmt.Errorf("record %s event: %w", typ, err)
	}
	return b.ID, nil
}

// deliver creates a delivery of the event to each endpoint and queues its job on tx.
func (s *Service) deliver(ctx context.Context, tx pgx.Tx, q *db.Queries, org, eventID uuid.UUID, endpoints ...uuid.UUID) error {
	_, err := s.deliverAll(ctx, tx, q, org, eventID, endpoints...)
	return err
}

func (s *Service) deliverAll(ctx context.Context, tx pgx.Tx, q *db.Queries, org, eventID uuid.UUID, endpoints ...uuid.UUID) ([]db.WebhookDelivery, error) {
	now := s.now().UTC()
	out := make([]db.WebhookDelivery, 0, len(endpoints))
	jobs := make([]riverInsert, 0, len(endpoints))
	for _, ep := range endpoints {
		d, err := q.CreateWebhookDelivery(ctx, db.CreateWebhookDeliveryParams{
			OrganizationID: org, ID: newID(), EndpointID: ep, EventID: eventID, CreatedAt: now,
		})
		if err != nil {
			return nil, fmt.Errorf("create delivery: %w", err)
		}
		out = append(out, d)
		jobs = append(jobs, riverInsert{Args: DeliveryArgs{OrganizationID: org, DeliveryID: d.ID}})
	}
	if _, err := s.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
		return nil, fmt.Errorf("queue deliveries: %w", err)
	}
	return out, nil
}

// changed is data.previous: the members of before's JSON whose values differ in after (the JSON
// of the same resource after the change).
func changed(before any, after json.RawMessage) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(before)
	if err != nil {
		return nil, err
	}
	var old, cur map[string]json.RawMessage
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(after, &cur); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	for k, v := range old {
		if !bytes.Equal(v, cur[k]) {
			out[k] = v
		}
	}
	return out, nil
}
