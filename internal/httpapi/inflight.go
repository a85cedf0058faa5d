package httpapi

import (
	"github.com/labstack/echo/v4"
)

// inFlight bounds the requests acting in an organization that are being worked on at once; the
// others wait for a slot, first come first served as far as the runtime's channel queue goes,
// before their body is read or validated. A wait ends with the request's deadline (503 timeout)
// or when the client goes.
//
// The bound is on memory more than on work: past the database pool, more requests at once only
// wait for a connection. The work after the slot (validation, the handler, the JSON) runs on a
// goroutine of its own, which ends with it: the deep stack that work grows is given back at once,
// instead of staying with the connection's goroutine for as long as the client keeps the
// connection open. Under a burst of thousands of connections, memory then follows this bound.
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
			done := make(chan outcome, 1)
			go func() {
				defer func() { <-slots }()
				defer func() {
					if p := recover(); p != nil {
						done <- outcome{panicked: true, value: p}
					}
				}()
				done <- outcome{err: next(c)}
			}()
			o := <-done
			if o.panicked {
				panic(o.value) // on the connection's goroutine, where the recover middleware answers it
			}
			return o.err
		}
	}
}

// outcome is how the work of a request ended: its error, or the value it panicked with.
type outcome struct {
	err      error
	panicked bool
	value    any
}
