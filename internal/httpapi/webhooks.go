package httpapi

import (
	"context"
	"time"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/tenancy"
	"github.com/minicrm/crm/internal/webhooks"
)

// ListWebhooks lists a page of the organization's webhooks.
func (s *Server) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.pageRequest(ctx, req.Params.Page, req.Params.PageSize, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.webhooks.List(ctx, m, page)
	if err != nil {
		return nil, err
	}
	return api.ListWebhooks200JSONResponse{Items: itemsOf(res.Items, toWebhook), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// CreateWebhook subscribes an endpoint; the answer is the only one that shows its secret.
func (s *Server) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	ep, err := s.webhooks.Create(ctx, m, webhooks.NewEndpoint{
		URL: req.Body.Url, Events: subscriptionsIn(req.Body.Events), Description: req.Body.Description,
	})
	if err != nil {
		return nil, err
	}
	w := toWebhook(ep)
	return api.CreateWebhook201JSONResponse{
		Body: api.WebhookWithSecret{Id: w.Id, Url: w.Url, Events: w.Events, Description: w.Description,
			Active: w.Active, Secret: ep.Secret, CreatedAt: w.CreatedAt},
		Headers: api.CreateWebhook201ResponseHeaders{Location: "/api/v1/webhooks/" + ep.ID.String()},
	}, nil
}

// GetWebhook returns one webhook, without its secret.
func (s *Server) GetWebhook(ctx context.Context, req api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	ep, err := s.webhooks.Get(ctx, m, req.WebhookId)
	if err != nil {
		return nil, err
	}
	return api.GetWebhook200JSONResponse(toWebhook(ep)), nil
}

// UpdateWebhook changes a webhook's URL, events, description or state.
func (s *Server) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	u := webhooks.EndpointUpdate{URL: req.Body.Url, Description: fromNullable(req.Body.Description), Active: req.Body.Active}
	if req.Body.Events != nil {
		u.Events = subscriptionsIn(*req.Body.Events)
	}
	ep, err := s.webhooks.Update(ctx, m, req.WebhookId, u)
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhook200JSONResponse(toWebhook(ep)), nil
}

// DeleteWebhook ends a subscription.
func (s *Server) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.webhooks.Delete(ctx, m, req.WebhookId); err != nil {
		return nil, err
	}
	return api.DeleteWebhook204Response{}, nil
}

// PingWebhook sends a webhook.ping event to the endpoint.
func (s *Server) PingWebhook(ctx context.Context, req api.PingWebhookRequestObject) (api.PingWebhookResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.webhooks.Ping(ctx, m, req.WebhookId)
	if err != nil {
		return nil, err
	}
	return api.PingWebhook202JSONResponse{Body: toDelivery(d)}, nil
}

// ListWebhookDeliveries lists a page of a webhook's deliveries, newest first.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.pageRequest(ctx, req.Params.Page, req.Params.PageSize, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.webhooks.Deliveries(ctx, m, req.WebhookId, page)
	if err != nil {
		return nil, err
	}
	return api.ListWebhookDeliveries200JSONResponse{Items: itemsOf(res.Items, toDelivery), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// RedeliverWebhookDelivery sends a delivery's event to the endpoint again.
func (s *Server) RedeliverWebhookDelivery(ctx context.Context, req api.RedeliverWebhookDeliveryRequestObject) (api.RedeliverWebhookDeliveryResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.webhooks.Redeliver(ctx, m, req.WebhookId, req.DeliveryId)
	if err != nil {
		return nil, err
	}
	return api.RedeliverWebhookDelivery202JSONResponse{Body: toDelivery(d)}, nil
}

func subscriptionsIn(in []api.WebhookSubscription) []string {
	out := make([]string, len(in))
	for i, e := range in {
		out[i] = string(e)
	}
	return out
}

func toWebhook(ep webhooks.Endpoint) api.Webhook {
	events := make([]api.WebhookSubscription, len(ep.Events))
	for i, e := range ep.Events {
		events[i] = api.WebhookSubscription(e)
	}
	return api.Webhook{Id: ep.ID, Url: ep.Url, Events: events, Description: ep.Description, Active: ep.Active,
		CreatedAt: ep.CreatedAt.UTC()}
}

func toDelivery(d webhooks.Delivery) api.WebhookDelivery {
	return api.WebhookDelivery{Id: d.ID, EventId: d.EventID, EventType: api.WebhookEventType(d.EventType),
		Status: api.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts, LastStatusCode: d.LastStatusCode,
		LastError: d.LastError, NextAttemptAt: utcPtr(d.NextAttemptAt), CreatedAt: d.CreatedAt.UTC(),
		DeliveredAt: utcPtr(d.DeliveredAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
