package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testHSSecret = "unit-test-secret-unit-test-secret-0123456789"

// testEdSeed is the base64 of a fixed 32-byte Ed25519 seed.
var testEdSeed = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// fakeClock is a clock the test moves by hand; safe for concurrent reads.
type fakeClock struct{ unix atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.unix.Store(t.Unix())
	return c
}

func (c *fakeClock) Now() time.Time  { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *fakeClock) Set(t time.Time) { c.unix.Store(t.Unix()) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestTokens(t *testing.T, alg string, now func() time.Time) *Tokens {
	t.Helper()
	secret := testHSSecret
	if alg == "EdDSA" {
		secret = testEdSeed
	}
	tk, err := NewTokens(TokenConfig{Algorithm: alg, Secret: secret, AccessTTL: 15 * time.Minute,
		RefreshTTL: 7 * 24 * time.Hour, Now: now})
	require.NoError(t, err)
	return tk
}

// craft builds a token with every claim Issue would set (valid at tk's current time), lets mutate
// change it, and signs it with tk's own algorithm and key: whatever Verify then rejects, it rejects
// because of the mutation alone.
func craft(t *testing.T, tk *Tokens, kind string, mutate func(jwt.Token)) string {
	t.Helper()
	aud := accessAudience
	if kind == KindRefresh {
		aud = refreshAudience
	}
	now := tk.now().UTC().Truncate(time.Second)
	tok, err := jwt.NewBuilder().
		Issuer(issuer).
		Audience([]string{aud}).
		Subject(uuid.NewString()).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(time.Minute)).
		JwtID(uuid.NewString()).
		Claim("sid", uuid.NewString()).
		Claim("typ", kind).
		Build()
	require.NoError(t, err)
	if mutate != nil {
		mutate(tok)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(tk.alg, tk.signKey))
	require.NoError(t, err)
	return string(signed)
}

func set(key string, value any) func(jwt.Token) {
	return func(tok jwt.Token) {
		if err := tok.Set(key, value); err != nil {
			panic(err)
		}
	}
}

func remove(key string) func(jwt.Token) {
	return func(tok jwt.Token) {
		if err := tok.Remove(key); err != nil {
			panic(err)
		}
	}
}

func TestTokens_IssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "EdDSA", ""} {
		t.Run("alg="+alg, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(t0)
			tk := newTestTokens(t, alg, clock.Now)
			for _, kind := range []string{KindAccess, KindRefresh} {
				user, sess := uuid.New(), uuid.New()
				raw, issued, err := tk.Issue(kind, user, sess)
				require.NoError(t, err)
				assert.Equal(t, 3, len(strings.Split(raw, ".")), "compact JWS")

				got, err := tk.Verify(kind, raw)
				require.NoError(t, err, kind)
				assert.Equal(t, user, got.UserID)
				assert.Equal(t, sess, got.SessionID)
				assert.Equal(t, issued.ID, got.ID)
				assert.NotEmpty(t, got.ID)
				ttl := tk.AccessTTL()
				if kind == KindRefresh {
					ttl = tk.RefreshTTL()
				}
				assert.True(t, got.ExpiresAt.Equal(t0.Add(ttl)), "exp %s", got.ExpiresAt)
				assert.True(t, issued.ExpiresAt.Equal(got.ExpiresAt))
			}
		})
	}
}

func TestTokens_IssuedTokenCarriesPinnedHeaderAndClaims(t *testing.T) {
	t.Parallel()
	for alg, want := range map[string]jwa.SignatureAlgorithm{"HS256": jwa.HS256(), "EdDSA": jwa.EdDSA()} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tk := newTestTokens(t, alg, newFakeClock(t0).Now)
			user, sess := uuid.New(), uuid.New()
			raw, _, err := tk.Issue(KindAccess, user, sess)
			require.NoError(t, err)
			// Decode without verification only to look at what was issued.
			tok, err := jwt.ParseInsecure([]byte(raw))
			require.NoError(t, err)
			iss, _ := tok.Issuer()
			aud, _ := tok.Audience()
			sub, _ := tok.Subject()
			iat, _ := tok.IssuedAt()
			exp, _ := tok.Expiration()
			assert.Equal(t, issuer, iss)
			assert.Equal(t, []string{accessAudience}, aud)
			assert.Equal(t, user.String(), sub)
			assert.Equal(t, 15*time.Minute, exp.Sub(iat), "access lifetime")
			var sid, typ string
			require.NoError(t, tok.Get("sid", &sid))
			require.NoError(t, tok.Get("typ", &typ))
			assert.Equal(t, sess.String(), sid)
			assert.Equal(t, KindAccess, typ)

			header, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
			require.NoError(t, err)
			assert.Contains(t, string(header), `"alg":"`+want.String()+`"`)
		})
	}
}

