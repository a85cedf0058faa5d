package httpapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/minicrm/crm/internal/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimits_DefaultsFollowThePool(t *testing.T) {
	d := Limits{}.withDefaults()
	assert.Equal(t, 60, d.AnonPerMinute)
	assert.Equal(t, 6000, d.OrgPerMinute)
	assert.Equal(t, 4, d.OrgMaxConcurrent, "half the smallest pool (8)")
	assert.Equal(t, 2, d.AnalyticsMaxConcurrent)
	assert.Equal(t, time.Second, d.RefusalDelay)
	assert.Equal(t, 32, d.MaxInFlight, "four times the pool")
	assert.Equal(t, 256, d.MaxQueued, "eight times that")
	assert.NotNil(t, d.Store)

	d = Limits{PoolSize: 20}.withDefaults()
	assert.Equal(t, 10, d.OrgMaxConcurrent)
	assert.Equal(t, 5, d.AnalyticsMaxConcurrent)

	d = Limits{PoolSize: 1}.withDefaults()
	assert.Equal(t, 1, d.OrgMaxConcurrent)
	assert.Equal(t, 1, d.AnalyticsMaxConcurrent)

	d = Limits{PoolSize: 20, OrgMaxConcurrent: 6, AnalyticsMaxConcurrent: 4}.withDefaults()
	assert.Equal(t, 6, d.OrgMaxConcurrent)
	assert.Equal(t, 4, d.AnalyticsMaxConcurrent)
}

func TestClientAddress_KeysIPv4ByAddressAndIPv6ByItsSlash64(t *testing.T) {
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	for remote, want := range map[string]string{
		"192.0.2.1:1234":              "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":     "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:1234": "2001:db8:1:2::/64",
		"[2001:db8:1:2::ffff]:1234":   "2001:db8:1:2::/64",
		"[fe80::1%25eth0]:1234":       "fe80::/64",
		"not-an-address:0":            "not-an-address",
	} {
		req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
		req.RemoteAddr = remote
		assert.Equal(t, want, clientAddress(e.NewContext(req, httptest.NewRecorder())), remote)
	}
}

func TestMemberCache_ForgetsAMembershipAfterItsTTL(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	mc := newMemberCache(time.Minute, func() time.Time { return now })
	assert.False(t, mc.known("u", "o"))
	mc.remember("u", "o")
	assert.True(t, mc.known("u", "o"))
	assert.False(t, mc.known("u", "other"), "another organization")
	assert.False(t, mc.known("other", "o"), "another user")

	now = now.Add(59 * time.Second)
	assert.True(t, mc.known("u", "o"))
	now = now.Add(time.Second)
	assert.False(t, mc.known("u", "o"), "a removed member stops counting early after the TTL")

	// Expired pairs are dropped when others are remembered.
	for i := range 100 {
		mc.remember("u", fmt.Sprint(i))
	}
	now = now.Add(2 * time.Minute)
	mc.remember("u", "fresh")
	assert.Len(t, mc.until, 1)
}

func TestHold_WaitsTheRefusalDelayAtMostForABoundedNumberOfRequests(t *testing.T) {
	refusal := &apperr.Error{Kind: apperr.KindTooManyRequests, Code: codeRateLimited, RetryAfter: 12}
	l := &limiter{refusalDelay: 1100 * time.Millisecond, holding: make(chan struct{}, 1)}

	start := time.Now()
	got := l.hold(t.Context(), refusal)
	assert.GreaterOrEqual(t, time.Since(start), 1100*time.Millisecond)
	ae, ok := apperr.As(got)
	require.True(t, ok)
	assert.Equal(t, 11, ae.RetryAfter, "the wait is taken off Retry-After")
	assert.Equal(t, 12, refusal.RetryAfter, "the shared refusal is not changed")

	// A client that goes away is not waited for.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start = time.Now()
	l.hold(ctx, refusal)
	assert.Less(t, time.Since(start), 100*time.Millisecond)

	// While the bound is reached, refusals are answered at once.
	l.holding <- struct{}{}
	start = time.Now()
	assert.Same(t, refusal, l.hold(t.Context(), refusal))
	assert.Less(t, time.Since(start), 100*time.Millisecond)

	// Never less than one second.
	l = &limiter{refusalDelay: 1100 * time.Millisecond, holding: make(chan struct{}, 1)}
	ae, _ = apperr.As(l.hold(t.Context(), errTooManyRunning))
	assert.Equal(t, 1, ae.RetryAfter)
}
