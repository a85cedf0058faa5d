package crmsdk

import (
	"context"
	"errors"
	"iter"
	"net/http"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// Contacts iterates over the contacts of the selected organization that match params (nil for
// all), in the server's order, paging by cursor (GET /api/v1/contacts):
//
//	for contact, err := range c.Contacts(ctx, &client.ListContactsParams{Search: &name}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(contact.Name)
//	}
//
// The first request is sent with params as they are; every further one with the same params and
// cursor set to the previous page's next_cursor, until a page comes without one. params is
// copied when Contacts is called and never modified (what its pointers point to is shared: leave
// it alone while a loop runs). A params.Cursor the caller set is where the iteration starts (say, to resume
// an earlier one); params.Page applies to the first request only, as a cursor names its page.
//
// A failed request (a transport error, a canceled ctx, an error answer as a [*ProblemError], e.g.
// 403 "not_a_member" or 400 "invalid_cursor") is yielded once, with the zero item, and ends the
// iteration. Breaking out of the loop ends it too: no further page is requested. Nothing is
// requested before the loop starts, and every loop over the iterator starts again from the first
// page.
//
// The organization is the one selected when the loop starts; it is sent with every page, so a
// [Client.SetOrganization] meanwhile does not move the iteration to another organization.
//
// [Client.Deals], [Client.Tasks], [Client.Activities], [Client.Members], [Client.Webhooks] and
// [Client.WebhookDeliveries] work the same way.
func (c *Client) Contacts(ctx context.Context, params *client.ListContactsParams) iter.Seq2[client.Contact, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Contact, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListContactsWithResponse(ctx, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// Deals iterates over the deals of the selected organization matching params (nil for all), by
// cursor; see GET /api/v1/deals and [Client.Contacts].
func (c *Client) Deals(ctx context.Context, params *client.ListDealsParams) iter.Seq2[client.Deal, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Deal, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListDealsWithResponse(ctx, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// Tasks iterates over the tasks of the selected organization matching params (nil for all), by
// cursor; see GET /api/v1/tasks and [Client.Contacts].
func (c *Client) Tasks(ctx context.Context, params *client.ListTasksParams) iter.Seq2[client.Task, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Task, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListTasksWithResponse(ctx, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// Activities iterates over the timeline of a deal of the selected organization, newest first, by
// cursor; see GET /api/v1/deals/{deal_id}/activities and [Client.Contacts].
func (c *Client) Activities(ctx context.Context, dealID uuid.UUID, params *client.ListActivitiesParams) iter.Seq2[client.Activity, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Activity, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListActivitiesWithResponse(ctx, dealID, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// Members iterates over the members of the organization orgID (which need not be the selected
// one), by cursor; see GET /api/v1/organizations/{organization_id}/members and [Client.Contacts].
func (c *Client) Members(ctx context.Context, orgID uuid.UUID, params *client.ListMembersParams) iter.Seq2[client.Member, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Member, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListMembersWithResponse(ctx, orgID, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// Webhooks iterates over the webhook subscriptions of the selected organization, oldest first, by
// cursor (owners and admins); see GET /api/v1/webhooks and [Client.Contacts].
func (c *Client) Webhooks(ctx context.Context, params *client.ListWebhooksParams) iter.Seq2[client.Webhook, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.Webhook, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListWebhooksWithResponse(ctx, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// WebhookDeliveries iterates over the deliveries of a webhook of the selected organization, newest
// first, by cursor; see GET /api/v1/webhooks/{webhook_id}/deliveries and [Client.Contacts].
func (c *Client) WebhookDeliveries(ctx context.Context, webhookID uuid.UUID, params *client.ListWebhookDeliveriesParams) iter.Seq2[client.WebhookDelivery, error] {
	first := copyParams(params)
	return paginate(ctx, c, func(ctx context.Context, cursor *string, pin client.RequestEditorFn) ([]client.WebhookDelivery, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		res, err := Ok(c.ListWebhookDeliveriesWithResponse(ctx, webhookID, &p, pin))
		if err != nil {
			return nil, nil, err
		}
		if res.JSON200 == nil {
			return nil, nil, unexpected(res.StatusCode(), res.Body)
		}
		return res.JSON200.Items, res.JSON200.NextCursor, nil
	})
}

// errCursorLoop guards against a server that answers a cursor with the same cursor.
var errCursorLoop = errors.New("crmsdk: the list answered its cursor with the same next_cursor")

// fetchPage requests one page: the first with cursor nil, the next ones with the previous page's
// next_cursor. pin must go with the request: it sends the organization of the iteration.
type fetchPage[T any] func(ctx context.Context, cursor *string, pin client.RequestEditorFn) (items []T, next *string, err error)

// paginate is the iterator over the items of the pages fetch returns; see [Client.Contacts].
func paginate[T any](ctx context.Context, c *Client, fetch fetchPage[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		pin := pinOrganization(c.Organization())
		var cursor *string
		for {
			items, next, err := fetch(ctx, cursor, pin)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil || *next == "" {
				return
			}
			if cursor != nil && *cursor == *next {
				var zero T
				yield(zero, errCursorLoop)
				return
			}
			cursor = next
		}
	}
}

// pinOrganization returns a request editor that sends org as X-Organization-Id (the transport
// leaves a header set by the request alone); none when org is uuid.Nil.
func pinOrganization(org uuid.UUID) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if org != uuid.Nil {
			req.Header.Set(OrganizationHeader, org.String())
		}
		return nil
	}
}

// copyParams returns a shallow copy of *params (the zero value for nil): the iterator sets the
// copy's cursor, and the caller may reuse their struct once the iterator is made.
func copyParams[P any](params *P) P {
	var p P
	if params != nil {
		p = *params
	}
	return p
}

// cursorOr returns the iteration's cursor, or before the first page the caller's own.
func cursorOr(cursor, callers *string) *string {
	if cursor != nil {
		return cursor
	}
	return callers
}
