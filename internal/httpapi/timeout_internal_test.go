package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"

	"github.com/minicrm/crm/internal/apperr"
)

// requestContext turns whatever a handler's failure became once the request's own deadline passed
// into 503 timeout; a client error found in time, a client that left, and a deadline that has not
// passed keep their own answer.
func TestTimeoutContext_OwnDeadlineBecomesTimeout(t *testing.T) {
	t.Parallel()
	waitThen := func(err func(ctx context.Context) error) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			<-ctx.Done()
			return err(ctx)
		}
	}
	cases := []struct {
		name    string
		handler echo.HandlerFunc
		cancel  bool // the client goes away before the deadline
		want    string
	}{
		{"context error", waitThen(func(ctx context.Context) error { return fmt.Errorf("query: %w", ctx.Err()) }), false, "timeout"},
		{"unavailable", waitThen(func(ctx context.Context) error { return apperr.ErrUnavailable.WithCause(ctx.Err()) }), false, "timeout"},
		{"internal", waitThen(func(context.Context) error { return errors.New("conn closed") }), false, "timeout"},
		{"client error found in time", waitThen(func(context.Context) error { return apperr.ErrNotFound }), false, "not_found"},
		{"client went away", waitThen(func(ctx context.Context) error { return ctx.Err() }), true, "internal_error"},
		{"no deadline reached", func(echo.Context) error { return apperr.ErrUnavailable }, false, "service_unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
			e := echo.New()
			ec := e.NewContext(req, httptest.NewRecorder())
			if c.cancel {
				cancel()
			}
			err := requestContext(50 * time.Millisecond)(c.handler)(ec)
			got := clientError(err)
			assert.Equal(t, c.want, got.Code)
			if c.want == "timeout" {
				assert.Equal(t, http.StatusServiceUnavailable, statusOf[got.Kind])
				assert.Positive(t, got.RetryAfter)
			}
		})
	}
}
