// Package idempotency makes retries of a POST safe (Idempotency-Key, Stripe's semantics and
// draft-ietf-httpapi-idempotency-key-header). A key belongs to the caller in an organization. The
// first request with it claims the key in a statement of its own, then runs in one transaction
// (platform.RequestTx) that its domain services join; its answer is written into the key's row in
// that same transaction, so the answer is stored exactly when the effect committed: a request that
// committed is replayed, never run twice, and one that did not runs again on retry.
package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/minicrm/crm/internal/platform"
)

const (
	// Retention is how long a key and its answer are kept; the clean-up deletes them afterwards.
	Retention = 24 * time.Hour
	// MaxKeyLength is the longest key accepted.
	MaxKeyLength = 255
	// settleTimeout bounds the statements that settle an attempt (store, commit, release), which run
	// even when the request's own context has ended: a claim must not outlive its attempt.
	settleTimeout = 5 * time.Second
)

// The answers of the key's rules.
var (
	ErrInvalidKey = apperr.Invalid("invalid_idempotency_key",
		"Idempotency-Key must be one value of 1 to 255 printable ASCII characters.")
	ErrMismatch = &apperr.Error{Kind: apperr.KindUnprocessable, Code: "idempotency_key_mismatch",
		Message: "This Idempotency-Key was used for another request (method, path or body); use a new key."}
	ErrInUse = &apperr.Error{Kind: apperr.KindConflict, Code: "idempotency_key_in_use", RetryAfter: 1,
		Message: "A request with this Idempotency-Key is still running; retry shortly."}
)