func TestTokens_ExpiredTokenRejected(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock(t0)
			tk := newTestTokens(t, alg, clock.Now)
			for _, kind := range []string{KindAccess, KindRefresh} {
				clock.Set(t0)
				raw, c, err := tk.Issue(kind, uuid.New(), uuid.New())
				require.NoError(t, err)

				// Inside the accepted clock skew after exp: still valid.
				clock.Set(c.ExpiresAt.Add(clockSkew - time.Second))
				_, err = tk.Verify(kind, raw)
				assert.NoError(t, err, "%s within skew after exp", kind)

				// One second past exp + skew: rejected.
				clock.Set(c.ExpiresAt.Add(clockSkew + time.Second))
				_, err = tk.Verify(kind, raw)
				assert.ErrorIs(t, err, ErrInvalidToken, "%s past exp", kind)

				clock.Set(c.ExpiresAt.Add(24 * time.Hour))
				_, err = tk.Verify(kind, raw)
				assert.ErrorIs(t, err, ErrInvalidToken, "%s long past exp", kind)
			}
		})
	}
}

func TestTokens_NotBeforeAndIssuedAtInTheFutureRejected(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	tk := newTestTokens(t, "HS256", clock.Now)
	future := t0.Add(time.Hour)
	inSkew := t0.Add(clockSkew - time.Second)
	pastSkew := t0.Add(clockSkew + time.Second)
	far := func(tok jwt.Token) { set(jwt.ExpirationKey, t0.Add(2*time.Hour))(tok) }

	cases := []struct {
		name   string
		mutate func(jwt.Token)
		ok     bool
	}{
		{"nbf an hour ahead", func(tok jwt.Token) { far(tok); set(jwt.NotBeforeKey, future)(tok) }, false},
		{"iat an hour ahead", func(tok jwt.Token) { far(tok); set(jwt.IssuedAtKey, future)(tok) }, false},
		{"nbf just past the skew", func(tok jwt.Token) { set(jwt.NotBeforeKey, pastSkew)(tok) }, false},
		{"iat just past the skew", func(tok jwt.Token) { set(jwt.IssuedAtKey, pastSkew)(tok) }, false},
		{"nbf within the skew", func(tok jwt.Token) { set(jwt.NotBeforeKey, inSkew)(tok) }, true},
		{"iat within the skew", func(tok jwt.Token) { set(jwt.IssuedAtKey, inSkew)(tok) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tk.Verify(KindAccess, craft(t, tk, KindAccess, tc.mutate))
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidToken)
			}
		})
	}

	// A token issued by a server whose clock runs an hour ahead is not valid yet here.
	ahead := newTestTokens(t, "HS256", func() time.Time { return future })
	raw, _, err := ahead.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	_, err = tk.Verify(KindAccess, raw)
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestTokens_CraftedTokenWithAllClaimsVerifies(t *testing.T) {
	t.Parallel()
	// The control for the rejection tests below: craft without a mutation is accepted.
	for _, alg := range []string{"HS256", "EdDSA"} {
		tk := newTestTokens(t, alg, newFakeClock(t0).Now)
		for _, kind := range []string{KindAccess, KindRefresh} {
			_, err := tk.Verify(kind, craft(t, tk, kind, nil))
			assert.NoError(t, err, "%s %s", alg, kind)
		}
	}
}

