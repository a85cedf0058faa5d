package auth

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/alexedwards/argon2id"
	"github.com/minicrm/crm/internal/apperr"
)

// passwordParams are argon2id parameters at or above the OWASP recommendation
// (m=19 MiB, t=2, p=1).
var passwordParams = &argon2id.Params{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// ErrHashQueueFull answers a password check or hash that found every slot busy and the queue
// full: 503 with Retry-After, at once, instead of queuing without bound.
var ErrHashQueueFull = &apperr.Error{
	Kind: apperr.KindUnavailable, Code: "service_unavailable",
	Message: "Too many logins at once; try again shortly.", RetryAfter: 1,
}

// Hasher bounds the password hashes computed at once (each takes 19 MiB and a core for tens of
// milliseconds) and the requests waiting for one. A waiter waits only while its request is alive;
// past the queue bound the answer is ErrHashQueueFull.
type Hasher struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

// DefaultHashSlots is the number of hashes computed at once: two per core.
func DefaultHashSlots() int { return 2 * runtime.GOMAXPROCS(0) }

// DefaultHashQueue is the number of requests that may wait for a slot: eight per slot, well under
// a second of hashing on a busy machine (PASSWORD_HASH_QUEUE_SIZE).
func DefaultHashQueue() int { return 8 * DefaultHashSlots() }

// NewHasher returns a Hasher of slots concurrent hashes (at least 1) and at most queue waiters
// (0: none; a request that finds every slot busy is refused at once).
func NewHasher(slots, queue int) *Hasher {
	return &Hasher{slots: make(chan struct{}, max(slots, 1)), maxWaiting: int64(max(queue, 0))}
}

// defaultHasher is shared by the Services of a process: hashing is bounded by the machine's cores
// and memory, not per Service.
var defaultHasher = NewHasher(DefaultHashSlots(), DefaultHashQueue())

// Saturated reports whether every slot is busy and the queue is full: a request that needs a hash
// now would be refused. Login asks before any database work, so that a flood is refused cheaply.
func (h *Hasher) Saturated() bool {
	return len(h.slots) == cap(h.slots) && h.waiting.Load() >= h.maxWaiting
}

// acquire takes a slot, waiting in the bounded queue while ctx is alive.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	release := func() { <-h.slots }
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for a password hash slot: %w", err)
	}
	select {
	case h.slots <- struct{}{}:
		return release, nil
	default:
	}
	if h.waiting.Add(1) > h.maxWaiting {
		h.waiting.Add(-1)
		return nil, ErrHashQueueFull
	}
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a password hash slot: %w", ctx.Err())
	}
}

// Hash returns an encoded argon2id hash (PHC string format).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	enc, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return enc, nil
}

// Check reports whether password matches the encoded hash, in constant time.
func (h *Hasher) Check(ctx context.Context, password, encoded string) (bool, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	ok, err := argon2id.ComparePasswordAndHash(password, encoded)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// Burn does the work of one password check against a throw-away hash, so that a login for an
// unknown email takes as long as one with a wrong password and cannot reveal who is registered.
// It waits for a slot like a real check, and fails alike when the queue is full.
func (h *Hasher) Burn(ctx context.Context, password string) error {
	dummyOnce.Do(func() {
		dummyHash, _ = argon2id.CreateHash("dummy password for timing equalisation", passwordParams)
	})
	_, err := h.Check(ctx, password, dummyHash)
	return err
}

// HashPassword hashes with the process's shared Hasher.
func HashPassword(ctx context.Context, password string) (string, error) {
	return defaultHasher.Hash(ctx, password)
}

// CheckPassword checks with the process's shared Hasher.
func CheckPassword(ctx context.Context, password, encoded string) (bool, error) {
	return defaultHasher.Check(ctx, password, encoded)
}