// ValidKey reports whether k is 1 to MaxKeyLength printable ASCII characters (space to tilde).
func ValidKey(k string) bool {
	if len(k) < 1 || len(k) > MaxKeyLength {
		return false
	}
	for i := range len(k) {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Scope is whose key it is: the caller, in an organization (uuid.Nil: a route acting in none).
type Scope struct {
	OrganizationID uuid.UUID
	UserID         uuid.UUID
	Key            string
}

// Request is what the key was used for; a retry must send the same.
type Request struct {
	Method     string
	Path       string
	BodySHA256 [32]byte
}

// Answer is a stored response: status, the headers worth replaying, body.
type Answer struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Store keeps the keys.
type Store struct {
	db *platform.DB
	q  *db.Queries
	// abandonAfter: a running attempt that began longer ago than this is abandoned (its process
	// died before it could release the key) and may be taken over.
	abandonAfter time.Duration
	now          func() time.Time
}

// NewStore returns a Store on d. abandonAfter must exceed the longest a request may run.
func NewStore(d *platform.DB, abandonAfter time.Duration) *Store {
	return &Store{db: d, q: d.Queries(), abandonAfter: abandonAfter, now: time.Now}
}

// Attempt is a claimed key: the request runs under Context, then Finish stores its answer or
// Abandon gives the key up.
type Attempt struct {
	s     *Store
	scope Scope
	claim uuid.UUID
	tx    *platform.RequestTx
	ctx   context.Context // the request's, joined to tx
	base  context.Context // the request's before Begin: its statements run outside tx
}

// Context is the context the request must run under: its database work joins the attempt's
// transaction.
func (a *Attempt) Context() context.Context { return a.ctx }

// Begin claims the key for r. It returns either an Attempt (the key is new: run the request), or
// the stored Answer of the request that used it first, or ErrMismatch (used for another request)
// or ErrInUse (the first request is still running).
func (s *Store) Begin(ctx context.Context, sc Scope, r Request) (*Attempt, *Answer, error) {
	for range 3 {
		now := s.now()
		claim := uuid.New()
		_, err := s.q.ClaimIdempotencyKey(ctx, db.ClaimIdempotencyKeyParams{
			OrganizationID: sc.OrganizationID, UserID: sc.UserID, Key: sc.Key,
			Method: r.Method, Path: r.Path, BodySha256: r.BodySHA256[:], Claim: claim,
			Now: now, ExpiresAt: now.Add(Retention), AbandonedBefore: now.Add(-s.abandonAfter),
		})
		if err == nil {
			a := &Attempt{s: s, scope: sc, claim: claim, base: ctx}
			txCtx, tx, err := s.db.BeginRequest(ctx)
			if err != nil {
				a.release()
				return nil, nil, err
			}
			a.tx, a.ctx = tx, txCtx
			return a, nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		row, err := s.q.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{
			OrganizationID: sc.OrganizationID, UserID: sc.UserID, Key: sc.Key,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released (or expired and cleaned up) in between: claim again
		}
		if err != nil {
			return nil, nil, fmt.Errorf("get idempotency key: %w", err)
		}
		if row.Method != r.Method || row.Path != r.Path || !bytes.Equal(row.BodySha256, r.BodySHA256[:]) {
			return nil, nil, ErrMismatch
		}
		if row.Status == nil {
			return nil, nil, ErrInUse
		}
		ans := &Answer{Status: int(*row.Status), Body: row.ResponseBody}
		if len(row.ResponseHeaders) > 0 {
			if err := json.Unmarshal(row.ResponseHeaders, &ans.Header); err != nil {
				return nil, nil, fmt.Errorf("decode stored headers: %w", err)
			}
		}
		return nil, ans, nil
	}
	return nil, nil, ErrInUse
}

// settling is the request's context from before Begin without its cancellation, bounded by
// settleTimeout: the attempt is settled even when the request ran out of time or its client went
// away.
func (a *Attempt) settling() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(a.base), settleTimeout)
}

// Finish stores ans (a status below 500) in the attempt's transaction and commits it with the
// request's effect. When a statement of the request had failed (the transaction is aborted:
// nothing of it can commit) and ans is an error answer, the answer is stored on its own, after the
// rollback: the request had no effect, which is what its answer says. On any failure the key is
// released and the error returned, so that a retry runs again.
func (a *Attempt) Finish(ans Answer) error {
	ctx, cancel := a.settling()
	defer cancel()
	status := int16(ans.Status) //nolint:gosec // an HTTP status, 100..599
	headers, err := json.Marshal(ans.Header)
	if err != nil {
		return a.fail(ctx, fmt.Errorf("encode headers: %w", err))
	}
	p := db.CompleteIdempotencyKeyParams{
		Status: &status, ResponseHeaders: headers, ResponseBody: ans.Body,
		OrganizationID: a.scope.OrganizationID, UserID: a.scope.UserID, Key: a.scope.Key, Claim: a.claim,
	}
	n, err := a.tx.Queries().CompleteIdempotencyKey(ctx, p)
	if platform.IsAbortedTransaction(err) && ans.Status >= 400 {
		if err := a.tx.Rollback(ctx); err != nil {
			return a.fail(ctx, err)
		}
		n, err = a.s.q.CompleteIdempotencyKey(ctx, p)
		if err == nil && n == 1 {
			return nil
		}
	}
	if err != nil {
		return a.fail(ctx, fmt.Errorf("store idempotent answer: %w", err))
	}
	if n != 1 { // the claim was taken over: this attempt must not commit
		return a.fail(ctx, ErrInUse)
	}
	if err := a.tx.Commit(ctx); err != nil {
		// Whether the commit happened is unknown when the connection was lost under it: release
		// only removes a claim without an answer, so a committed answer stays.
		return a.fail(ctx, err)
	}
	return nil
}

// Abandon rolls the attempt's transaction back and releases the key: the request stored nothing
// (it failed with a 5xx), and a retry runs it again.
func (a *Attempt) Abandon() {
	ctx, cancel := a.settling()
	defer cancel()
	_ = a.tx.Rollback(ctx) // a failed rollback ends the connection: nothing commits either way
	a.release()
}

func (a *Attempt) fail(ctx context.Context, err error) error {
	_ = a.tx.Rollback(ctx)
	a.release()
	return err
}

// release deletes the attempt's claim unless an answer was stored under it. A failure leaves the
// claim to be taken over once abandoned.
func (a *Attempt) release() {
	ctx, cancel := a.settling()
	defer cancel()
	_, _ = a.s.q.ReleaseIdempotencyKey(ctx, db.ReleaseIdempotencyKeyParams{
		OrganizationID: a.scope.OrganizationID, UserID: a.scope.UserID, Key: a.scope.Key, Claim: a.claim,
	})
}
