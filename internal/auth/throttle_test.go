package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestThrottle_LocksFromTheTenthFailureAndBacksOffExponentially(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var st *ThrottleState
	for i := 1; i < ThrottleMaxFailures; i++ {
		next := NextThrottleState(st, now.Add(time.Duration(i)*time.Second))
		st = &next
		assert.Equal(t, int32(i), st.Failures)
		assert.Nil(t, st.LockedUntil, "failure %d locks nothing", i)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, ThrottleLockMax, ThrottleLockMax}
	for i, lock := range want {
		at := now.Add(time.Duration(ThrottleMaxFailures+i) * time.Second)
		next := NextThrottleState(st, at)
		st = &next
		require.NotNil(t, st.LockedUntil)
		assert.Equal(t, at.Add(lock), *st.LockedUntil, "failure %d", st.Failures)
	}
	assert.Equal(t, now.Add(time.Second), st.WindowStart, "the window does not slide")
}

func TestThrottle_QuietWindowStartsOver(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	locked := start.Add(time.Minute)
	cur := &ThrottleState{Failures: 12, WindowStart: start, LockedUntil: &locked}
	later := start.Add(ThrottleWindow + time.Second)
	assert.Equal(t, ThrottleState{Failures: 1, WindowStart: later}, NextThrottleState(cur, later))
	assert.Equal(t, ThrottleState{Failures: 1, WindowStart: start}, NextThrottleState(nil, start))
}
