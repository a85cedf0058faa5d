package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is the shared Limiter: the counters live in Redis (redis_rate's GCRA script), so every
// replica spends from the same budgets. When Redis does not answer within Timeout the request is
// not held up: the limiter fails open to an in-process Memory (each replica then counts alone,
// which still bounds a flood) and leaves Redis alone for RetryAfterFailure before trying again.
type Redis struct {
	limiter  *redis_rate.Limiter
	prefix   string
	timeout  time.Duration
	pause    time.Duration
	fallback *Memory
	log      *slog.Logger
	now      func() time.Time

	downUntil atomic.Int64 // Redis is not asked before this time (Unix nanoseconds)
	down      atomic.Bool  // the last attempt failed (for logging the transitions only)
}

// RedisOptions tune NewRedis.
type RedisOptions struct {
	// Prefix is put before every key (redis_rate itself adds "rate:"); default "crm:".
	Prefix string
	// Timeout bounds one round trip; default 100 ms.
	Timeout time.Duration
	// RetryAfterFailure is how long the fallback answers after a failure; default 1 s.
	RetryAfterFailure time.Duration
	Log               *slog.Logger
}

// NewRedis counts in the Redis that rdb talks to.
func NewRedis(rdb redis.UniversalClient, o RedisOptions) *Redis {
	if o.Prefix == "" {
		o.Prefix = "crm:"
	}
	if o.Timeout == 0 {
		o.Timeout = 100 * time.Millisecond
	}
	if o.RetryAfterFailure == 0 {
		o.RetryAfterFailure = time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Redis{
		limiter: redis_rate.NewLimiter(rdb), prefix: o.Prefix, timeout: o.Timeout,
		pause: o.RetryAfterFailure, fallback: NewMemory(), log: o.Log, now: time.Now,
	}
}

// NewRedisClient connects to url (redis://[user:password@]host:port/db, rediss:// for TLS) with
// settings for a request path: no retries, short dial and I/O timeouts that honour the context.
// It does not wait for Redis to be up: a Redis that is down is a degraded limiter, not a service
// that cannot start.
func NewRedisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.DialTimeout = 250 * time.Millisecond
	opts.ReadTimeout = 250 * time.Millisecond
	opts.WriteTimeout = 250 * time.Millisecond
	opts.PoolTimeout = 250 * time.Millisecond
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) Result {
	if r.paused() {
		return r.fallback.Allow(ctx, key, l)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	res, err := r.limiter.Allow(ctx, r.prefix+key, redis_rate.Limit{Rate: l.Rate, Burst: l.Rate, Period: l.Period})
	r.record(err)
	if err != nil {
		return r.fallback.Allow(ctx, key, l)
	}
	out := Result{Allowed: res.Allowed > 0, Remaining: res.Remaining, ResetAfter: res.ResetAfter}
	if !out.Allowed {
		out.RetryAfter = res.RetryAfter
	}
	return out
}

func (r *Redis) paused() bool {
	return r.now().UnixNano() < r.downUntil.Load()
}

// record notes the outcome of a round trip and logs only the changes of state.
func (r *Redis) record(err error) {
	if err != nil {
		r.downUntil.Store(r.now().Add(r.pause).UnixNano())
		if r.down.CompareAndSwap(false, true) {
			r.log.Warn("rate limits: Redis unavailable, counting in this process until it answers", "error", err.Error())
		}
		return
	}
	if r.down.CompareAndSwap(true, false) {
		r.log.Info("rate limits: Redis answers again, counting in Redis")
	}
}
