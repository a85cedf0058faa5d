package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nanoClock is a fake clock with sub-second steps (fakeClock keeps whole seconds), so that the
// cache is compared with Verify inside the second that lifetime checks truncate to.
type nanoClock struct{ ns atomic.Int64 }

func newNanoClock(t time.Time) *nanoClock {
	c := &nanoClock{}
	c.Set(t)
	return c
}

func (c *nanoClock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *nanoClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

func TestVerifyCached_HitReturnsTheClaimsVerifyReturned(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tk := newTestTokens(t, alg, newFakeClock(t0).Now)
			user, sess := uuid.New(), uuid.New()
			raw, issued, err := tk.Issue(KindAccess, user, sess)
			require.NoError(t, err)
			want, err := tk.Verify(KindAccess, raw)
			require.NoError(t, err)

			first, err := tk.VerifyCached(KindAccess, raw)
			require.NoError(t, err)
			assert.Equal(t, want, first)
			assert.Equal(t, 1, tk.cache.len())
			assert.Equal(t, issued.ID, first.ID)
			assert.Equal(t, user, first.UserID)
			assert.Equal(t, sess, first.SessionID)

			// A hit does not verify again: with the verification key gone, only the cache can
			// accept the token.
			tk.verifyKey = []byte("another-key-another-key-another-key-0123")
			if alg == "EdDSA" {
				tk.verifyKey = nil
			}
			_, err = tk.Verify(KindAccess, raw)
			require.ErrorIs(t, err, ErrInvalidToken)
			hit, err := tk.VerifyCached(KindAccess, raw)
			require.NoError(t, err)
			assert.Equal(t, want, hit)
			assert.Equal(t, 1, tk.cache.len())
		})
	}
}

// The cache accepts a token at an instant exactly when Verify does, as the clock moves across
// not-before, issued-at and expiry (and their skew), forwards and backwards.
func TestVerifyCached_RefusesExactlyWhenVerifyRefuses(t *testing.T) {
	t.Parallel()
	clock := newNanoClock(t0)
	tk := newTestTokens(t, "HS256", clock.Now)
	issued, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	later := func(nbf, iat, exp time.Duration) func(jwt.Token) {
		return func(tok jwt.Token) {
			set(jwt.NotBeforeKey, t0.Add(nbf))(tok)
			set(jwt.IssuedAtKey, t0.Add(iat))(tok)
			set(jwt.ExpirationKey, t0.Add(exp))(tok)
		}
	}
	tokens := map[string]string{
		"issued":             issued,
		"nbf ahead":          craft(t, tk, KindAccess, later(5*time.Minute, 0, 10*time.Minute)),
		"iat ahead":          craft(t, tk, KindAccess, later(0, 4*time.Minute, 9*time.Minute)),
		"nbf within skew":    craft(t, tk, KindAccess, later(clockSkew-time.Second, 0, 3*time.Minute)),
		"no nbf nor iat":     craft(t, tk, KindAccess, func(tok jwt.Token) { remove(jwt.NotBeforeKey)(tok); remove(jwt.IssuedAtKey)(tok) }),
		"short-lived":        craft(t, tk, KindAccess, later(0, 0, 2*time.Second)),
		"expired at issuing": craft(t, tk, KindAccess, later(-time.Hour, -time.Hour, -time.Minute)),
	}

	const step = 500 * time.Millisecond
	check := func(from, to time.Time, dir time.Duration) {
		for at := from; (dir > 0 && !at.After(to)) || (dir < 0 && !at.Before(to)); at = at.Add(dir) {
			clock.Set(at)
			for name, raw := range tokens {
				want, werr := tk.Verify(KindAccess, raw)
				got, gerr := tk.VerifyCached(KindAccess, raw)
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("%s at %s: Verify err=%v, VerifyCached err=%v", name, at.Sub(t0), werr, gerr)
				}
				if werr == nil {
					require.Equal(t, want, got, "%s at %s", name, at.Sub(t0))
				} else {
					require.ErrorIs(t, gerr, ErrInvalidToken)
				}
			}
		}
	}
	start, end := t0.Add(-2*time.Minute), t0.Add(tk.AccessTTL()+2*time.Minute)
	check(t0, end, step)     // cached at t0, then carried past expiry
	check(end, start, -step) // the clock goes back: the cached entries must still say no before nbf
	check(start, end, step)
	assert.Positive(t, tk.cache.len())
}

