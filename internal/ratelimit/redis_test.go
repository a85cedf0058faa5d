package ratelimit_test

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minicrm/crm/internal/ratelimit"
	"github.com/minicrm/crm/internal/ratelimit/ratelimittest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedis_SameArithmeticAsMemory(t *testing.T) {
	rdb, prefix := ratelimittest.Redis(t)
	r := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
	m := ratelimit.NewMemory()
	l := ratelimit.PerMinute(5)
	for i := range 7 {
		got, want := r.Allow(t.Context(), "org:1", l), m.Allow(t.Context(), "org:1", l)
		assert.Equal(t, want.Allowed, got.Allowed, "event %d", i+1)
		assert.Equal(t, want.Remaining, got.Remaining, "event %d", i+1)
		// The two clocks differ by the round trips: a few milliseconds.
		assert.InDelta(t, want.RetryAfter.Seconds(), got.RetryAfter.Seconds(), 0.5, "event %d", i+1)
		assert.InDelta(t, want.ResetAfter.Seconds(), got.ResetAfter.Seconds(), 0.5, "event %d", i+1)
	}
	last := r.Allow(t.Context(), "org:1", l)
	assert.False(t, last.Allowed)
	assert.InDelta(t, 12, last.RetryAfter.Seconds(), 0.5)

	// The counter is in Redis under the prefix, and expires with the budget.
	ttl, err := rdb.TTL(t.Context(), "rate:"+prefix+"org:1").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 50*time.Second)
	assert.LessOrEqual(t, ttl, time.Minute)
}

func TestRedis_ReplicasShareTheBudget(t *testing.T) {
	rdb, prefix := ratelimittest.Redis(t)
	a := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
	b := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
	allowed := allowedConcurrently(t, []ratelimit.Limiter{a, b, a, b}, 10, "anon:192.0.2.1", ratelimit.PerMinute(10))
	assert.Equal(t, 10, allowed, "40 attempts on two replicas within the same second share one burst of 10")
}

func TestRedis_FailsOpenToCountingInTheProcessWhenRedisIsDown(t *testing.T) {
	// A port nothing listens on: the connection is refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	rdb, err := ratelimit.NewRedisClient("redis://" + addr + "/0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })

	var logs bytes.Buffer
	r := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	l := ratelimit.PerMinute(3)
	start := time.Now()
	var got []bool
	for range 5 {
		got = append(got, r.Allow(t.Context(), "k", l).Allowed)
	}
	assert.Less(t, time.Since(start), 500*time.Millisecond, "a Redis that is down does not hold requests up")
	assert.Equal(t, []bool{true, true, true, false, false}, got, "the process still counts")
	assert.Equal(t, 1, strings.Count(logs.String(), "Redis unavailable"), "one warning, not one per request:\n%s", logs.String())
}

func TestRedis_UnansweredRoundTripIsCutShort(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	rdb, err := ratelimit.NewRedisClient("redis://" + ln.Addr().String() + "/0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })
	r := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Timeout: 50 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})

	start := time.Now()
	res := r.Allow(t.Context(), "k", ratelimit.PerMinute(3))
	first := time.Since(start)
	assert.True(t, res.Allowed)
	assert.Less(t, first, 400*time.Millisecond)
	start = time.Now()
	r.Allow(t.Context(), "k", ratelimit.PerMinute(3))
	assert.Less(t, time.Since(start), 10*time.Millisecond, "after a failure Redis is left alone for a while")
}
