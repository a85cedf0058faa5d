package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/minicrm/crm/gen/db"
)

// The clean-up deletes what only grows otherwise: expired sessions (revoked or not: an expired
// session answers exactly like a missing one), throttle rows whose window and lock are over
// (attacker traffic alone creates those) and idempotency keys past their retention (24 hours,
// internal/idempotency). It deletes in batches, each in its own short transaction
// that first takes a transaction-level advisory lock: on several replicas one cleans at a time and
// the others skip their turn; nothing is held between batches, and it works behind PgBouncer in
// transaction mode.
const (
	// DefaultCleanUpBatch is the number of rows one batch deletes.
	DefaultCleanUpBatch = 1000
	// maxCleanUpBatches bounds one run's work per table; what is left goes next run.
	maxCleanUpBatches = 100
	// DefaultCleanUpInterval is how often `crm serve` runs the clean-up.
	DefaultCleanUpInterval = 5 * time.Minute
	// CleanUpLockKey is the advisory lock key of the clean-up ("mcrmclnu").
	CleanUpLockKey int64 = 0x6d63726d636c6e75
)

// CleanUpResult counts what one run deleted.
type CleanUpResult struct {
	Sessions         int64
	LoginThrottles   int64
	AddressThrottles int64
	IdempotencyKeys  int64
	// Skipped is true when another replica held the clean-up lock: this run stopped there.
	Skipped bool
}

// WithCleanUpBatch sets the batch size of the clean-up (default DefaultCleanUpBatch).
func WithCleanUpBatch(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.cleanUpBatch = n
		}
	}
}

// CleanUp deletes the sessions expired before now, the throttle rows that stopped mattering before
// now and the idempotency keys expired before now.
func (s *Service) CleanUp(ctx context.Context, now time.Time) (CleanUpResult, error) {
	var res CleanUpResult
	batch := int32(min(s.cleanUpBatch, 1<<20)) //nolint:gosec // bounded just above
	tables := []struct {
		name  string
		count *int64
		del   func(q *db.Queries) (int64, error)
	}{
		{"sessions", &res.Sessions, func(q *db.Queries) (int64, error) {
			return q.DeleteExpiredSessions(ctx, db.DeleteExpiredSessionsParams{Now: now, BatchSize: batch})
		}},
		{"login_throttle", &res.LoginThrottles, func(q *db.Queries) (int64, error) {
			return q.DeleteExpiredLoginThrottles(ctx, db.DeleteExpiredLoginThrottlesParams{Now: now, BatchSize: batch})
		}},
		{"login_address_throttle", &res.AddressThrottles, func(q *db.Queries) (int64, error) {
			return q.DeleteExpiredLoginAddressThrottles(ctx, db.DeleteExpiredLoginAddressThrottlesParams{Now: now, BatchSize: batch})
		}},
		{"idempotency_keys", &res.IdempotencyKeys, func(q *db.Queries) (int64, error) {
			return q.DeleteExpiredIdempotencyKeys(ctx, db.DeleteExpiredIdempotencyKeysParams{Now: now, BatchSize: batch})
		}},
	}
	for _, t := range tables {
		for range maxCleanUpBatches {
			var n int64
			err := s.store.InTx(ctx, func(q *db.Queries) error {
				locked, err := q.TryCleanUpLock(ctx, CleanUpLockKey)
				if err != nil {
					return fmt.Errorf("take the clean-up lock: %w", err)
				}
				if !locked {
					res.Skipped = true
					return nil
				}
				n, err = t.del(q)
				if err != nil {
					return fmt.Errorf("clean up %s: %w", t.name, err)
				}
				return nil
			})
			if err != nil || res.Skipped {
				return res, err
			}
			*t.count += n
			if n < int64(batch) {
				break
			}
		}
	}
	return res, nil
}

// RunCleanUp runs CleanUp at once and then every interval, until ctx ends.
func (s *Service) RunCleanUp(ctx context.Context, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultCleanUpInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		res, err := s.CleanUp(ctx, s.tokens.now())
		switch {
		case err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled):
			log.ErrorContext(ctx, "auth clean-up failed", "error", err.Error())
		case err == nil && res.Sessions+res.LoginThrottles+res.AddressThrottles+res.IdempotencyKeys > 0:
			log.InfoContext(ctx, "auth clean-up", "sessions", res.Sessions,
				"login_throttle", res.LoginThrottles, "login_address_throttle", res.AddressThrottles,
				"idempotency_keys", res.IdempotencyKeys)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
