package httpapi

import (
	"context"
	"time"

	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
)

// GetHealthz answers while the process is alive.
func (s *Server) GetHealthz(context.Context, api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: "ok"}, nil
}

// GetReadyz answers 200 only when the database answers.
func (s *Server) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.ready.Ping(ctx); err != nil {
		return nil, apperr.ErrUnavailable
	}
	return api.GetReadyz200JSONResponse{Status: "ok"}, nil
}
