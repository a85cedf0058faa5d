package ratelimit_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemory_SpendsTheBurstThenRefusesUntilOneIntervalPassed(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemoryAt(c.now)
	l := ratelimit.PerMinute(5) // one event every 12 s, 5 at once

	for want := 4; want >= 0; want-- {
		r := m.Allow(t.Context(), "k", l)
		require.True(t, r.Allowed)
		assert.Equal(t, want, r.Remaining)
		assert.Equal(t, time.Duration(0), r.RetryAfter)
		assert.Equal(t, time.Duration(5-want)*12*time.Second, r.ResetAfter)
	}
	r := m.Allow(t.Context(), "k", l)
	assert.False(t, r.Allowed)
	assert.Equal(t, 0, r.Remaining)
	assert.Equal(t, 12*time.Second, r.RetryAfter)
	assert.Equal(t, time.Minute, r.ResetAfter)

	// A refused event costs nothing: 11 s later it is still 1 s early; at 12 s one is allowed.
	c.advance(11 * time.Second)
	r = m.Allow(t.Context(), "k", l)
	assert.False(t, r.Allowed)
	assert.Equal(t, time.Second, r.RetryAfter)
	c.advance(time.Second)
	r = m.Allow(t.Context(), "k", l)
	assert.True(t, r.Allowed)
	assert.Equal(t, 0, r.Remaining)

	// Another key has its own budget.
	assert.Equal(t, 4, m.Allow(t.Context(), "other", l).Remaining)
}

func TestMemory_BudgetComesBackGraduallyAndIsCappedAtTheBurst(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemoryAt(c.now)
	l := ratelimit.PerMinute(60)
	for range 60 {
		require.True(t, m.Allow(t.Context(), "k", l).Allowed)
	}
	require.False(t, m.Allow(t.Context(), "k", l).Allowed)
	c.advance(30 * time.Second) // half the budget is back
	r := m.Allow(t.Context(), "k", l)
	require.True(t, r.Allowed)
	assert.Equal(t, 29, r.Remaining)
	c.advance(time.Hour) // never more than the burst
	r = m.Allow(t.Context(), "k", l)
	assert.Equal(t, 59, r.Remaining)
	assert.Equal(t, time.Second, r.ResetAfter)
}

func TestMemory_ForgetsKeysWhoseBudgetIsFullAgain(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemoryAt(c.now)
	l := ratelimit.PerMinute(10)
	for i := range 1000 {
		m.Allow(t.Context(), fmt.Sprint("addr-", i), l)
	}
	require.Equal(t, 1000, m.Len())
	c.advance(time.Minute + 10*time.Second)
	m.Allow(t.Context(), "fresh", l) // a sweep runs at most every 10 s, on a call
	assert.Equal(t, 1, m.Len())
}

func TestMemory_IsSafeForConcurrentUseAndNeverOverspends(t *testing.T) {
	m := ratelimit.NewMemory()
	allowed := allowedConcurrently(t, slices.Repeat([]ratelimit.Limiter{m}, 20), 50, "k", ratelimit.PerMinute(100))
	// 1000 attempts within well under a second: the burst of 100, plus at most one per 600 ms.
	assert.GreaterOrEqual(t, allowed, 100)
	assert.LessOrEqual(t, allowed, 102)
}

// allowedConcurrently makes tries attempts on key from one goroutine per limiter, all at once, and
// counts the allowed ones.
func allowedConcurrently(t *testing.T, limiters []ratelimit.Limiter, tries int, key string, l ratelimit.Limit) int {
	t.Helper()
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for _, lim := range limiters {
		wg.Go(func() {
			for range tries {
				if lim.Allow(t.Context(), key, l).Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(allowed.Load())
}

func TestConcurrency_BoundsEachKeyAndForgetsIdleKeys(t *testing.T) {
	c := ratelimit.NewConcurrency()
	var releases []func()
	for range 3 {
		rel, ok := c.TryAcquire("org-a", 3)
		require.True(t, ok)
		releases = append(releases, rel)
	}
	_, ok := c.TryAcquire("org-a", 3)
	assert.False(t, ok, "a fourth request of org-a is refused")
	relB, ok := c.TryAcquire("org-b", 3)
	assert.True(t, ok, "another key is not affected")
	assert.Equal(t, 2, c.Keys())

	releases[0]()
	releases[0]() // a second call does nothing
	assert.Equal(t, 2, c.Running("org-a"))
	rel, ok := c.TryAcquire("org-a", 3)
	require.True(t, ok, "a released slot can be taken again")
	releases[0] = rel

	for _, rel := range releases {
		rel()
	}
	relB()
	assert.Equal(t, 0, c.Keys(), "idle keys are removed")
}
