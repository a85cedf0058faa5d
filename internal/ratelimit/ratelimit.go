// Package ratelimit counts requests against per-key budgets with GCRA (the generic cell rate
// algorithm, a token bucket without a refill timer), in the process (Memory) or in Redis (Redis,
// through github.com/go-redis/redis_rate, so that several replicas share the counters), and bounds
// concurrent work per key (Concurrency).
//
// Both limiters answer the same arithmetic: a budget of Rate events per Period with a burst of
// Rate; each event pushes the key's "theoretical arrival time" (TAT) Period/Rate into the future,
// and an event is refused while the TAT would end up more than one Period ahead of now.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Limit is a budget: Rate events per Period, all of which may come at once.
type Limit struct {
	Rate   int
	Period time.Duration
}

// PerMinute is a budget of n events a minute.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute} }

// interval is the time one event costs.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Result is the answer for one event.
type Result struct {
	Allowed bool
	// Remaining is how many more events the key may spend right now.
	Remaining int
	// RetryAfter is how long until the next event is allowed; zero when this one was allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's whole budget is available again.
	ResetAfter time.Duration
}

// Limiter decides whether key may spend one event of l. It never fails: a limiter whose store
// is unavailable answers from a fallback (see Redis).
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) Result
}

// Memory is the in-process Limiter: one TAT per key, forgotten once it is in the past (a key
// whose TAT has passed has its full budget, exactly as if it had never been seen).
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time
	lastSweep time.Time
}

// sweepEvery bounds how often Memory drops the keys whose budget is full again; between two
// sweeps the map holds at most the keys seen in the last sweepEvery plus one Period.
const sweepEvery = 10 * time.Second

// NewMemory returns an empty in-process limiter.
func NewMemory() *Memory { return NewMemoryAt(time.Now) }

// NewMemoryAt returns an in-process limiter reading the time from now (for tests).
func NewMemoryAt(now func() time.Time) *Memory {
	return &Memory{now: now, tat: map[string]time.Time{}}
}

// Allow implements Limiter with the arithmetic of redis_rate's allow_n script (cost 1).
func (m *Memory) Allow(_ context.Context, key string, l Limit) Result {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) >= sweepEvery {
		m.sweep(now)
	}
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	res, newTAT := gcra(now, tat, l)
	if res.Allowed {
		m.tat[key] = newTAT
	}
	return res
}

// Len is the number of keys held (for tests of the clean-up).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

func (m *Memory) sweep(now time.Time) {
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
	m.lastSweep = now
}

// gcra spends one event of l at now for a key whose TAT is tat (never before now). It returns the
// answer and the key's new TAT (meaningful only when allowed).
func gcra(now, tat time.Time, l Limit) (Result, time.Time) {
	interval := l.interval()
	newTAT := tat.Add(interval)
	allowAt := newTAT.Add(-time.Duration(l.Rate) * interval)
	diff := now.Sub(allowAt)
	if diff < 0 {
		return Result{RetryAfter: -diff, ResetAfter: tat.Sub(now)}, tat
	}
	return Result{Allowed: true, Remaining: int(diff / interval), ResetAfter: newTAT.Sub(now)}, newTAT
}