func TestVerifyCached_KindsAreNeverConfused(t *testing.T) {
	t.Parallel()
	tk := newTestTokens(t, "HS256", newFakeClock(t0).Now)
	access, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	refresh, _, err := tk.Issue(KindRefresh, uuid.New(), uuid.New())
	require.NoError(t, err)

	_, err = tk.VerifyCached(KindAccess, access)
	require.NoError(t, err)
	for range 2 { // the second time with the access token cached
		_, err = tk.VerifyCached(KindRefresh, access)
		assert.ErrorIs(t, err, ErrInvalidToken, "an access token is no refresh token")
		_, err = tk.VerifyCached(KindAccess, refresh)
		assert.ErrorIs(t, err, ErrInvalidToken, "a refresh token is no access token")
	}
	_, err = tk.VerifyCached(KindRefresh, refresh)
	require.NoError(t, err)
	assert.Equal(t, 1, tk.cache.len(), "refresh tokens are verified in full, never cached")

	// Even an entry recorded under another kind is not taken for this one.
	key := tokenKey(refresh)
	claims, err := tk.Verify(KindRefresh, refresh)
	require.NoError(t, err)
	tk.cache.put(key, verifiedEntry{kind: KindRefresh, claims: claims, life: lifetime{exp: t0.Add(time.Hour)}}, t0)
	_, err = tk.VerifyCached(KindAccess, refresh)
	assert.ErrorIs(t, err, ErrInvalidToken)

	// Neither a forged signature nor garbage is cached.
	before := tk.cache.len()
	for _, raw := range []string{access[:len(access)-2] + "xx", "not-a-token", ""} {
		_, err = tk.VerifyCached(KindAccess, raw)
		assert.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.Equal(t, before, tk.cache.len())
}

func TestVerifyCached_StaysBounded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	tk := newTestTokens(t, "HS256", clock.Now)
	const bound = 50
	tk.cache = newVerifiedCache(bound)
	raws := make([]string, 0, 4*bound)
	for range 4 * bound {
		raw, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
		require.NoError(t, err)
		_, err = tk.VerifyCached(KindAccess, raw)
		require.NoError(t, err)
		require.LessOrEqual(t, tk.cache.len(), bound)
		raws = append(raws, raw)
	}
	for _, raw := range raws { // evicted or not, every token is still accepted
		_, err := tk.VerifyCached(KindAccess, raw)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, tk.cache.len(), bound)

	// Expired entries go first: a full cache whose entries have all expired keeps only the new one.
	vc := newVerifiedCache(10)
	for i := range 10 {
		vc.put(tokenKey(fmt.Sprint(i)), verifiedEntry{kind: KindAccess, life: lifetime{exp: t0}}, t0)
	}
	require.Equal(t, 10, vc.len())
	vc.put(tokenKey("new"), verifiedEntry{kind: KindAccess, life: lifetime{exp: t0.Add(time.Hour)}}, t0.Add(clockSkew))
	assert.Equal(t, 1, vc.len())
	assert.Equal(t, VerifiedCacheSize, newTestTokens(t, "HS256", nil).cache.max)
}

// Run with -race.
func TestVerifyCached_ConcurrentUse(t *testing.T) {
	t.Parallel()
	clock := newNanoClock(t0)
	tk := newTestTokens(t, "HS256", clock.Now)
	tk.cache = newVerifiedCache(8) // smaller than the set of tokens: puts evict all along
	type issued struct {
		raw    string
		claims Claims
	}
	var all []issued
	for range 20 {
		raw, c, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
		require.NoError(t, err)
		all = append(all, issued{raw, c})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if g == 0 && i%50 == 0 {
					clock.Set(t0.Add(time.Duration(i) * time.Millisecond))
				}
				want := all[(g*7+i)%len(all)]
				got, err := tk.VerifyCached(KindAccess, want.raw)
				if err != nil || got.ID != want.claims.ID || got.UserID != want.claims.UserID {
					errs <- fmt.Errorf("goroutine %d: %w, got %+v", g, err, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.LessOrEqual(t, tk.cache.len(), 8)
}
