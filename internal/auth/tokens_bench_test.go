package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// benchNow is the fixed clock of the token benchmarks: the token never expires mid-run.
var benchNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func benchTokens(b *testing.B, alg string) *Tokens {
	b.Helper()
	secret := testHSSecret
	if alg == "EdDSA" {
		secret = testEdSeed
	}
	tk, err := NewTokens(TokenConfig{Algorithm: alg, Secret: secret, AccessTTL: 15 * time.Minute,
		RefreshTTL: 7 * 24 * time.Hour, Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	return tk
}

// BenchmarkVerifyAccess is the per-request token check of every authenticated request: format
// check, jwx parse, signature, issuer, audience, lifetime, typ, sid. Compare runs with benchstat:
//
//	go test -run '^$' -bench Verify -count 10 ./internal/auth
func BenchmarkVerifyAccess(b *testing.B) {
	for _, alg := range []string{"HS256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			tk := benchTokens(b, alg)
			raw, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tk.Verify(KindAccess, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyAccessCached is the same check through the verified-token cache (what
// authenticate and the rate limiter call): "hit" a token verified before (the SHA-256 of the token,
// a map lookup under a read lock, the lifetime checks), "hit-parallel" the same from every core at
// once, "miss" a token not seen before (full verification, then the entry is stored).
func BenchmarkVerifyAccessCached(b *testing.B) {
	tk := benchTokens(b, "HS256")
	raw, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tk.VerifyCached(KindAccess, raw); err != nil {
		b.Fatal(err)
	}
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tk.VerifyCached(KindAccess, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := tk.VerifyCached(KindAccess, raw); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("miss", func(b *testing.B) {
		raws := make([]string, 256)
		for i := range raws {
			if raws[i], _, err = tk.Issue(KindAccess, uuid.New(), uuid.New()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			tk.cache = newVerifiedCache(VerifiedCacheSize) // every lookup misses
			if _, err := tk.VerifyCached(KindAccess, raws[i%len(raws)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkVerifyReject is the cost of refusing a token: a refresh token offered as an access
// token (parsed and verified in full, refused on audience) and a token with a broken signature.
func BenchmarkVerifyReject(b *testing.B) {
	tk := benchTokens(b, "HS256")
	refresh, _, err := tk.Issue(KindRefresh, uuid.New(), uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	access, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	badSig := access[:len(access)-2] + "AA"
	if badSig == access {
		badSig = access[:len(access)-2] + "BB"
	}
	for _, tc := range []struct{ name, raw string }{{"wrong-kind", refresh}, {"bad-signature", badSig}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tk.Verify(KindAccess, tc.raw); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkIssueAccess is the cost of signing an access token (login, refresh).
func BenchmarkIssueAccess(b *testing.B) {
	tk := benchTokens(b, "HS256")
	user, session := uuid.New(), uuid.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.Issue(KindAccess, user, session); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompactJWS is Verify's shape check of an access token: the compactJWS regexp against
// isCompactJWS, which Verify uses.
func BenchmarkCompactJWS(b *testing.B) {
	raw, _, err := benchTokens(b, "HS256").Issue(KindAccess, uuid.New(), uuid.New())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("regexp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !compactJWS.MatchString(raw) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !isCompactJWS(raw) {
				b.Fatal("refused")
			}
		}
	})
}
