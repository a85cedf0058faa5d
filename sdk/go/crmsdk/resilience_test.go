package crmsdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastRetry keeps the backoff of the tests short.
var fastRetry = crmsdk.WithRetry(crmsdk.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second})

// sent is one request as it reached the network.
type sent struct {
	Method, Path, Key, IfMatch string
	Body                       string
}

// lossy sends every request to the real service, and for the first `drop` requests matching
// (method, path) throws the answer away once the server has answered, replacing it by a network
// error (fake503 false) or by a 503 with Retry-After: 0 (fake503 true).
type lossy struct {
	next         http.RoundTripper
	method, path string
	drop         int
	fake503      bool

	mu   sync.Mutex
	sent []sent
}

func (l *lossy) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := l.next.RoundTrip(req)
	l.mu.Lock()
	l.sent = append(l.sent, sent{req.Method, req.URL.Path, req.Header.Get(crmsdk.IdempotencyKeyHeader), req.Header.Get(crmsdk.IfMatchHeader), string(body)})
	lose := err == nil && req.Method == l.method && req.URL.Path == l.path && l.drop > 0
	if lose {
		l.drop--
	}
	l.mu.Unlock()
	if !lose {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if l.fake503 {
		return problemResponse(req, http.StatusServiceUnavailable, "service_unavailable", "0"), nil
	}
	return nil, errors.New("read: connection reset by peer (simulated, after the server answered)")
}

