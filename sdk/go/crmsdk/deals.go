package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// DealsService handles the deals of the selected organization: /api/v1/deals.
type DealsService service

// List returns one page of the deals matching params (nil for the first page of all).
func (s *DealsService) List(ctx context.Context, params *ListDealsParams, opts ...RequestOption) (*DealList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListDealsResponse, error) {
		return s.c.ListDealsWithResponse(ctx, params, o...)
	}, func(r *client.ListDealsResponse) *DealList { return r.JSON200 })
}

// All iterates over the deals matching params (nil for all), paging by cursor; see
// [ContactsService.All].
func (s *DealsService) All(ctx context.Context, params *ListDealsParams, opts ...RequestOption) iter.Seq2[Deal, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Deal, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create creates a deal of a contact of the organization (an unknown body.ContactId is 400
// "invalid_reference"); it starts as status new, stage qualification unless body says otherwise.
func (s *DealsService) Create(ctx context.Context, body DealCreate, opts ...RequestOption) (*Deal, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateDealResponse, error) {
		return s.c.CreateDealWithResponse(ctx, body, o...)
	}, func(r *client.CreateDealResponse) *Deal { return r.JSON201 })
}

// Get returns a deal; see [ContactsService.Get] for [IfNoneMatch] and [CaptureETag].
func (s *DealsService) Get(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*Deal, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetDealResponse, error) {
		return s.c.GetDealWithResponse(ctx, id, o...)
	}, func(r *client.GetDealResponse) *Deal { return r.JSON200 })
}

// Update changes the fields patch sets. The business rules answer with their own codes: won with
// an amount ≤ 0 is 400 "won_requires_positive_amount", moving to an earlier stage without the
// role for it 403 "stage_rollback_forbidden". [IfMatch] makes it conditional (and retryable).
func (s *DealsService) Update(ctx context.Context, id uuid.UUID, patch DealUpdate, opts ...RequestOption) (*Deal, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateDealResponse, error) {
		return s.c.UpdateDealWithResponse(ctx, id, patch, o...)
	}, func(r *client.UpdateDealResponse) *Deal { return r.JSON200 })
}

// Delete deletes a deal with its tasks and activities.
func (s *DealsService) Delete(ctx context.Context, id uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.DeleteDealResponse, error) {
		return s.c.DeleteDealWithResponse(ctx, id, o...)
	})
}

// Export returns the deals matching params (nil for all) as a CSV document with a header row.
func (s *DealsService) Export(ctx context.Context, params *ExportDealsParams, opts ...RequestOption) ([]byte, error) {
	res, err := send(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ExportDealsResponse, error) {
		return s.c.ExportDealsWithResponse(ctx, params, o...)
	})
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}
