package auth_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
)

// The database counts failures with login_throttle_next (one statement per failure, so the hot
// per-address row is locked only briefly); it must agree with ThrottlePolicy.Next, the documented
// and unit-tested policy, step by step: the window, the first lock, the doubling, the cap, a
// window that starts over, and the expiry the clean-up goes by.
func TestThrottle_DatabaseAgreesWithThePolicy(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	iv := func(d time.Duration) pgtype.Interval {
		return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
	}
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	for _, p := range []auth.ThrottlePolicy{auth.PairPolicy, auth.AddressPolicy(3), auth.AddressPolicy(auth.DefaultMaxFailuresPerAddress)} {
		st := auth.ThrottleState{}
		at := start
		for i := range 130 {
			// Mostly a second apart; now and then a pause longer than the window.
			at = at.Add(time.Second)
			if i == 20 || i == 21 {
				at = at.Add(p.Window + time.Minute)
			}
			want := p.Next(st, at)
			var got auth.ThrottleState
			var expires time.Time
			require.NoError(t, pool.QueryRow(t.Context(),
				"SELECT next_failures, next_window_start, next_locked_until, next_expires_at FROM login_throttle_next($1, $2, $3, $4, $5, $6, $7)",
				st.Failures, nullTime(st.WindowStart), at, iv(p.Window), p.MaxFailures, iv(p.LockBase), iv(p.LockMax),
			).Scan(&got.Failures, &got.WindowStart, &got.LockedUntil, &expires))
			require.Equal(t, want.Failures, got.Failures, "max %d, failure %d", p.MaxFailures, i)
			require.True(t, want.WindowStart.Equal(got.WindowStart), "max %d, failure %d: window %s, want %s", p.MaxFailures, i, got.WindowStart, want.WindowStart)
			if want.LockedUntil == nil {
				require.Nil(t, got.LockedUntil, "max %d, failure %d", p.MaxFailures, i)
			} else {
				require.NotNil(t, got.LockedUntil, "max %d, failure %d", p.MaxFailures, i)
				require.True(t, want.LockedUntil.Equal(*got.LockedUntil), "max %d, failure %d: lock %s, want %s", p.MaxFailures, i, got.LockedUntil, want.LockedUntil)
			}
			require.True(t, p.ExpiresAt(want).Equal(expires), "max %d, failure %d: expires %s, want %s", p.MaxFailures, i, expires, p.ExpiresAt(want))
			st = want
		}
		require.NotNil(t, st.LockedUntil, "the sequence reached the cap")
		assert.Equal(t, at.Add(p.LockMax), *st.LockedUntil)
	}
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
