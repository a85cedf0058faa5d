package httpapi

import (
	"github.com/labstack/echo/v4"
)

// inFlight bounds the requests acting in an organization that are being worked on at once; the
// others wait for a slot, first come first served as far as the runtime's channel queue goes,
// before their body is read or validated. Past the database pool, more requests at once only
// wait for a connection while holding their memory (a validated body, a decoded page, buffers):
// under a burst the service's memory follows this bound instead of the number of open
// connections. A wait ends with the request's deadline (503 timeout) or when the client goes.
func inFlight(g *guards, n int) echo.MiddlewareFunc {
	slots := make(chan struct{}, n)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !g.inOrganization(c.Request().Method, c.Path()) {
				return next(c)
			}
			ctx := c.Request().Context()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return errTimeout.WithCause(ctx.Err())
			}
			defer func() { <-slots }()
			return next(c)
		}
	}
}
