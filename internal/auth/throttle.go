package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apperr"
)

// Login throttling, per account (the normalised email, registered or not, so the throttle reveals
// nothing about who is registered), in PostgreSQL so every replica shares it. Failures are counted
// in a window; from MaxFailures on, the account is locked for LockBase, doubling per further
// failure up to LockMax. Inside a lock even the right password is refused, so the lock cannot
// confirm a guess. Well under the 100 failures per hour ASVS allows.
const (
	ThrottleWindow      = 15 * time.Minute
	ThrottleMaxFailures = 10
	ThrottleLockBase    = 30 * time.Second
	ThrottleLockMax     = 15 * time.Minute
)

// ThrottleState is the failure record of one account.
type ThrottleState struct {
	Failures    int32
	WindowStart time.Time
	LockedUntil *time.Time
}

// NextThrottleState counts one more failure at now.
func NextThrottleState(cur *ThrottleState, now time.Time) ThrottleState {
	if cur == nil || now.Sub(cur.WindowStart) > ThrottleWindow {
		return ThrottleState{Failures: 1, WindowStart: now}
	}
	next := ThrottleState{Failures: cur.Failures + 1, WindowStart: cur.WindowStart}
	if next.Failures >= ThrottleMaxFailures {
		extra := float64(next.Failures - ThrottleMaxFailures)
		lock := time.Duration(math.Min(float64(ThrottleLockBase)*math.Pow(2, extra), float64(ThrottleLockMax)))
		until := now.Add(lock)
		next.LockedUntil = &until
	}
	return next
}

func errTooManyAttempts(until, now time.Time) *apperr.Error {
	return &apperr.Error{
		Kind: apperr.KindTooManyRequests, Code: "too_many_attempts",
		Message:    "Too many failed logins for this account; try again later.",
		RetryAfter: int(math.Ceil(until.Sub(now).Seconds())),
	}
}

// checkThrottle refuses a login while the account is locked.
func (s *Service) checkThrottle(ctx context.Context, email string) error {
	until, err := s.q.LoginLockedUntil(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check login throttle: %w", err)
	}
	return errTooManyAttempts(*until, s.tokens.now())
}

// recordFailure counts a failed login.
func (s *Service) recordFailure(ctx context.Context, email string) error {
	return s.store.InTx(ctx, func(q *db.Queries) error {
		var cur *ThrottleState
		row, err := q.GetLoginThrottleForUpdate(ctx, email)
		switch {
		case err == nil:
			cur = &ThrottleState{Failures: row.Failures, WindowStart: row.WindowStart, LockedUntil: row.LockedUntil}
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("load login throttle: %w", err)
		}
		next := NextThrottleState(cur, s.tokens.now())
		return q.SaveLoginThrottle(ctx, db.SaveLoginThrottleParams{
			Email: email, Failures: next.Failures, WindowStart: next.WindowStart, LockedUntil: next.LockedUntil,
		})
	})
}
