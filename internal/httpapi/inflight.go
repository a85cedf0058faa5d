package httpapi

import (
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// inFlight bounds the requests acting in an organization that are being worked on at once (n);
// the others wait for a slot, first come first served as far as the runtime's channel queue goes,
// before their body is read or validated. A wait ends with the request's deadline (503 timeout)
// or when the client goes. At most queued requests wait: past that the service is behind by more
// than it can catch up on soon, and a request is answered 503 service_unavailable with
// Retry-After at once, instead of holding its memory and its connection while it waits behind
// them (the SDKs retry it after Retry-After).
//
// The bound is on memory more than on work: past the database pool, more requests at once only
// wait for a connection. The work after the slot (validation, the handler, the JSON) runs on a
// goroutine of its own, which ends with it: the deep stack that work grows is given back at once,
// instead of staying with the connection's goroutine for as long as the client keeps the
// connection open. Under a burst of thousands of connections, memory then follows these bounds.
func inFlight(g *guards, n, queued int) echo.MiddlewareFunc {
	return newInFlightQueue(g, n, queued).middleware
}

type inFlightQueue struct {
	guards  *guards
	slots   chan struct{}
	queued  int64
	waiting atomic.Int64
}

func newInFlightQueue(g *guards, n, queued int) *inFlightQueue {
	return &inFlightQueue{guards: g, slots: make(chan struct{}, n), queued: int64(queued)}
}

func (q *inFlightQueue) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	slots := q.slots
	return func(c echo.Context) error {
		if !q.guards.inOrganization(c.Request().Method, c.Path()) {
			return next(c)
		}
		ctx := c.Request().Context()
		select {
		case slots <- struct{}{}:
		default:
			if q.waiting.Add(1) > q.queued {
				q.waiting.Add(-1)
				return errQueueFull
			}
			select {
			case slots <- struct{}{}:
				q.waiting.Add(-1)
			case <-ctx.Done():
				q.waiting.Add(-1)
				return errTimeout.WithCause(ctx.Err())
			}
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

// outcome is how the work of a request ended: its error, or the value it panicked with.
type outcome struct {
	err      error
	panicked bool
	value    any
}
