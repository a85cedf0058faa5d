package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/internal/idempotency"
	"github.com/minicrm/crm/internal/tenancy"
)

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
)

// unreplayable are the authenticated POSTs that ignore Idempotency-Key (echo routes): their answer
// carries a secret the database must not keep (an invitation's token, of which only the hash is
// stored), so it cannot be stored for a replay. Each is safe to retry without a key: an invitation
// sent again replaces the previous one, and the token of the last answer is the one that works.
var unreplayable = map[string]bool{
	"/api/v1/organizations/:organization_id/invitations": true,
}

// replayedHeaders are the response headers stored with an answer and replayed with it; the others
// (X-Request-Id, RateLimit, ...) belong to the request that carries them.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "ETag"}

// idempotencyKeys honours Idempotency-Key on the authenticated POSTs (see internal/idempotency). A
// request without the header, or one that is not an authenticated POST, passes straight through.
// With it, the request runs in one transaction that its domain services join (platform.RequestTx)
// and that holds the key while it runs, and its answer, held back meanwhile, is stored in that
// transaction when its status is below 500; only then is it sent. A 5xx rolls the transaction back,
// which frees the key. A repeated key answers the stored response with Idempotent-Replayed: true,
// or 422 idempotency_key_mismatch (another method, path or body), or 409 idempotency_key_in_use
// while a request with it is running.
//
// It runs after resolveCaller, so that the caller and the organization are known, and inside
// requestContext, so that the request's deadline bounds the handler's work.
func idempotencyKeys(store *idempotency.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Method != http.MethodPost {
				return next(c)
			}
			values, present := req.Header[headerIdempotencyKey]
			if !present || unreplayable[c.Path()] {
				return next(c)
			}
			ctx := req.Context()
			p, err := tenancy.PrincipalFrom(ctx)
			if err != nil {
				return next(c) // no caller (login, register, ...): the header means nothing there
			}
			if len(values) != 1 || !idempotency.ValidKey(values[0]) {
				return idempotency.ErrInvalidKey
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return errMalformed.WithCause(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			sc := idempotency.Scope{UserID: p.UserID, Key: values[0]}
			if m, err := tenancy.MembershipFrom(ctx); err == nil {
				sc.OrganizationID = m.OrganizationID
			}
			attempt, stored, err := store.Begin(ctx, sc, idempotency.Request{
				Method: req.Method, Path: req.URL.Path, BodySHA256: sha256.Sum256(body),
			})
			switch {
			case errors.Is(err, idempotency.ErrInUse):
				c.Response().Header().Set(echo.HeaderRetryAfter, "1")
				return err
			case err != nil:
				return err
			case stored != nil:
				return replay(c, stored)
			}
			return runAttempt(c, next, attempt)
		}
	}
}

// replay answers a stored response.
func replay(c echo.Context, a *idempotency.Answer) error {
	h := c.Response().Header()
	for name, v := range a.Header {
		h.Set(name, v)
	}
	h.Set(headerReplayed, "true")
	c.Response().WriteHeader(a.Status)
	_, err := c.Response().Write(a.Body)
	return err
}

// runAttempt runs the request under the attempt, its answer held back in a buffer until the
// attempt is settled.
func runAttempt(c echo.Context, next echo.HandlerFunc, a *idempotency.Attempt) error {
	req, res := c.Request(), c.Response()
	sent, header := res.Writer, res.Header()
	buf := &heldResponse{header: header.Clone()}
	res.Writer = buf
	c.SetRequest(req.WithContext(a.Context()))
	defer c.SetRequest(req) // nothing after this middleware may run in the settled transaction
	// undo forgets what the handler answered: the request is answered with an error instead.
	undo := func() {
		res.Writer, res.Committed, res.Status, res.Size = sent, false, http.StatusOK, 0
	}

	settled := false
	defer func() {
		// A panicking handler (answered 500 by the recover middleware) must not keep the
		// transaction's connection, nor the key.
		if !settled {
			a.Abandon()
			undo()
		}
	}()
	err := next(c)
	settled = true
	if err != nil && !res.Committed {
		if !storable(err) {
			a.Abandon()
			undo()
			return err
		}
		c.Error(err) // rendered into the buffer, to be stored
	}
	if !res.Committed {
		a.Abandon()
		undo()
		return fmt.Errorf("idempotent request: the handler answered nothing: %w", err)
	}
	if res.Status >= http.StatusInternalServerError {
		a.Abandon()
	} else {
		ans := idempotency.Answer{Status: res.Status, Header: map[string]string{}, Body: buf.body.Bytes()}
		for _, name := range replayedHeaders {
			if v := buf.header.Get(name); v != "" {
				ans.Header[name] = v
			}
		}
		if err := a.Finish(ans); err != nil {
			undo()
			if errors.Is(err, idempotency.ErrInUse) {
				header.Set(echo.HeaderRetryAfter, "1")
			}
			return err
		}
	}
	for name := range header {
		delete(header, name)
	}
	for name, v := range buf.header {
		header[name] = v
	}
	sent.WriteHeader(res.Status)
	_, werr := sent.Write(buf.body.Bytes())
	return werr
}

// storable reports whether an error answer is stored: a client error found by the handler (below
// 500), unless the request ran out of time or its client went away, which is no answer to keep.
func storable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	return statusOf[clientError(err).Kind] < http.StatusInternalServerError
}

// heldResponse is a response written to memory, sent only once its attempt is settled.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}
