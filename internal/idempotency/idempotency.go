// Package idempotency makes retries of a POST safe (Idempotency-Key, Stripe's semantics and
// draft-ietf-httpapi-idempotency-key-header). A key belongs to the caller in an organization. A
// request with a key runs in one transaction (platform.RequestTx) that its domain services join.
// That transaction first takes the key's advisory lock: the key is "in use" exactly while a live
// attempt holds it, and PostgreSQL frees it when the transaction ends, however it ends (a rollback,
// a process killed, a connection or a server lost), so a crash leaves no key stuck. Under the lock,
// the key's stored answer is read: one is replayed; without one the request runs, and its answer
// is inserted in that same transaction, so it is stored exactly when the effect committed: a
// request that committed is replayed, never run twice, and one that did not runs again on retry.
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
	// settleTimeout bounds the statements that settle an attempt (store, commit, rollback), which
	// run even when the request's own context has ended: a held key must not outlive its attempt.
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
	db  *platform.DB
	now func() time.Time
}

// NewStore returns a Store on d.
func NewStore(d *platform.DB) *Store {
	return &Store{db: d, now: time.Now}
}

// Attempt is a key held by a running request: the request runs under Context, then Finish stores
// its answer or Abandon gives the key up.
type Attempt struct {
	s     *Store
	scope Scope
	req   Request
	begun time.Time
	tx    *platform.RequestTx
	ctx   context.Context // the request's, joined to tx
	base  context.Context // the request's before Begin: its statements run outside tx
}

// Context is the context the request must run under: its database work joins the attempt's
// transaction.
func (a *Attempt) Context() context.Context { return a.ctx }

// Begin takes the key for r. It returns either an Attempt (the key has no answer: run the
// request), or the stored Answer of the request that used it first, or ErrMismatch (used for
// another request) or ErrInUse (a request with it is running).
func (s *Store) Begin(ctx context.Context, sc Scope, r Request) (*Attempt, *Answer, error) {
	txCtx, tx, err := s.db.BeginRequest(ctx)
	if err != nil {
		return nil, nil, err
	}
	a := &Attempt{s: s, scope: sc, req: r, begun: s.now(), tx: tx, ctx: txCtx, base: ctx}
	locked, err := tx.Queries().TryLockIdempotencyKey(ctx, db.TryLockIdempotencyKeyParams{
		OrganizationID: sc.OrganizationID, UserID: sc.UserID, Key: sc.Key,
	})
	if err != nil {
		return nil, nil, a.fail(fmt.Errorf("lock idempotency key: %w", err))
	}
	if !locked {
		return nil, nil, a.fail(ErrInUse)
	}
	// Under the lock, the statement sees the answer of every attempt that held it before: each
	// committed its answer before its lock was released.
	row, err := tx.Queries().GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{
		OrganizationID: sc.OrganizationID, UserID: sc.UserID, Key: sc.Key, Now: a.begun,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil, nil // a new key (or an expired one): run the request
	}
	if err != nil {
		return nil, nil, a.fail(fmt.Errorf("get idempotency key: %w", err))
	}
	a.Abandon() // the answer is read: the key is not needed any longer
	if row.Method != r.Method || row.Path != r.Path || !bytes.Equal(row.BodySha256, r.BodySHA256[:]) {
		return nil, nil, ErrMismatch
	}
	ans := &Answer{Status: int(row.Status), Body: row.ResponseBody}
	if len(row.ResponseHeaders) > 0 {
		if err := json.Unmarshal(row.ResponseHeaders, &ans.Header); err != nil {
			return nil, nil, fmt.Errorf("decode stored headers: %w", err)
		}
	}
	return nil, ans, nil
}

// settling is the request's context from before Begin without its cancellation, bounded by
// settleTimeout: the attempt is settled even when the request ran out of time or its client went
// away.
func (a *Attempt) settling() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(a.base), settleTimeout)
}

// Finish stores ans (a status below 500) in the attempt's transaction and commits it with the
// request's effect. When a statement of the request had failed (the transaction is aborted:
// nothing of it can commit) and ans is an error answer, the transaction is rolled back and the
// answer stored on its own, in a transaction that takes the key again: the request had no effect,
// which is what its answer says. On any failure the transaction is rolled back (the key is free
// again) and the error returned, so that a retry runs again.
func (a *Attempt) Finish(ans Answer) error {
	ctx, cancel := a.settling()
	defer cancel()
	headers, err := json.Marshal(ans.Header)
	if err != nil {
		return a.fail(fmt.Errorf("encode headers: %w", err))
	}
	p := db.StoreIdempotencyKeyParams{
		OrganizationID: a.scope.OrganizationID, UserID: a.scope.UserID, Key: a.scope.Key,
		Method: a.req.Method, Path: a.req.Path, BodySha256: a.req.BodySHA256[:],
		Status:          int16(ans.Status), //nolint:gosec // an HTTP status, 100..599
		ResponseHeaders: headers, ResponseBody: ans.Body,
		CreatedAt: a.begun, ExpiresAt: a.begun.Add(Retention),
	}
	n, err := a.tx.Queries().StoreIdempotencyKey(ctx, p)
	if platform.IsAbortedTransaction(err) && ans.Status >= 400 {
		if err := a.tx.Rollback(ctx); err != nil {
			return err
		}
		return a.s.storeAlone(ctx, p)
	}
	if err != nil {
		return a.fail(fmt.Errorf("store idempotent answer: %w", err))
	}
	if n != 1 { // an answer is stored already, which the lock rules out: this attempt must not commit
		return a.fail(ErrInUse)
	}
	// A commit that fails when the connection was lost under it may have happened or not: either
	// way the key is free, and a retry replays the answer or runs the request.
	return a.tx.Commit(ctx)
}

// storeAlone stores the answer of an attempt that rolled back, in a transaction of its own that
// takes the key: the key was free meanwhile, and an attempt that took it is left to answer.
func (s *Store) storeAlone(ctx context.Context, p db.StoreIdempotencyKeyParams) error {
	_, tx, err := s.db.BeginRequest(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }() // after Commit it does nothing
	locked, err := tx.Queries().TryLockIdempotencyKey(ctx, db.TryLockIdempotencyKeyParams{
		OrganizationID: p.OrganizationID, UserID: p.UserID, Key: p.Key,
	})
	if err != nil {
		return fmt.Errorf("lock idempotency key: %w", err)
	}
	if !locked {
		return ErrInUse
	}
	n, err := tx.Queries().StoreIdempotencyKey(ctx, p)
	if err != nil {
		return fmt.Errorf("store idempotent answer: %w", err)
	}
	if n != 1 { // another attempt answered meanwhile: its answer is the key's
		return ErrInUse
	}
	return tx.Commit(ctx)
}

// Abandon rolls the attempt's transaction back, which frees the key: the request stored nothing
// (it failed with a 5xx), and a retry runs it again.
func (a *Attempt) Abandon() {
	ctx, cancel := a.settling()
	defer cancel()
	_ = a.tx.Rollback(ctx) // a failed rollback ends the connection: nothing commits, the key is free
}

// fail abandons the attempt and returns err.
func (a *Attempt) fail(err error) error {
	a.Abandon()
	return err
}
