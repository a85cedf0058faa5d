package webhooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/riverqueue/river"
)

// Endpoint is a webhook subscription (its secret included: answer it only at creation).
type Endpoint = db.WebhookEndpoint

// Delivery is one event's delivery to one endpoint, with the event's type.
type Delivery = db.GetWebhookDeliveryRow

// Service is the organization's webhooks: the subscriptions (owners and admins), their
// deliveries, and the events of the organization's changes.
type Service struct {
	store *platform.DB
	q     *db.Queries
	guard Guard
	jobs  *river.Client[pgx.Tx]
	now   func() time.Time
}

// NewService returns the webhooks of store; jobs inserts the delivery jobs (an insert-only River
// client is enough: the workers may run in another process).
func NewService(store *platform.DB, guard Guard, jobs *river.Client[pgx.Tx]) *Service {
	return &Service{store: store, q: store.Queries(), guard: guard, jobs: jobs, now: time.Now}
}

// riverInsert is one job of a batch.
type riverInsert = river.InsertManyParams

// newID returns a UUIDv7.
func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// errInvalidURL is the 400 of a URL the guard refuses.
func errInvalidURL(err error) *apperr.Error {
	reason := strings.TrimPrefix(strings.TrimPrefix(err.Error(), ErrURL.Error()), ": ")
	return &apperr.Error{Kind: apperr.KindInvalid, Code: "invalid_webhook_url",
		Message: "The webhook URL is refused: " + reason + ".",
		Fields:  []apperr.FieldError{{Field: "url", Message: reason}}, Cause: err}
}

// NewEndpoint is a subscription to create.
type NewEndpoint struct {
	URL         string
	Events      []string
	Description *string
}

// Create subscribes an endpoint; the answer carries its secret.
func (s *Service) Create(ctx context.Context, m tenancy.Membership, in NewEndpoint) (Endpoint, error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return Endpoint{}, err
	}
	if err := s.guard.CheckURL(in.URL); err != nil {
		return Endpoint{}, errInvalidURL(err)
	}
	ep, err := s.q.CreateWebhookEndpoint(ctx, db.CreateWebhookEndpointParams{
		OrganizationID: m.OrganizationID, ID: newID(), Url: in.URL, Events: subscriptions(in.Events),
		Description: in.Description, Secret: NewSecret(),
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("create webhook: %w", err)
	}
	return ep, nil
}

// subscriptions are the event types as stored: "*" alone when it is among them.
func subscriptions(events []string) []string {
	for _, e := range events {
		if e == AllEvents {
			return []string{AllEvents}
		}
	}
	return events
}

// List returns a page of the organization's endpoints, oldest first.
func (s *Service) List(ctx context.Context, m tenancy.Membership, p paging.Request) (paging.Page[Endpoint], error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return paging.Page[Endpoint]{}, err
	}
	page, err := paging.List(p, true, func(limit, offset int32, after *paging.Key) ([]db.ListWebhookEndpointsRow, error) {
		args := db.ListWebhookEndpointsParams{OrganizationID: m.OrganizationID, PageLimit: limit, PageOffset: offset}
		args.AfterKey, args.AfterID = after.Args()
		return s.q.ListWebhookEndpoints(ctx, args)
	}, func(r db.ListWebhookEndpointsRow) (Endpoint, int64) {
		return Endpoint{OrganizationID: r.OrganizationID, ID: r.ID, Url: r.Url, Events: r.Events,
			Description: r.Description, Secret: r.Secret, Active: r.Active, FailingSince: r.FailingSince,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.Total
	}, func(e Endpoint) paging.Key { return paging.Key{Value: paging.TimeKey(e.CreatedAt), ID: e.ID} })
	if err != nil {
		return page, fmt.Errorf("list webhooks: %w", err)
	}
	return page, nil
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, m tenancy.Membership, id uuid.UUID) (Endpoint, error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return Endpoint{}, err
	}
	return found(s.q.GetWebhookEndpoint(ctx, db.GetWebhookEndpointParams{OrganizationID: m.OrganizationID, ID: id}))
}

// EndpointUpdate is a partial update; absent fields keep their values.
type EndpointUpdate struct {
	URL         *string
	Events      []string // nil: absent
	Description patch.Field[string]
	Active      *bool
}

// Update changes an endpoint. Activating it again restarts its failure count.
func (s *Service) Update(ctx context.Context, m tenancy.Membership, id uuid.UUID, u EndpointUpdate) (Endpoint, error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return Endpoint{}, err
	}
	if u.URL != nil {
		if err := s.guard.CheckURL(*u.URL); err != nil {
			return Endpoint{}, errInvalidURL(err)
		}
	}
	var out Endpoint
	err := s.store.InTx(ctx, func(q *db.Queries) error {
		cur, err := found(q.GetWebhookEndpointForUpdate(ctx, db.GetWebhookEndpointForUpdateParams{OrganizationID: m.OrganizationID, ID: id}))
		if err != nil {
			return err
		}
		args := db.UpdateWebhookEndpointParams{OrganizationID: m.OrganizationID, ID: id, Url: cur.Url,
			Events: cur.Events, Description: u.Description.OrPtr(cur.Description), Active: cur.Active}
		if u.URL != nil {
			args.Url = *u.URL
		}
		if u.Events != nil {
			args.Events = subscriptions(u.Events)
		}
		if u.Active != nil {
			args.Active = *u.Active
		}
		out, err = q.UpdateWebhookEndpoint(ctx, args)
		return err
	})
	return out, err
}

