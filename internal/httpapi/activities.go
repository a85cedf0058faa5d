package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/crm"
	"github.com/minicrm/crm/internal/tenancy"
)

// ListActivities lists a page of a deal's timeline, newest first.
func (s *Server) ListActivities(ctx context.Context, req api.ListActivitiesRequestObject) (api.ListActivitiesResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.pageRequest(ctx, req.Params.Page, req.Params.PageSize, req.Params.Cursor)
	if err != nil {
		return nil, err
	}
	res, err := s.crm.ListActivities(ctx, m, req.DealId, (*string)(req.Params.Type), page)
	if err != nil {
		return nil, err
	}
	out := api.ListActivities200JSONResponse{Items: make([]api.Activity, len(res.Items)), Total: res.Total, Page: res.Page, PageSize: res.PageSize, NextCursor: nextCursor(s, ctx, res)}
	for i, a := range res.Items {
		if out.Items[i], err = toActivity(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateActivity posts a comment to a deal's timeline.
func (s *Server) CreateActivity(ctx context.Context, req api.CreateActivityRequestObject) (api.CreateActivityResponseObject, error) {
	m, err := tenancy.MembershipFrom(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.crm.AddComment(ctx, m, req.DealId, string(req.Body.Type), req.Body.Payload.Text)
	if err != nil {
		return nil, err
	}
	out, err := toActivity(a)
	if err != nil {
		return nil, err
	}
	return api.CreateActivity201JSONResponse{Body: out}, nil
}

func toActivity(a crm.Activity) (api.Activity, error) {
	// json.Number keeps numbers (money amounts) exactly as they were written.
	var payload map[string]interface{}
	if len(a.Payload) > 0 {
		dec := json.NewDecoder(bytes.NewReader(a.Payload))
		dec.UseNumber()
		if err := dec.Decode(&payload); err != nil {
			return api.Activity{}, fmt.Errorf("decode payload of activity %s: %w", a.ID, err)
		}
	}
	if payload == nil {
		payload = map[string]interface{}{}
	}
	return api.Activity{
		Id: a.ID, DealId: a.DealID, AuthorId: a.AuthorID, Type: api.ActivityType(a.Type),
		Payload: payload, CreatedAt: a.CreatedAt.UTC(),
	}, nil
}
