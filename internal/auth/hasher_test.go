package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/apperr"
)

// hashOnce is a valid hash to check against in these tests.
var hashOnce = sync.OnceValue(func() string {
	h, err := NewHasher(1, 0).Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	return h
})

// holdSlots takes every slot of h until the returned release is called.
func holdSlots(t *testing.T, h *Hasher) func() {
	t.Helper()
	var releases []func()
	for range cap(h.slots) {
		r, err := h.acquire(t.Context())
		require.NoError(t, err)
		releases = append(releases, r)
	}
	return func() {
		for _, r := range releases {
			r()
		}
	}
}

// With every slot busy and the queue full, a check is refused at once with 503
// service_unavailable and Retry-After, instead of queuing without bound (issue 8, item 9).
func TestHasher_FullQueueAnswersServiceUnavailableAtOnce(t *testing.T) {
	t.Parallel()
	h := NewHasher(2, 1)
	release := holdSlots(t, h)

	// One waiter fits in the queue and waits.
	waited := make(chan error, 1)
	go func() {
		_, err := h.Check(context.Background(), "correct horse battery staple", hashOnce())
		waited <- err
	}()
	require.Eventually(t, func() bool { return h.waiting.Load() == 1 }, 5*time.Second, time.Millisecond)

	// The next one finds the queue full.
	assert.True(t, h.Saturated(), "Login refuses before any query")
	start := time.Now()
	_, err := h.Check(t.Context(), "correct horse battery staple", hashOnce())
	assert.Less(t, time.Since(start), time.Second, "refused at once")
	ae, ok := apperr.As(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, apperr.KindUnavailable, ae.Kind)
	assert.Equal(t, "service_unavailable", ae.Code)
	assert.Positive(t, ae.RetryAfter)
	_, err = h.Hash(t.Context(), "another password")
	assert.ErrorIs(t, err, ErrHashQueueFull, "hashing for a registration is bounded alike")
	assert.ErrorIs(t, h.Burn(t.Context(), "x"), ErrHashQueueFull, "an unknown email's burn too")

	// When a slot frees, the waiter goes on.
	release()
	require.NoError(t, <-waited)
	assert.Zero(t, h.waiting.Load())
	assert.False(t, h.Saturated())
}

// A waiter whose request ends stops waiting at once and gives its place in the queue back.
func TestHasher_WaitEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	h := NewHasher(1, 4)
	release := holdSlots(t, h)
	defer release()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	// The stored hash is made before the clock starts: making it is an argon2id hash, which a
	// loaded machine can stretch past the bound below.
	stored := hashOnce()
	start := time.Now()
	_, err := h.Check(ctx, "correct horse battery staple", stored)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Zero(t, h.waiting.Load(), "the place in the queue is given back")

	// A request that is already over does not even queue.
	done, stop := context.WithCancel(t.Context())
	stop()
	_, err = h.Hash(done, "x")
	assert.ErrorIs(t, err, context.Canceled)
}

// Without contention every call gets a slot and gives it back.
func TestHasher_SlotsAreGivenBack(t *testing.T) {
	t.Parallel()
	h := NewHasher(1, 0)
	for range 3 {
		ok, err := h.Check(t.Context(), "correct horse battery staple", hashOnce())
		require.NoError(t, err)
		assert.True(t, ok)
	}
	assert.Empty(t, h.slots)
	assert.Equal(t, 8*DefaultHashSlots(), DefaultHashQueue(), "eight waiters per slot")
}
