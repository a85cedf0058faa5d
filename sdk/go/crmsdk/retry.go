package crmsdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// RetryPolicy says how often and how long the Client retries a request that failed for a
// transient reason; see [WithRetry]. Its zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts of one request, the first included (default 3);
	// 1 turns retries off.
	MaxAttempts int
	// BaseDelay is the wait before the first retry (default 200ms); it doubles with every further
	// retry, with jitter: each wait is between half of it and all of it.
	BaseDelay time.Duration
	// MaxDelay caps every wait (default 10s). A Retry-After longer than MaxDelay is not waited
	// for: the answer (429 or 503) is returned as it is.
	MaxDelay time.Duration
}

// Default retry policy.
const (
	DefaultMaxAttempts = 3
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxDelay    = 10 * time.Second
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.BaseDelay > p.MaxDelay {
		p.BaseDelay = p.MaxDelay
	}
	return p
}

// WithRetry sets the retry policy (zero fields keep their defaults). By default a request is sent
// up to 3 times. The Client retries:
//
//   - answers 429 (rate_limited) and 503 (service_unavailable, timeout), after Retry-After when
//     the answer has one (up to MaxDelay), after an exponential backoff with jitter otherwise;
//   - answers 409 idempotency_key_in_use (the first request with this key is still running);
//   - transport errors (connection refused or reset, an answer lost on the way back, ...),
//
// and only requests that can be sent twice without doing twice what they do:
//
//   - GET, HEAD and OPTIONS;
//   - POST with an Idempotency-Key (every authenticated POST has one unless
//     [WithoutIdempotencyKeys]): the server runs the request once and answers a retry with the
//     stored answer (Idempotent-Replayed: true);
//   - PATCH, PUT and DELETE with an If-Match naming an entity tag (not "*"): the server applies
//     the change only while the object still has that tag, and the change gives it a new one, so a
//     retry of a request that did take effect cannot take effect again: it is answered
//     412 precondition_failed (or 404 after a DELETE). A 412 after a retry may thus mean that your
//     own first attempt succeeded: read the object again.
//
// Nothing else is retried: not a PATCH or DELETE without If-Match (last write wins, and the first
// attempt may have been applied), not a POST without a key, and never another 4xx (422
// idempotency_key_mismatch included) or 5xx. Waiting between attempts ends when the request's
// context is done, with its error. The request body is re-sent as it was (the same bytes, which a
// replayed idempotent request needs).
func WithRetry(p RetryPolicy) Option {
	return func(s *settings) { s.retry = p }
}

// WithoutRetries turns the retries of [WithRetry] off: every request is sent once (the single
// retry after a token refresh stays).
func WithoutRetries() Option {
	return func(s *settings) { s.retry = RetryPolicy{MaxAttempts: 1} }
}

// WithoutIdempotencyKeys stops the Client from sending a fresh Idempotency-Key with every
// authenticated POST that has none. Such POSTs are then never retried; a key set with
// [IdempotencyKey] is still sent (and makes the POST retryable).
func WithoutIdempotencyKeys() Option {
	return func(s *settings) { s.noKeys = true }
}

// retryTransport adds the Idempotency-Key and retries; see [WithRetry].
type retryTransport struct {
	c    *Client
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never modifies req.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	if !c.sameOrigin(req.URL) {
		return t.next.RoundTrip(req)
	}
	out := req
	if c.autoKeys && req.Method == http.MethodPost && req.Header.Get(IdempotencyKeyHeader) == "" && c.ownsURL(req.URL) {
		out = req.Clone(req.Context())
		out.Header.Set(IdempotencyKeyHeader, uuid.NewString())
	}
	p := c.retry
	if p.MaxAttempts <= 1 || !c.retrySafe(out) {
		return t.next.RoundTrip(out)
	}
	if out.Body != nil && out.Body != http.NoBody && out.GetBody == nil {
		b, err := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("crmsdk: buffer request body: %w", err)
		}
		if out == req {
			out = req.Clone(req.Context())
		}
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		try := out
		if attempt > 1 {
			try = out.Clone(ctx)
			if out.GetBody != nil {
				if try.Body = replay(out); try.Body == nil {
					return nil, fmt.Errorf("crmsdk: retry %s %s: the body cannot be sent again", out.Method, out.URL.Redacted())
				}
			}
		}
		resp, err := t.next.RoundTrip(try)
		if attempt >= p.MaxAttempts || ctx.Err() != nil {
			return resp, err
		}
		wait, again := p.retryAfter(resp, err, attempt)
		if !again {
			return resp, err
		}
		if resp != nil {
			discard(resp)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retrySafe reports whether req may be sent again after an attempt whose outcome is unknown; see
// [WithRetry].
func (c *Client) retrySafe(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodPost:
		return req.Header.Get(IdempotencyKeyHeader) != "" && c.ownsURL(req.URL)
	case http.MethodPatch, http.MethodPut, http.MethodDelete:
		m := strings.TrimSpace(req.Header.Get(IfMatchHeader))
		return m != "" && m != "*"
	}
	return false
}

// retryAfter decides whether an attempt that answered resp or failed with err is retried, and
// after how long. resp's body stays readable.
func (p RetryPolicy) retryAfter(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		return p.backoff(attempt), true
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
	case http.StatusConflict:
		if problemCode(resp) != CodeIdempotencyKeyInUse {
			return 0, false
		}
	default:
		return 0, false
	}
	wait := p.backoff(attempt)
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		if ra > p.MaxDelay {
			return 0, false // longer than the caller is willing to wait: the answer stands
		}
		wait = max(wait, ra)
	}
	return wait, true
}

// backoff is the wait before retry number attempt (1 for the first): BaseDelay doubled per
// retry, capped at MaxDelay, between half of it and all of it.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.MaxDelay
	if shift := attempt - 1; shift < 30 && p.BaseDelay<<shift < p.MaxDelay {
		d = p.BaseDelay << shift
	}
	half := d / 2
	return half + rand.N(d-half+1) //nolint:gosec // jitter, not a secret
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// problemCode returns the code of a problem answer, "" for anything else. It reads (a bounded
// part of) the body and puts it back, so that the body stays readable.
func problemCode(resp *http.Response) string {
	if resp.Body == nil {
		return ""
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return ""
	}
	var p struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(head, &p) != nil {
		return ""
	}
	return p.Code
}

// sleep waits for d, or until ctx is done (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
