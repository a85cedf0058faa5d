package httpapi

import (
	"context"
	"time"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/patch"
	"github.com/minicrm/crm/internal/tenancy"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ListTasks lists a page of tasks.
func (s *Server) ListTasks(ctx context.Context, req api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := crm.TaskFilter{
		DealID: p.DealId, OwnerID: p.OwnerId, OnlyOpen: p.OnlyOpen != nil && *p.OnlyOpen,
		DueBefore: fromDate(p.DueBefore), DueAfter: fromDate(p.DueAfter),
	}
	page, err := s.pageRequest(ctx, p.Page, p.PageSize, p.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.crm.ListTasks(ctx, m, f, page)
	if err != nil {
		return nil, err
	}
	return api.ListTasks200JSONResponse{Items: itemsOf(res.Items, toTask), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}, nil
}

// CreateTask creates a task on a deal.
func (s *Server) CreateTask(ctx context.Context, req api.CreateTaskRequestObject) (api.CreateTaskResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	t, err := s.crm.CreateTask(ctx, m, crm.NewTask{
		DealID: b.DealId, Title: b.Title, Description: b.Description, DueDate: fromDate(b.DueDate), OwnerID: b.OwnerId,
	})
	if err != nil {
		return nil, err
	}
	return api.CreateTask201JSONResponse{
		Body:    toTask(t),
		Headers: api.CreateTask201ResponseHeaders{Location: "/api/v1/tasks/" + t.ID.String(), ETag: etag(t.ID, t.UpdatedAt)},
	}, nil
}

// GetTask returns one task.
func (s *Server) GetTask(ctx context.Context, req api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.crm.GetTask(ctx, m, req.TaskId)
	if err != nil {
		return nil, err
	}
	tag := etag(t.ID, t.UpdatedAt)
	if notModified(req.Params.IfNoneMatch, tag) {
		return api.GetTask304Response{Headers: api.NotModifiedResponseHeaders{ETag: tag}}, nil
	}
	return api.GetTask200JSONResponse{Body: toTask(t), Headers: api.GetTask200ResponseHeaders{ETag: tag}}, nil
}

// UpdateTask changes, completes, reopens or reassigns a task.
func (s *Server) UpdateTask(ctx context.Context, req api.UpdateTaskRequestObject) (api.UpdateTaskResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	t, err := s.crm.UpdateTask(ctx, m, req.TaskId, crm.TaskPatch{
		Title: patch.FromPtr(b.Title), Description: fromNullable(b.Description),
		DueDate: patch.Map(fromNullable(b.DueDate), func(d openapi_types.Date) time.Time { return d.Time }),
		IsDone:  patch.FromPtr(b.IsDone), OwnerID: patch.FromPtr(b.OwnerId),
	}, ifMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	return api.UpdateTask200JSONResponse{Body: toTask(t), Headers: api.UpdateTask200ResponseHeaders{ETag: etag(t.ID, t.UpdatedAt)}}, nil
}

// DeleteTask deletes a task.
func (s *Server) DeleteTask(ctx context.Context, req api.DeleteTaskRequestObject) (api.DeleteTaskResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.crm.DeleteTask(ctx, m, req.TaskId, ifMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteTask204Response{}, nil
}

func toTask(t crm.Task) api.Task {
	return api.Task{
		Id: t.ID, DealId: t.DealID, OwnerId: t.OwnerID, Title: t.Title, IsDone: t.IsDone,
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
		Description: t.Description, DueDate: calendarDate(t.DueDate), CompletedAt: utcTime(t.CompletedAt),
	}
}

// fromDate is the calendar date d as a time (midnight UTC), or nil.
func fromDate(d *openapi_types.Date) *time.Time {
	if d == nil {
		return nil
	}
	t := d.Time
	return &t
}