func (l *lossy) requests(method, path string) []sent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sent
	for _, s := range l.sent {
		if s.Method == method && s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

func problemResponse(req *http.Request, status int, code, retryAfter string) *http.Response {
	h := http.Header{"Content-Type": {"application/problem+json"}}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	body := fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"code":%q}`, http.StatusText(status), status, code)
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Header: h,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// lossyOwner registers an owner through l and selects their organization.
func lossyOwner(t *testing.T, app *apptest.App, l *lossy, opts ...crmsdk.Option) *crmsdk.Client {
	t.Helper()
	hc := &http.Client{Transport: l, Timeout: 30 * time.Second}
	c, err := crmsdk.New(app.URL, append([]crmsdk.Option{crmsdk.WithHTTPClient(hc), fastRetry}, opts...)...)
	require.NoError(t, err)
	res, err := c.Register(t.Context(), client.RegisterRequest{Email: uniqueEmail("ida"), Password: password, Name: "Ida", OrganizationName: "Lossy"})
	require.NoError(t, err)
	c.SetOrganization(res.Organization.Id)
	return c
}

func countContacts(t *testing.T, c *crmsdk.Client) int {
	t.Helper()
	n := 0
	for _, err := range c.Contacts.All(t.Context(), nil) {
		require.NoError(t, err)
		n++
	}
	return n
}

// TestIdempotency_RetriedPOSTDoesNotDuplicate: the answer to a POST is lost after the server
// created the contact (a network error, or a 503 in its place); the SDK retries with the same
// Idempotency-Key and gets the stored answer: one contact, not two.
func TestIdempotency_RetriedPOSTDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	for _, fake503 := range []bool{false, true} {
		t.Run(fmt.Sprintf("fake503=%v", fake503), func(t *testing.T) {
			l := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: "/api/v1/contacts", drop: 1, fake503: fake503}
			c := lossyOwner(t, app, l)

			res, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Charles Babbage"}))
			require.NoError(t, err)
			require.Equal(t, http.StatusCreated, res.StatusCode())
			assert.True(t, crmsdk.Replayed(res), "the retry is answered from the stored answer")
			assert.NotEmpty(t, crmsdk.ETag(res))

			posts := l.requests(http.MethodPost, "/api/v1/contacts")
			require.Len(t, posts, 2)
			assert.NotEmpty(t, posts[0].Key)
			assert.Equal(t, posts[0].Key, posts[1].Key, "the retry carries the same key")
			assert.Equal(t, posts[0].Body, posts[1].Body, "and the same body")
			assert.Equal(t, 1, countContacts(t, c))

			// The next call gets a key of its own.
			_, err = crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Ada Lovelace"}))
			require.NoError(t, err)
			posts = l.requests(http.MethodPost, "/api/v1/contacts")
			require.Len(t, posts, 3)
			assert.NotEqual(t, posts[0].Key, posts[2].Key)
			assert.Equal(t, 2, countContacts(t, c))
		})
	}
}

// TestIdempotency_CallerKeyWins: a key of the caller's is sent as it is, and the same key with
// another body is 422 idempotency_key_mismatch, not retried.
func TestIdempotency_CallerKeyWins(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport}
	c := lossyOwner(t, app, l)
	key := "order-" + uuid.NewString()

	_, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Grace Hopper"}, crmsdk.IdempotencyKey(key)))
	require.NoError(t, err)
	res, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Grace Hopper"}, crmsdk.IdempotencyKey(key)))
	require.NoError(t, err)
	assert.True(t, crmsdk.Replayed(res))

	_, err = crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Someone else"}, crmsdk.IdempotencyKey(key)))
	require.ErrorIs(t, err, crmsdk.ErrIdempotencyKeyMismatch)
	assert.Equal(t, http.StatusUnprocessableEntity, problemOf(t, err).Status)

	posts := l.requests(http.MethodPost, "/api/v1/contacts")
	require.Len(t, posts, 3, "the 422 is not retried")
	for _, p := range posts {
		assert.Equal(t, key, p.Key)
	}
	assert.Equal(t, 1, countContacts(t, c))
}

// TestIdempotency_WithoutKeys: with the default keys off, a POST is sent once without a key, and
// a lost answer is the caller's error (the contact was created all the same).
func TestIdempotency_WithoutKeys(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport, method: http.MethodPost, path: "/api/v1/contacts", drop: 1}
	c := lossyOwner(t, app, l, crmsdk.WithoutIdempotencyKeys())

	_, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "Charles Babbage"}))
	require.Error(t, err)
	posts := l.requests(http.MethodPost, "/api/v1/contacts")
	require.Len(t, posts, 1, "a POST without a key is never retried")
	assert.Empty(t, posts[0].Key)
	assert.Equal(t, 1, countContacts(t, c))
}

// TestConcurrency_ETags: ETag on create, GET and PATCH; If-Match with a stale tag is 412
// precondition_failed carrying the current tag; If-None-Match answers 304, which is not an error.
func TestConcurrency_ETags(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport}
	c := lossyOwner(t, app, l)

	created, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage"}))
	require.NoError(t, err)
	id, etag0 := created.JSON201.Id, crmsdk.ETag(created)
	require.NotEmpty(t, etag0)

	got, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id))
	require.NoError(t, err)
	assert.Equal(t, etag0, crmsdk.ETag(got))

	// If-None-Match with the current tag: 304, no body, the tag kept; not an error.
	same, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id, crmsdk.IfNoneMatch(etag0)))
	require.NoError(t, err)
	assert.True(t, crmsdk.NotModified(same))
	assert.Nil(t, same.JSON200)
	assert.Equal(t, etag0, crmsdk.ETag(same))

	name := "Charles Babbage FRS"
	upd, err := crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &name}, crmsdk.IfMatch(etag0)))
	require.NoError(t, err)
	etag1 := crmsdk.ETag(upd)
	require.NotEmpty(t, etag1)
	assert.NotEqual(t, etag0, etag1)

	// A writer still holding etag0 is refused and learns the current tag.
	other := "Lord Byron"
	_, err = crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &other}, crmsdk.IfMatch(etag0)))
	require.ErrorIs(t, err, crmsdk.ErrPreconditionFailed)
	pe := problemOf(t, err)
	assert.Equal(t, http.StatusPreconditionFailed, pe.Status)
	assert.Equal(t, crmsdk.CodePreconditionFailed, pe.Code())
	assert.True(t, crmsdk.IsProblem(err, "precondition_failed"))
	assert.Equal(t, etag1, pe.ETag())
	assert.Equal(t, etag1, crmsdk.ETag(err))
	assert.False(t, errors.Is(err, crmsdk.ErrNotFound))

	_, err = crmsdk.Ok(c.DeleteContactWithResponse(ctx, id, crmsdk.IfMatch(etag0)))
	require.ErrorIs(t, err, crmsdk.ErrPreconditionFailed)

	// If-None-Match with an old tag: the current object.
	fresh, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id, crmsdk.IfNoneMatch(etag0)))
	require.NoError(t, err)
	assert.False(t, crmsdk.NotModified(fresh))
	require.NotNil(t, fresh.JSON200)
	assert.Equal(t, name, fresh.JSON200.Name)

	patches := l.requests(http.MethodPatch, "/api/v1/contacts/"+id.String())
	require.Len(t, patches, 2, "a 412 is not retried")
	assert.Equal(t, etag0, patches[1].IfMatch)

	_, err = crmsdk.Ok(c.DeleteContactWithResponse(ctx, id, crmsdk.IfMatch(etag1)))
	require.NoError(t, err)
	assert.Equal(t, 0, countContacts(t, c))
}

// TestConcurrency_PATCHRetries: a lost answer to a PATCH with If-Match is retried;
// the retry of the change that did take effect is answered 412 with the tag the change gave
// (never applied twice). Without If-Match the PATCH is not retried.
func TestConcurrency_PATCHRetries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	l := &lossy{next: app.HTTP.Transport}
	c := lossyOwner(t, app, l)
	created, err := crmsdk.Ok(c.CreateContactWithResponse(ctx, client.ContactCreate{Name: "Charles Babbage"}))
	require.NoError(t, err)
	id := created.JSON201.Id
	path := "/api/v1/contacts/" + id.String()

	l.mu.Lock()
	l.method, l.path, l.drop = http.MethodPatch, path, 1
	l.mu.Unlock()
	name := "without If-Match"
	_, err = crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &name}))
	require.Error(t, err)
	require.Len(t, l.requests(http.MethodPatch, path), 1, "a PATCH without If-Match is not retried")

	got, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id))
	require.NoError(t, err)
	assert.Equal(t, name, got.JSON200.Name, "the lost PATCH took effect")

	l.mu.Lock()
	l.drop, l.fake503 = 1, true
	l.mu.Unlock()
	name = "with If-Match"
	_, err = crmsdk.Ok(c.UpdateContactWithResponse(ctx, id, client.ContactUpdate{Name: &name}, crmsdk.IfMatch(crmsdk.ETag(got))))
	require.ErrorIs(t, err, crmsdk.ErrPreconditionFailed, "the retry finds the change made")
	current := problemOf(t, err).ETag()
	require.Len(t, l.requests(http.MethodPatch, path), 3)
	now, err := crmsdk.Ok(c.GetContactWithResponse(ctx, id))
	require.NoError(t, err)
	assert.Equal(t, name, now.JSON200.Name)
	assert.Equal(t, crmsdk.ETag(now), current)
}

// script is a fake network: answer(n, req) answers the n-th request (from 0).
type script struct {
	answer func(n int, req *http.Request) (*http.Response, error)

	mu   sync.Mutex
	reqs []sent
	at   []time.Time
}

func (s *script) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, sent{req.Method, req.URL.Path, req.Header.Get(crmsdk.IdempotencyKeyHeader), req.Header.Get(crmsdk.IfMatchHeader), string(body)})
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	return s.answer(n, req)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

func okJSON(req *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

const fakeBase = "https://crm.test"

func scriptedClient(t *testing.T, s *script, opts ...crmsdk.Option) *crmsdk.Client {
	t.Helper()
	c, err := crmsdk.New(fakeBase, append([]crmsdk.Option{
		crmsdk.WithHTTPClient(&http.Client{Transport: s}), crmsdk.WithTokens("access", "refresh"), fastRetry,
	}, opts...)...)
	require.NoError(t, err)
	return c
}

// failing answers the first n requests with status (and code, Retry-After), then ok.
func failing(n, status int, code, retryAfter string, ok func(req *http.Request) *http.Response) func(int, *http.Request) (*http.Response, error) {
	return func(i int, req *http.Request) (*http.Response, error) {
		if i < n {
			return problemResponse(req, status, code, retryAfter), nil
		}
		return ok(req), nil
	}
}

func meOK(req *http.Request) *http.Response {
	return okJSON(req, http.StatusOK, fmt.Sprintf(`{"user":{"id":%q,"email":"ada@example.com","name":"Ada","created_at":"2026-01-01T00:00:00Z"},"memberships":[]}`, uuid.NewString()))
}

func TestRetry_429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s := &script{answer: failing(1, http.StatusTooManyRequests, "rate_limited", "1", meOK)}
	c := scriptedClient(t, s)
	start := time.Now()
	res, err := crmsdk.Ok(c.GetMeWithResponse(t.Context()))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode())
	assert.Equal(t, 2, s.count())
	assert.GreaterOrEqual(t, s.at[1].Sub(start), 900*time.Millisecond, "waited for Retry-After: 1")
}

func TestRetry_GivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	s := &script{answer: failing(100, http.StatusServiceUnavailable, "service_unavailable", "", meOK)}
	_, err := crmsdk.Ok(scriptedClient(t, s).GetMeWithResponse(t.Context()))
	assert.Equal(t, crmsdk.CodeServiceUnavailable, problemOf(t, err).Code())
	assert.Equal(t, crmsdk.DefaultMaxAttempts, s.count())

	s = &script{answer: failing(100, http.StatusServiceUnavailable, "service_unavailable", "", meOK)}
	_, err = crmsdk.Ok(scriptedClient(t, s, crmsdk.WithRetry(crmsdk.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond})).GetMeWithResponse(t.Context()))
	require.Error(t, err)
	assert.Equal(t, 5, s.count())

	s = &script{answer: failing(100, http.StatusServiceUnavailable, "service_unavailable", "", meOK)}
	_, err = crmsdk.Ok(scriptedClient(t, s, crmsdk.WithoutRetries()).GetMeWithResponse(t.Context()))
	require.Error(t, err)
	assert.Equal(t, 1, s.count())
}

func TestRetry_LongRetryAfterIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	s := &script{answer: failing(1, http.StatusTooManyRequests, "rate_limited", "60", meOK)}
	_, err := crmsdk.Ok(scriptedClient(t, s).GetMeWithResponse(t.Context()))
	require.ErrorIs(t, err, crmsdk.ErrRateLimited)
	wait, ok := problemOf(t, err).RetryAfter()
	assert.True(t, ok)
	assert.Equal(t, time.Minute, wait)
	assert.Equal(t, 1, s.count())
}

func TestRetry_NetworkErrorOnGET(t *testing.T) {
	t.Parallel()
	s := &script{answer: func(n int, req *http.Request) (*http.Response, error) {
		if n == 0 {
			return nil, errors.New("connection refused (simulated)")
		}
		return meOK(req), nil
	}}
	_, err := crmsdk.Ok(scriptedClient(t, s).GetMeWithResponse(t.Context()))
	require.NoError(t, err)
	assert.Equal(t, 2, s.count())
}

func TestRetry_IdempotencyKeyInUseRetriedWithSameKey(t *testing.T) {
	t.Parallel()
	org := uuid.New()
	contact := fmt.Sprintf(`{"id":%q,"organization_id":%q,"owner_id":%q,"name":"C","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, uuid.NewString(), org, uuid.NewString())
	s := &script{answer: failing(1, http.StatusConflict, "idempotency_key_in_use", "0", func(req *http.Request) *http.Response {
		return okJSON(req, http.StatusCreated, contact)
	})}
	c := scriptedClient(t, s, crmsdk.WithOrganization(org))
	res, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "C"}))
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.StatusCode())
	require.Equal(t, 2, s.count())
	assert.NotEmpty(t, s.reqs[0].Key)
	assert.Equal(t, s.reqs[0].Key, s.reqs[1].Key)
	assert.JSONEq(t, `{"name":"C"}`, s.reqs[1].Body)
}

