package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// ActivitiesService handles the timeline of a deal: /api/v1/deals/{deal_id}/activities.
type ActivitiesService service

// List returns one page of a deal's activities, newest first.
func (s *ActivitiesService) List(ctx context.Context, dealID uuid.UUID, params *ListActivitiesParams, opts ...RequestOption) (*ActivityList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListActivitiesResponse, error) {
		return s.c.ListActivitiesWithResponse(ctx, dealID, params, o...)
	}, func(r *client.ListActivitiesResponse) *ActivityList { return r.JSON200 })
}

// All iterates over a deal's activities, newest first, paging by cursor; see
// [ContactsService.All].
func (s *ActivitiesService) All(ctx context.Context, dealID uuid.UUID, params *ListActivitiesParams, opts ...RequestOption) iter.Seq2[Activity, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Activity, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, dealID, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create adds an activity to a deal's timeline. Only comments may be written
// (ActivityTypeComment with a CommentPayload); the other types are the service's own, 400
// "only_comments_allowed".
func (s *ActivitiesService) Create(ctx context.Context, dealID uuid.UUID, body ActivityCreate, opts ...RequestOption) (*Activity, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateActivityResponse, error) {
		return s.c.CreateActivityWithResponse(ctx, dealID, body, o...)
	}, func(r *client.CreateActivityResponse) *Activity { return r.JSON201 })
}

// Comment adds a comment to a deal's timeline: Create with a comment of text.
func (s *ActivitiesService) Comment(ctx context.Context, dealID uuid.UUID, text string, opts ...RequestOption) (*Activity, error) {
	return s.Create(ctx, dealID, ActivityCreate{Type: ActivityTypeComment, Payload: CommentPayload{Text: text}}, opts...)
}
