package httpapi

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/gen/api"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specGuards are the guards of the embedded spec.
func specGuards(t *testing.T) *guards {
	t.Helper()
	spec, err := api.GetSpec()
	require.NoError(t, err)
	g, err := operationGuards(spec)
	require.NoError(t, err)
	return g
}

// Past the bound a request acting in an organization waits for a slot; its wait ends with its
// deadline; requests outside organizations do not wait.
func TestInFlight_RequestsPastTheBoundWaitForASlot(t *testing.T) {
	e := echo.New()
	queue := inFlight(specGuards(t), 1, 10)

	release := make(chan struct{})
	running := make(chan string, 3)
	handler := queue(func(c echo.Context) error {
		running <- c.Request().Header.Get("X-Name")
		<-release
		return nil
	})
	serve := func(ctx context.Context, path, name string) chan error {
		done := make(chan error, 1)
		go func() {
			req := httptest.NewRequestWithContext(ctx, "GET", path, nil)
			req.Header.Set("X-Name", name)
			c := e.NewContext(req, httptest.NewRecorder())
			c.SetPath(path)
			done <- handler(c)
		}()
		return done
	}

	first := serve(context.Background(), "/api/v1/contacts", "first")
	require.Equal(t, "first", <-running)

	second := serve(context.Background(), "/api/v1/contacts", "second")
	select {
	case name := <-running:
		t.Fatalf("%s ran while the only slot was taken", name)
	case <-time.After(50 * time.Millisecond):
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := <-serve(ctx, "/api/v1/deals", "late")
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, "timeout", ae.Code, "a wait past the request's deadline")

	outside := serve(context.Background(), "/api/v1/auth/me", "outside")
	assert.Equal(t, "outside", <-running, "a request outside organizations does not queue")

	release <- struct{}{} // first ends (or outside; either frees what it holds)
	release <- struct{}{}
	assert.Equal(t, "second", <-running, "the waiting request gets the freed slot")
	close(release)
	for _, done := range []chan error{first, second, outside} {
		assert.NoError(t, <-done)
	}
}

// A panic in the work reaches the connection's goroutine, where the recover middleware is, and
// frees the slot.
func TestInFlight_APanicComesBackAndFreesTheSlot(t *testing.T) {
	e := echo.New()
	queue := inFlight(specGuards(t), 1, 10)
	boom := queue(func(echo.Context) error { panic("boom") })
	ok := queue(func(echo.Context) error { return nil })
	ctx := func() echo.Context {
		c := e.NewContext(httptest.NewRequest("GET", "/api/v1/contacts", nil), httptest.NewRecorder())
		c.SetPath("/api/v1/contacts")
		return c
	}
	assert.PanicsWithValue(t, "boom", func() { _ = boom(ctx()) })
	done := make(chan error, 1)
	go func() { done <- ok(ctx()) }()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the slot of the request that panicked was not freed")
	}
}

// Past the queue's bound a request is answered 503 at once, with Retry-After; a place in the
// queue frees when its request gets its slot.
func TestInFlight_PastTheQueueARequestIsAnsweredAtOnce(t *testing.T) {
	e := echo.New()
	q := newInFlightQueue(specGuards(t), 1, 1)
	release := make(chan struct{})
	running := make(chan struct{}, 3)
	handler := q.middleware(func(echo.Context) error {
		running <- struct{}{}
		<-release
		return nil
	})
	serve := func() chan error {
		done := make(chan error, 1)
		go func() {
			c := e.NewContext(httptest.NewRequest("GET", "/api/v1/contacts", nil), httptest.NewRecorder())
			c.SetPath("/api/v1/contacts")
			done <- handler(c)
		}()
		return done
	}
	first := serve()
	<-running
	second := serve()
	require.Eventually(t, func() bool { return q.waiting.Load() == 1 }, 5*time.Second, time.Millisecond, "the second waits")

	ae, ok := apperr.As(<-serve())
	require.True(t, ok)
	assert.Equal(t, "service_unavailable", ae.Code, "a third, past the queue")
	assert.Positive(t, ae.RetryAfter)

	release <- struct{}{}
	<-running // the second got the slot: its place in the queue is free again
	assert.Equal(t, int64(0), q.waiting.Load())
	third := serve()
	require.Eventually(t, func() bool { return q.waiting.Load() == 1 }, 5*time.Second, time.Millisecond, "the third waits now")
	close(release)
	for _, done := range []chan error{first, second, third} {
		assert.NoError(t, <-done)
	}
}
