package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// WebhooksService handles the webhook subscriptions of the selected organization and their
// deliveries (owners and admins): /api/v1/webhooks.
type WebhooksService service

// List returns one page of the webhooks, oldest first.
func (s *WebhooksService) List(ctx context.Context, params *ListWebhooksParams, opts ...RequestOption) (*WebhookList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListWebhooksResponse, error) {
		return s.c.ListWebhooksWithResponse(ctx, params, o...)
	}, func(r *client.ListWebhooksResponse) *WebhookList { return r.JSON200 })
}

// All iterates over the webhooks, paging by cursor; see [ContactsService.All].
func (s *WebhooksService) All(ctx context.Context, params *ListWebhooksParams, opts ...RequestOption) iter.Seq2[Webhook, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Webhook, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create subscribes an https endpoint to events. The answer holds the signing Secret, shown this
// once. A URL that is not https or points at a private address is 400 "invalid_webhook_url".
func (s *WebhooksService) Create(ctx context.Context, body WebhookCreate, opts ...RequestOption) (*WebhookWithSecret, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateWebhookResponse, error) {
		return s.c.CreateWebhookWithResponse(ctx, body, o...)
	}, func(r *client.CreateWebhookResponse) *WebhookWithSecret { return r.JSON201 })
}

// Get returns a webhook (without its secret).
func (s *WebhooksService) Get(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*Webhook, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetWebhookResponse, error) {
		return s.c.GetWebhookWithResponse(ctx, id, o...)
	}, func(r *client.GetWebhookResponse) *Webhook { return r.JSON200 })
}

// Update changes a webhook's URL, events or Active flag.
func (s *WebhooksService) Update(ctx context.Context, id uuid.UUID, patch WebhookUpdate, opts ...RequestOption) (*Webhook, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateWebhookResponse, error) {
		return s.c.UpdateWebhookWithResponse(ctx, id, patch, o...)
	}, func(r *client.UpdateWebhookResponse) *Webhook { return r.JSON200 })
}

// Delete deletes a webhook; pending deliveries are dropped.
func (s *WebhooksService) Delete(ctx context.Context, id uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.DeleteWebhookResponse, error) {
		return s.c.DeleteWebhookWithResponse(ctx, id, o...)
	})
}

// Ping queues a webhook.ping event to the webhook and returns its delivery (202: it is sent in
// the background).
func (s *WebhooksService) Ping(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*WebhookDelivery, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.PingWebhookResponse, error) {
		return s.c.PingWebhookWithResponse(ctx, id, o...)
	}, func(r *client.PingWebhookResponse) *WebhookDelivery { return r.JSON202 })
}

// Deliveries returns one page of a webhook's deliveries, newest first.
func (s *WebhooksService) Deliveries(ctx context.Context, id uuid.UUID, params *ListWebhookDeliveriesParams, opts ...RequestOption) (*WebhookDeliveryList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListWebhookDeliveriesResponse, error) {
		return s.c.ListWebhookDeliveriesWithResponse(ctx, id, params, o...)
	}, func(r *client.ListWebhookDeliveriesResponse) *WebhookDeliveryList { return r.JSON200 })
}

// AllDeliveries iterates over a webhook's deliveries, newest first, paging by cursor; see
// [ContactsService.All].
func (s *WebhooksService) AllDeliveries(ctx context.Context, id uuid.UUID, params *ListWebhookDeliveriesParams, opts ...RequestOption) iter.Seq2[WebhookDelivery, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]WebhookDelivery, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.Deliveries(ctx, id, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Redeliver queues a delivery again, as a new delivery of the same event (202).
func (s *WebhooksService) Redeliver(ctx context.Context, webhookID, deliveryID uuid.UUID, opts ...RequestOption) (*WebhookDelivery, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.RedeliverWebhookDeliveryResponse, error) {
		return s.c.RedeliverWebhookDeliveryWithResponse(ctx, webhookID, deliveryID, o...)
	}, func(r *client.RedeliverWebhookDeliveryResponse) *WebhookDelivery { return r.JSON202 })
}