func TestTokens_MissingOrWrongClaimsRejected(t *testing.T) {
	t.Parallel()
	cases := map[string]func(jwt.Token){
		"missing exp":     remove(jwt.ExpirationKey),
		"missing sub":     remove(jwt.SubjectKey),
		"missing jti":     remove(jwt.JwtIDKey),
		"missing iss":     remove(jwt.IssuerKey),
		"missing aud":     remove(jwt.AudienceKey),
		"missing sid":     remove("sid"),
		"missing typ":     remove("typ"),
		"wrong iss":       set(jwt.IssuerKey, "someone-else"),
		"iss other case":  set(jwt.IssuerKey, strings.ToUpper(issuer)),
		"wrong aud":       set(jwt.AudienceKey, []string{"another-api"}),
		"refresh aud":     set(jwt.AudienceKey, []string{refreshAudience}),
		"wrong typ":       set("typ", KindRefresh),
		"sub not a uuid":  set(jwt.SubjectKey, "admin"),
		"sid not a uuid":  set("sid", "not-a-session"),
		"sid is a number": set("sid", 42),
		"typ is a number": set("typ", 1),
		"exp in the past": set(jwt.ExpirationKey, t0.Add(-time.Hour)),
		"nbf in the future": func(tok jwt.Token) {
			set(jwt.NotBeforeKey, t0.Add(time.Hour))(tok)
			set(jwt.ExpirationKey, t0.Add(2*time.Hour))(tok)
		},
	}
	for _, alg := range []string{"HS256", "EdDSA"} {
		tk := newTestTokens(t, alg, newFakeClock(t0).Now)
		for name, mutate := range cases {
			t.Run(alg+"/"+name, func(t *testing.T) {
				raw := craft(t, tk, KindAccess, mutate)
				_, err := tk.Verify(KindAccess, raw)
				assert.ErrorIs(t, err, ErrInvalidToken)
			})
		}
	}
}

func TestTokens_WrongAlgorithmRejected(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	hs := newTestTokens(t, "HS256", clock.Now)
	ed := newTestTokens(t, "EdDSA", clock.Now)

	hsToken, _, err := hs.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	edToken, _, err := ed.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)

	t.Run("HS256 token to EdDSA verifier", func(t *testing.T) {
		_, err := ed.Verify(KindAccess, hsToken)
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
	t.Run("EdDSA token to HS256 verifier", func(t *testing.T) {
		_, err := hs.Verify(KindAccess, edToken)
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
	t.Run("alg none", func(t *testing.T) {
		for _, tk := range []*Tokens{hs, ed} {
			tok, err := jwt.ParseInsecure([]byte(craft(t, tk, KindAccess, nil)))
			require.NoError(t, err)
			unsigned, err := jwt.Sign(tok, jwt.WithInsecureNoSignature())
			require.NoError(t, err)
			_, err = tk.Verify(KindAccess, string(unsigned))
			assert.ErrorIs(t, err, ErrInvalidToken)
			// The same with the signature part dropped entirely, and with a hand-made header.
			parts := strings.Split(string(unsigned), ".")
			_, err = tk.Verify(KindAccess, parts[0]+"."+parts[1])
			assert.ErrorIs(t, err, ErrInvalidToken)
			for _, alg := range []string{"none", "None", "NONE"} {
				h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
				_, err = tk.Verify(KindAccess, h+"."+parts[1]+".")
				assert.ErrorIs(t, err, ErrInvalidToken, alg)
			}
		}
	})
	t.Run("HS256 MAC keyed with the EdDSA public key", func(t *testing.T) {
		// Key confusion: the attacker knows the public key and uses its bytes as an HMAC secret.
		pub := ed.verifyKey.(ed25519.PublicKey)
		tok, err := jwt.ParseInsecure([]byte(craft(t, ed, KindAccess, nil)))
		require.NoError(t, err)
		forged, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), []byte(pub)))
		require.NoError(t, err)
		_, err = ed.Verify(KindAccess, string(forged))
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
	t.Run("HS512 and HS384 with the right secret", func(t *testing.T) {
		tok, err := jwt.ParseInsecure([]byte(craft(t, hs, KindAccess, nil)))
		require.NoError(t, err)
		for _, alg := range []jwa.SignatureAlgorithm{jwa.HS384(), jwa.HS512()} {
			forged, err := jwt.Sign(tok, jwt.WithKey(alg, []byte(testHSSecret)))
			require.NoError(t, err)
			_, err = hs.Verify(KindAccess, string(forged))
			assert.ErrorIs(t, err, ErrInvalidToken, alg.String())
		}
	})
	t.Run("EdDSA token signed by another Ed25519 key", func(t *testing.T) {
		_, other, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		tok, err := jwt.ParseInsecure([]byte(craft(t, ed, KindAccess, nil)))
		require.NoError(t, err)
		forged, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), other))
		require.NoError(t, err)
		_, err = ed.Verify(KindAccess, string(forged))
		assert.ErrorIs(t, err, ErrInvalidToken)
	})
}