// TestRetry_NotRetried: what must never be sent twice, and 4xx answers other than 409 in use.
func TestRetry_NotRetried(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	name := "x"
	cases := []struct {
		name   string
		status int
		code   string
		call   func(c *crmsdk.Client) error
	}{
		{"PATCH without If-Match, 503", http.StatusServiceUnavailable, "service_unavailable", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.UpdateContactWithResponse(t.Context(), id, client.ContactUpdate{Name: &name}))
			return err
		}},
		{"DELETE without If-Match, 503", http.StatusServiceUnavailable, "service_unavailable", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.DeleteContactWithResponse(t.Context(), id))
			return err
		}},
		{"PATCH with If-Match: *, 503", http.StatusServiceUnavailable, "service_unavailable", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.UpdateContactWithResponse(t.Context(), id, client.ContactUpdate{Name: &name}, crmsdk.IfMatch("*")))
			return err
		}},
		{"POST, 422 mismatch", http.StatusUnprocessableEntity, "idempotency_key_mismatch", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "C"}))
			return err
		}},
		{"POST, 409 other conflict", http.StatusConflict, "contact_email_taken", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: "C"}))
			return err
		}},
		{"GET, 500", http.StatusInternalServerError, "internal", func(c *crmsdk.Client) error {
			_, err := crmsdk.Ok(c.GetMeWithResponse(t.Context()))
			return err
		}},
		{"login (public POST without key), 503", http.StatusServiceUnavailable, "service_unavailable", func(c *crmsdk.Client) error {
			_, err := c.Login(t.Context(), "ada@example.com", password)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &script{answer: failing(100, tc.status, tc.code, "0", meOK)}
			err := tc.call(scriptedClient(t, s))
			assert.Equal(t, tc.code, problemOf(t, err).Code())
			assert.Equal(t, 1, s.count())
		})
	}

	t.Run("PATCH with If-Match, 503: retried", func(t *testing.T) {
		t.Parallel()
		s := &script{answer: failing(100, http.StatusServiceUnavailable, "service_unavailable", "0", meOK)}
		_, err := crmsdk.Ok(scriptedClient(t, s).UpdateContactWithResponse(t.Context(), id, client.ContactUpdate{Name: &name}, crmsdk.IfMatch(`"abc"`)))
		require.Error(t, err)
		assert.Equal(t, crmsdk.DefaultMaxAttempts, s.count())
		for _, r := range s.reqs {
			assert.JSONEq(t, `{"name":"x"}`, r.Body, "the body is sent again")
		}
	})
}

// TestRetry_ContextEndsTheWait: a canceled context ends the wait between attempts at once.
func TestRetry_ContextEndsTheWait(t *testing.T) {
	t.Parallel()
	s := &script{answer: failing(100, http.StatusServiceUnavailable, "service_unavailable", "", meOK)}
	c := scriptedClient(t, s, crmsdk.WithRetry(crmsdk.RetryPolicy{BaseDelay: 5 * time.Second, MaxDelay: 5 * time.Second}))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetMeWithResponse(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, 1, s.count())
}
