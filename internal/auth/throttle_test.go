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
	var st ThrottleState
	for i := 1; i < ThrottleMaxFailures; i++ {
		st = PairPolicy.Next(st, now.Add(time.Duration(i)*time.Second))
		assert.Equal(t, int32(i), st.Failures)
		assert.Nil(t, st.LockedUntil, "failure %d locks nothing", i)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, ThrottleLockMax, ThrottleLockMax}
	for i, lock := range want {
		at := now.Add(time.Duration(ThrottleMaxFailures+i) * time.Second)
		st = PairPolicy.Next(st, at)
		require.NotNil(t, st.LockedUntil)
		assert.Equal(t, at.Add(lock), *st.LockedUntil, "failure %d", st.Failures)
	}
	assert.Equal(t, now.Add(time.Second), st.WindowStart, "the window does not slide")
}

func TestThrottle_QuietWindowStartsOver(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	locked := start.Add(time.Minute)
	cur := ThrottleState{Failures: 12, WindowStart: start, LockedUntil: &locked}
	later := start.Add(ThrottleWindow + time.Second)
	assert.Equal(t, ThrottleState{Failures: 1, WindowStart: later}, PairPolicy.Next(cur, later))
	assert.Equal(t, ThrottleState{Failures: 1, WindowStart: start}, PairPolicy.Next(ThrottleState{}, start))
	// A fresh row (created empty by the database, no failures yet) starts a window too.
	assert.Equal(t, ThrottleState{Failures: 1, WindowStart: later},
		PairPolicy.Next(ThrottleState{WindowStart: start}, later))
}

func TestThrottle_AddressPolicyLocksFromItsOwnBound(t *testing.T) {
	t.Parallel()
	p := AddressPolicy(DefaultMaxFailuresPerAddress)
	assert.Equal(t, int32(100), p.MaxFailures)
	assert.Equal(t, ThrottleWindow, p.Window)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st := ThrottleState{}
	for i := 1; i < 100; i++ {
		st = p.Next(st, now)
		require.Nil(t, st.LockedUntil, "failure %d", i)
	}
	st = p.Next(st, now)
	require.NotNil(t, st.LockedUntil, "the 100th failure locks the address")
	assert.Equal(t, now.Add(ThrottleLockBase), *st.LockedUntil)
	assert.Equal(t, int32(1<<31-1), AddressPolicy(1<<40).MaxFailures, "clamped, not wrapped")
}

func TestThrottle_ExpiresWhenWindowAndLockAreOver(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, start.Add(ThrottleWindow), PairPolicy.ExpiresAt(ThrottleState{Failures: 3, WindowStart: start}))
	short := start.Add(time.Minute)
	assert.Equal(t, start.Add(ThrottleWindow), PairPolicy.ExpiresAt(ThrottleState{Failures: 10, WindowStart: start, LockedUntil: &short}))
	long := start.Add(ThrottleWindow + 10*time.Minute)
	assert.Equal(t, long, PairPolicy.ExpiresAt(ThrottleState{Failures: 15, WindowStart: start, LockedUntil: &long}))
}

func TestThrottle_AddressKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.7":                   "203.0.113.7",
		"::ffff:203.0.113.7":            "203.0.113.7", // IPv4-mapped IPv6 is the IPv4 address
		"2001:db8:1:2:3:4:5:6":          "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:ffff:1": "2001:db8:1:2::/64", // the whole /64 is one client
		"2001:db8:1:3::1":               "2001:db8:1:3::/64",
		"fe80::1%eth0":                  "fe80::/64",
		"":                              "",
		"not-an-ip":                     "not-an-ip",
	} {
		assert.Equal(t, want, AddressKey(in), in)
	}
	assert.Len(t, AddressKey(string(make([]byte, 500))), maxAddressKeyLength)
}
