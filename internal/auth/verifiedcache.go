package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// VerifiedCacheSize bounds the access tokens the verified-token cache of a Tokens remembers.
const VerifiedCacheSize = 10_000

// lifetime is what a token says of when it may be used, truncated as verify compares it.
type lifetime struct {
	exp, iat, nbf  time.Time
	hasIat, hasNbf bool
}

// validAt makes verify's lifetime checks (jwx's, with clockSkew and tokenTruncation): the token is
// expired from exp+skew on, and not yet valid before iat-skew or nbf-skew.
func (lt lifetime) validAt(now time.Time) bool {
	if lt.expiredAt(now) {
		return false
	}
	now = now.Truncate(tokenTruncation)
	if lt.hasIat && now.Before(lt.iat.Add(-clockSkew)) {
		return false
	}
	if lt.hasNbf && now.Before(lt.nbf.Add(-clockSkew)) {
		return false
	}
	return true
}

// expiredAt reports whether the token can never be valid again from now on.
func (lt lifetime) expiredAt(now time.Time) bool {
	return !now.Truncate(tokenTruncation).Before(lt.exp.Add(clockSkew))
}

type verifiedEntry struct {
	kind   string
	claims Claims
	life   lifetime
}

// verifiedCache remembers the tokens verify accepted, by the SHA-256 of the raw token, with their
// kind, claims and lifetime. It holds at most max entries.
type verifiedCache struct {
	max int

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]verifiedEntry
}

func newVerifiedCache(maxEntries int) *verifiedCache {
	return &verifiedCache{max: max(1, maxEntries), entries: map[[sha256.Size]byte]verifiedEntry{}}
}

func (vc *verifiedCache) get(key [sha256.Size]byte, kind string, now time.Time) (Claims, bool) {
	vc.mu.RLock()
	e, ok := vc.entries[key]
	vc.mu.RUnlock()
	if !ok || e.kind != kind || !e.life.validAt(now) {
		return Claims{}, false
	}
	return e.claims, true
}

// put adds an entry. When the cache is full it drops the expired entries first, then arbitrary
// ones (map order) down to nine tenths of max, so that the cost of a sweep is spread over many puts.
func (vc *verifiedCache) put(key [sha256.Size]byte, e verifiedEntry, now time.Time) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if _, ok := vc.entries[key]; !ok && len(vc.entries) >= vc.max {
		for k, old := range vc.entries {
			if old.life.expiredAt(now) {
				delete(vc.entries, k)
			}
		}
		target := vc.max - max(1, vc.max/10)
		for k := range vc.entries {
			if len(vc.entries) <= target {
				break
			}
			delete(vc.entries, k)
		}
	}
	vc.entries[key] = e
}

func (vc *verifiedCache) len() int {
	vc.mu.RLock()
	defer vc.mu.RUnlock()
	return len(vc.entries)
}

// VerifyCached is Verify for the per-request check of access tokens: an access token Verify
// accepted is remembered (by the SHA-256 of the raw token, at most VerifiedCacheSize of them) and
// accepted again without parsing or checking its signature, for exactly as long as Verify would
// accept it at the clock's time (the same lifetime checks, skew included). Any other kind is
// verified in full every time. It says nothing of the session, which the caller still checks.
func (t *Tokens) VerifyCached(kind, raw string) (Claims, error) {
	if kind != KindAccess || len(raw) > maxTokenLength {
		return t.Verify(kind, raw)
	}
	key := tokenKey(raw)
	now := t.now()
	if c, ok := t.cache.get(key, kind, now); ok {
		return c, nil
	}
	c, lt, err := t.verify(kind, raw)
	if err != nil {
		return Claims{}, err
	}
	t.cache.put(key, verifiedEntry{kind: kind, claims: c, life: lt}, now)
	return c, nil
}

// tokenKey is the cache key of a raw token. A token of usual size is copied to the stack to be
// hashed ([]byte(raw) would allocate a copy on the heap on every request).
func tokenKey(raw string) [sha256.Size]byte {
	var buf [1024]byte
	if len(raw) <= len(buf) {
		return sha256.Sum256(append(buf[:0], raw...))
	}
	return sha256.Sum256([]byte(raw))
}
