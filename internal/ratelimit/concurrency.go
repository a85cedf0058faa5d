package ratelimit

import "sync"

// Concurrency bounds how many requests of one key run at once: a map of counting semaphores,
// created on a key's first request and removed when its last one ends, so idle keys cost nothing.
type Concurrency struct {
	mu      sync.Mutex
	running map[string]int
}

// NewConcurrency returns a bound with no request running.
func NewConcurrency() *Concurrency { return &Concurrency{running: map[string]int{}} }

// TryAcquire takes one of the max slots of key without waiting. When it succeeds, the caller must
// call release exactly once (further calls do nothing).
func (c *Concurrency) TryAcquire(key string, maxRunning int) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key] >= maxRunning {
		return nil, false
	}
	c.running[key]++
	var once sync.Once
	return func() { once.Do(func() { c.release(key) }) }, true
}

func (c *Concurrency) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key] <= 1 {
		delete(c.running, key)
		return
	}
	c.running[key]--
}

// Running is the number of requests of key holding a slot.
func (c *Concurrency) Running(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running[key]
}

// Keys is the number of keys with a request running (idle keys are not kept).
func (c *Concurrency) Keys() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.running)
}