// Delete ends a subscription; its deliveries go with it.
func (s *Service) Delete(ctx context.Context, m tenancy.Membership, id uuid.UUID) error {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return err
	}
	n, err := s.q.DeleteWebhookEndpoint(ctx, db.DeleteWebhookEndpointParams{OrganizationID: m.OrganizationID, ID: id})
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// Deliveries returns a page of an endpoint's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, m tenancy.Membership, endpoint uuid.UUID, p paging.Request) (paging.Page[Delivery], error) {
	if _, err := s.Get(ctx, m, endpoint); err != nil {
		return paging.Page[Delivery]{}, err
	}
	page, err := paging.List(p, true, func(limit, offset int32, after *paging.Key) ([]db.ListWebhookDeliveriesRow, error) {
		args := db.ListWebhookDeliveriesParams{OrganizationID: m.OrganizationID, EndpointID: endpoint, PageLimit: limit, PageOffset: offset}
		args.AfterKey, args.AfterID = after.Args()
		return s.q.ListWebhookDeliveries(ctx, args)
	}, func(r db.ListWebhookDeliveriesRow) (Delivery, int64) {
		return Delivery{OrganizationID: r.OrganizationID, ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID,
			Status: r.Status, Attempts: r.Attempts, LastStatusCode: r.LastStatusCode, LastError: r.LastError,
			NextAttemptAt: r.NextAttemptAt, CreatedAt: r.CreatedAt, DeliveredAt: r.DeliveredAt, EventType: r.EventType}, r.Total
	}, func(d Delivery) paging.Key { return paging.Key{Value: paging.TimeKey(d.CreatedAt), ID: d.ID} })
	if err != nil {
		return page, fmt.Errorf("list deliveries: %w", err)
	}
	return page, nil
}

// endpointObject is an endpoint as the API answers it (openapi.yaml Webhook): the object of a
// webhook.ping event.
type endpointObject struct {
	ID          uuid.UUID `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description *string   `json:"description"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
}

// Ping sends a webhook.ping event to the endpoint only, whatever its subscriptions and state.
func (s *Service) Ping(ctx context.Context, m tenancy.Membership, endpoint uuid.UUID) (Delivery, error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return Delivery{}, err
	}
	var out Delivery
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		ep, err := found(q.GetWebhookEndpoint(ctx, db.GetWebhookEndpointParams{OrganizationID: m.OrganizationID, ID: endpoint}))
		if err != nil {
			return err
		}
		object, err := jsonOf(endpointObject{ID: ep.ID, URL: ep.Url, Events: ep.Events, Description: ep.Description,
			Active: ep.Active, CreatedAt: ep.CreatedAt.UTC()})
		if err != nil {
			return err
		}
		eventID, err := s.record(ctx, q, m.OrganizationID, Ping, data{Object: object})
		if err != nil {
			return err
		}
		ds, err := s.deliverAll(ctx, tx, q, m.OrganizationID, eventID, ep.ID)
		if err != nil {
			return err
		}
		out = withType(ds[0], Ping)
		return nil
	})
	return out, err
}

// Redeliver sends a delivery's event to its endpoint again, as a new delivery.
func (s *Service) Redeliver(ctx context.Context, m tenancy.Membership, endpoint, delivery uuid.UUID) (Delivery, error) {
	if err := m.Require(tenancy.ManageWebhooks); err != nil {
		return Delivery{}, err
	}
	var out Delivery
	err := s.store.InTxWith(ctx, func(tx pgx.Tx, q *db.Queries) error {
		d, err := found(q.GetWebhookDelivery(ctx, db.GetWebhookDeliveryParams{OrganizationID: m.OrganizationID, EndpointID: endpoint, ID: delivery}))
		if err != nil {
			return err
		}
		ds, err := s.deliverAll(ctx, tx, q, m.OrganizationID, d.EventID, endpoint)
		if err != nil {
			return err
		}
		out = withType(ds[0], EventType(d.EventType))
		return nil
	})
	return out, err
}

func withType(d db.WebhookDelivery, typ EventType) Delivery {
	return Delivery{OrganizationID: d.OrganizationID, ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID,
		Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt, EventType: string(typ)}
}

// found maps a single-row lookup: no row is apperr.ErrNotFound.
func found[T any](row T, err error) (T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, apperr.ErrNotFound
	}
	return row, err
}