func TestTokens_TamperedTokenRejected(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tk := newTestTokens(t, alg, newFakeClock(t0).Now)
			raw, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
			require.NoError(t, err)
			parts := strings.Split(raw, ".")
			require.Len(t, parts, 3)

			// Flip a character in the middle of the signature (the last one may only carry
			// padding bits).
			sig := []byte(parts[2])
			i := len(sig) / 2
			if sig[i] == 'A' {
				sig[i] = 'B'
			} else {
				sig[i] = 'A'
			}
			_, err = tk.Verify(KindAccess, parts[0]+"."+parts[1]+"."+string(sig))
			assert.ErrorIs(t, err, ErrInvalidToken, "tampered signature")

			// Another user's id in the payload, original signature kept.
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			require.NoError(t, err)
			tok, err := jwt.ParseInsecure([]byte(raw))
			require.NoError(t, err)
			sub, _ := tok.Subject()
			forged := strings.Replace(string(payload), sub, uuid.NewString(), 1)
			require.NotEqual(t, string(payload), forged)
			_, err = tk.Verify(KindAccess, parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(forged))+"."+parts[2])
			assert.ErrorIs(t, err, ErrInvalidToken, "tampered payload")

			// Empty signature, garbage and malformed shapes.
			for _, bad := range []string{
				parts[0] + "." + parts[1] + ".",
				"", "garbage", "a.b", "a.b.c", "a.b.c.d", raw + ".x", raw + "=",
				parts[0] + "." + parts[1] + " ." + parts[2],
				" " + raw, raw + " ", raw + "\n", parts[0] + "=." + parts[1] + "." + parts[2],
				parts[0] + "." + parts[1] + "." + parts[2] + "==",
				parts[0] + "." + parts[1] + "." + strings.Repeat("A", 5000),
			} {
				_, err = tk.Verify(KindAccess, bad)
				assert.ErrorIs(t, err, ErrInvalidToken, "%q", bad)
			}
		})
	}
}

func TestTokens_WrongSecretRejected(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	tk := newTestTokens(t, "HS256", clock.Now)
	other, err := NewTokens(TokenConfig{Secret: strings.Repeat("x", 40), AccessTTL: time.Minute, RefreshTTL: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	raw, _, err := other.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	_, err = tk.Verify(KindAccess, raw)
	assert.ErrorIs(t, err, ErrInvalidToken)

	otherSeed := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	ed := newTestTokens(t, "EdDSA", clock.Now)
	otherEd, err := NewTokens(TokenConfig{Algorithm: "EdDSA", Secret: otherSeed, AccessTTL: time.Minute, RefreshTTL: time.Hour, Now: clock.Now})
	require.NoError(t, err)
	raw, _, err = otherEd.Issue(KindAccess, uuid.New(), uuid.New())
	require.NoError(t, err)
	_, err = ed.Verify(KindAccess, raw)
	assert.ErrorIs(t, err, ErrInvalidToken)
}

func TestTokens_AccessAndRefreshAreNotInterchangeable(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			tk := newTestTokens(t, alg, newFakeClock(t0).Now)
			access, _, err := tk.Issue(KindAccess, uuid.New(), uuid.New())
			require.NoError(t, err)
			refresh, _, err := tk.Issue(KindRefresh, uuid.New(), uuid.New())
			require.NoError(t, err)

			_, err = tk.Verify(KindRefresh, access)
			assert.ErrorIs(t, err, ErrInvalidToken, "access token used as refresh token")
			_, err = tk.Verify(KindAccess, refresh)
			assert.ErrorIs(t, err, ErrInvalidToken, "refresh token used as access token")

			// Neither the audience nor the typ claim alone makes a token the other kind.
			_, err = tk.Verify(KindRefresh, craft(t, tk, KindAccess, set("typ", KindRefresh)))
			assert.ErrorIs(t, err, ErrInvalidToken, "access audience with refresh typ")
			_, err = tk.Verify(KindRefresh, craft(t, tk, KindAccess, set(jwt.AudienceKey, []string{refreshAudience})))
			assert.ErrorIs(t, err, ErrInvalidToken, "refresh audience with access typ")

			_, err = tk.Verify("something-else", access)
			assert.ErrorIs(t, err, ErrInvalidToken, "unknown kind")
		})
	}
}

