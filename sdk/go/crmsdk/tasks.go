package crmsdk

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// TasksService handles the tasks of the selected organization: /api/v1/tasks.
type TasksService service

// List returns one page of the tasks matching params (nil for the first page of all).
func (s *TasksService) List(ctx context.Context, params *ListTasksParams, opts ...RequestOption) (*TaskList, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.ListTasksResponse, error) {
		return s.c.ListTasksWithResponse(ctx, params, o...)
	}, func(r *client.ListTasksResponse) *TaskList { return r.JSON200 })
}

// All iterates over the tasks matching params (nil for all), paging by cursor; see
// [ContactsService.All].
func (s *TasksService) All(ctx context.Context, params *ListTasksParams, opts ...RequestOption) iter.Seq2[Task, error] {
	first := copyParams(params)
	return paginate(ctx, s.c, func(ctx context.Context, cursor *string, pin RequestOption) ([]Task, *string, error) {
		p := first
		p.Cursor = cursorOr(cursor, first.Cursor)
		page, err := s.List(ctx, &p, append(slices.Clip(opts), pin)...)
		if err != nil {
			return nil, nil, err
		}
		return page.Items, page.NextCursor, nil
	})
}

// Create creates a task of a deal; a due date in the past is 400 "due_date_in_past".
func (s *TasksService) Create(ctx context.Context, body TaskCreate, opts ...RequestOption) (*Task, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.CreateTaskResponse, error) {
		return s.c.CreateTaskWithResponse(ctx, body, o...)
	}, func(r *client.CreateTaskResponse) *Task { return r.JSON201 })
}

// Get returns a task; see [ContactsService.Get] for [IfNoneMatch] and [CaptureETag].
func (s *TasksService) Get(ctx context.Context, id uuid.UUID, opts ...RequestOption) (*Task, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.GetTaskResponse, error) {
		return s.c.GetTaskWithResponse(ctx, id, o...)
	}, func(r *client.GetTaskResponse) *Task { return r.JSON200 })
}

// Update changes the fields patch sets (say, IsDone); [IfMatch] makes it conditional.
func (s *TasksService) Update(ctx context.Context, id uuid.UUID, patch TaskUpdate, opts ...RequestOption) (*Task, error) {
	return do(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.UpdateTaskResponse, error) {
		return s.c.UpdateTaskWithResponse(ctx, id, patch, o...)
	}, func(r *client.UpdateTaskResponse) *Task { return r.JSON200 })
}

// Delete deletes a task.
func (s *TasksService) Delete(ctx context.Context, id uuid.UUID, opts ...RequestOption) error {
	return doNone(ctx, opts, func(ctx context.Context, o ...client.RequestEditorFn) (*client.DeleteTaskResponse, error) {
		return s.c.DeleteTaskWithResponse(ctx, id, o...)
	})
}