func TestNewTokens_RefusesWeakOrUnknownConfiguration(t *testing.T) {
	t.Parallel()
	ok := TokenConfig{Secret: strings.Repeat("s", 32), AccessTTL: time.Minute, RefreshTTL: time.Hour}
	_, err := NewTokens(ok)
	require.NoError(t, err, "a 32-character secret is enough")

	with := func(f func(*TokenConfig)) TokenConfig {
		c := ok
		f(&c)
		return c
	}
	cases := map[string]TokenConfig{
		"HS256 secret of 31 characters": with(func(c *TokenConfig) { c.Secret = strings.Repeat("s", 31) }),
		"explicit HS256, short secret":  with(func(c *TokenConfig) { c.Algorithm, c.Secret = "HS256", "short" }),
		"empty secret":                  with(func(c *TokenConfig) { c.Secret = "" }),
		"algorithm none":                with(func(c *TokenConfig) { c.Algorithm = "none" }),
		"algorithm RS256":               with(func(c *TokenConfig) { c.Algorithm = "RS256" }),
		"algorithm HS512":               with(func(c *TokenConfig) { c.Algorithm = "HS512" }),
		"algorithm nonsense":            with(func(c *TokenConfig) { c.Algorithm = "rot13" }),
		"EdDSA seed not base64":         with(func(c *TokenConfig) { c.Algorithm, c.Secret = "EdDSA", "not base64!!" }),
		"EdDSA seed of 31 bytes": with(func(c *TokenConfig) {
			c.Algorithm, c.Secret = "EdDSA", base64.StdEncoding.EncodeToString(make([]byte, 31))
		}),
		"EdDSA seed of 64 bytes": with(func(c *TokenConfig) {
			c.Algorithm, c.Secret = "EdDSA", base64.StdEncoding.EncodeToString(make([]byte, 64))
		}),
		"zero access lifetime":      with(func(c *TokenConfig) { c.AccessTTL = 0 }),
		"negative refresh lifetime": with(func(c *TokenConfig) { c.RefreshTTL = -time.Hour }),
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			tk, err := NewTokens(cfg)
			assert.Error(t, err)
			assert.Nil(t, tk)
		})
	}

	ed, err := NewTokens(with(func(c *TokenConfig) { c.Algorithm, c.Secret = "EdDSA", testEdSeed }))
	require.NoError(t, err, "EdDSA with a base64 32-byte seed")
	assert.Equal(t, time.Minute, ed.AccessTTL())
	assert.Equal(t, time.Hour, ed.RefreshTTL())
}

func TestHashJTI_IsStableAndDistinct(t *testing.T) {
	t.Parallel()
	a, b := uuid.NewString(), uuid.NewString()
	assert.Len(t, HashJTI(a), 32)
	assert.Equal(t, HashJTI(a), HashJTI(a))
	assert.NotEqual(t, HashJTI(a), HashJTI(b))
	assert.NotContains(t, string(HashJTI(a)), a, "the stored value is not the jti itself")
}
