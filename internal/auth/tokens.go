package auth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Token kinds. Each has its own audience and "typ" claim, so neither is ever accepted as the other.
const (
	KindAccess  = "access"
	KindRefresh = "refresh"
)

const (
	issuer          = "minicrm"
	accessAudience  = "minicrm-api"
	refreshAudience = "minicrm-refresh"
	clockSkew       = 30 * time.Second
)

// isCompactJWS reports whether s has the only token shape accepted: three unpadded base64url
// segments (the regexp ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$, compactJWS in the tests,
// which hold the two equal). The JWT parser is more lenient (surrounding whitespace, "=" padding),
// which would let one token be spelled in many ways; maxTokenLength bounds the work spent on a
// hostile header. One pass without the regexp engine, which took a fifth of Verify's time
// (BenchmarkCompactJWS).
func isCompactJWS(s string) bool {
	dots, segment := 0, 0 // dots seen, length of the current segment
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
			segment++
		case c == '.':
			if segment == 0 || dots == 2 {
				return false
			}
			dots, segment = dots+1, 0
		default:
			return false
		}
	}
	return dots == 2 && segment > 0
}

const maxTokenLength = 4096

// ErrInvalidToken is returned for any token that fails to parse, verify or validate. The reason is
// deliberately not distinguished for callers.
var ErrInvalidToken = errors.New("invalid token")

// Claims are what the service reads back from a verified token.
type Claims struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	ID        string // jti
	ExpiresAt time.Time
}

// TokenConfig configures a Tokens.
type TokenConfig struct {
	Algorithm  string // "HS256" (default) or "EdDSA"
	Secret     string // HS256: the shared secret (>= 32 bytes); EdDSA: base64 of a 32-byte Ed25519 seed
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Now        func() time.Time // for tests; defaults to time.Now
}

// Tokens issues and verifies the service's JWTs with one pinned algorithm.
type Tokens struct {
	alg        jwa.SignatureAlgorithm
	signKey    any
	verifyKey  any
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	cache      *verifiedCache
}

// NewTokens validates cfg and returns a Tokens.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	t := &Tokens{accessTTL: cfg.AccessTTL, refreshTTL: cfg.RefreshTTL, now: cfg.Now,
		cache: newVerifiedCache(VerifiedCacheSize)}
	if t.now == nil {
		t.now = time.Now
	}
	if t.accessTTL <= 0 || t.refreshTTL <= 0 {
		return nil, errors.New("token lifetimes must be positive")
	}
	switch cfg.Algorithm {
	case "", "HS256":
		if len(cfg.Secret) < 32 {
			return nil, errors.New("JWT_SECRET_KEY must be at least 32 characters for HS256")
		}
		t.alg, t.signKey, t.verifyKey = jwa.HS256(), []byte(cfg.Secret), []byte(cfg.Secret)
	case "EdDSA":
		seed, err := base64.StdEncoding.DecodeString(cfg.Secret)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("JWT_SECRET_KEY must be the base64 of a 32-byte Ed25519 seed for EdDSA")
		}
		priv := ed25519.NewKeyFromSeed(seed)
		t.alg, t.signKey, t.verifyKey = jwa.EdDSA(), priv, priv.Public()
	default:
		return nil, fmt.Errorf("JWT_ALGORITHM %q is not supported (HS256 or EdDSA)", cfg.Algorithm)
	}
	return t, nil
}

// AccessTTL is the access token lifetime.
func (t *Tokens) AccessTTL() time.Duration { return t.accessTTL }

// RefreshTTL is the refresh token (and session) lifetime.
func (t *Tokens) RefreshTTL() time.Duration { return t.refreshTTL }

// Issue signs a token of the given kind for a user's session and returns it with its claims.
func (t *Tokens) Issue(kind string, userID, sessionID uuid.UUID) (string, Claims, error) {
	jti, err := uuid.NewV7()
	if err != nil {
		return "", Claims{}, err
	}
	return t.issue(kind, userID, sessionID, jti.String())
}

// NextRefreshJTI is the jti of the refresh token that rotation issues in exchange for the refresh
// token jti of session sid. It is derived, not random, so that the token rotated last, presented
// again within the reuse leeway, gets the very refresh token (the same jti) the rotation issued.
// Knowing it gains nothing: a token is only accepted with the service's signature.
func NextRefreshJTI(sid uuid.UUID, jti string) string {
	return uuid.NewSHA1(sid, []byte("refresh-rotation:"+jti)).String()
}

func (t *Tokens) issue(kind string, userID, sessionID uuid.UUID, jti string) (string, Claims, error) {
	ttl, aud := t.accessTTL, accessAudience
	if kind == KindRefresh {
		ttl, aud = t.refreshTTL, refreshAudience
	}
	now := t.now().UTC().Truncate(time.Second)
	c := Claims{UserID: userID, SessionID: sessionID, ID: jti, ExpiresAt: now.Add(ttl)}
	tok, err := jwt.NewBuilder().
		Issuer(issuer).
		Audience([]string{aud}).
		Subject(userID.String()).
		IssuedAt(now).
		NotBefore(now).
		Expiration(c.ExpiresAt).
		JwtID(c.ID).
		Claim("sid", sessionID.String()).
		Claim("typ", kind).
		Build()
	if err != nil {
		return "", Claims{}, fmt.Errorf("build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(t.alg, t.signKey))
	if err != nil {
		return "", Claims{}, fmt.Errorf("sign token: %w", err)
	}
	return string(signed), c, nil
}

// Verify checks signature, algorithm, issuer, audience, lifetime and kind of a token.
func (t *Tokens) Verify(kind, raw string) (Claims, error) {
	c, _, err := t.verify(kind, raw)
	return c, err
}

// tokenTruncation is the precision of the lifetime checks, pinned in verify and used by the
// verified-token cache for the same comparisons.
const tokenTruncation = time.Second

// verify is Verify, also returning the token's lifetime claims for the verified-token cache.
func (t *Tokens) verify(kind, raw string) (Claims, lifetime, error) {
	if len(raw) > maxTokenLength || !isCompactJWS(raw) {
		return Claims{}, lifetime{}, ErrInvalidToken
	}
	aud := accessAudience
	if kind == KindRefresh {
		aud = refreshAudience
	}
	tok, err := jwt.ParseString(raw,
		jwt.WithKey(t.alg, t.verifyKey),
		jwt.WithValidate(true),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(aud),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
		jwt.WithAcceptableSkew(clockSkew),
		jwt.WithTruncation(tokenTruncation),
		jwt.WithClock(jwt.ClockFunc(t.now)),
	)
	if err != nil {
		return Claims{}, lifetime{}, ErrInvalidToken
	}
	var typ, sid string
	if tok.Get("typ", &typ) != nil || typ != kind || tok.Get("sid", &sid) != nil {
		return Claims{}, lifetime{}, ErrInvalidToken
	}
	sub, _ := tok.Subject()
	jti, _ := tok.JwtID()
	exp, _ := tok.Expiration()
	var c Claims
	if c.UserID, err = uuid.Parse(sub); err != nil {
		return Claims{}, lifetime{}, ErrInvalidToken
	}
	if c.SessionID, err = uuid.Parse(sid); err != nil {
		return Claims{}, lifetime{}, ErrInvalidToken
	}
	c.ID, c.ExpiresAt = jti, exp
	lt := lifetime{exp: exp.Truncate(tokenTruncation)}
	if iat, ok := tok.IssuedAt(); ok {
		lt.iat, lt.hasIat = iat.Truncate(tokenTruncation), true
	}
	if nbf, ok := tok.NotBefore(); ok {
		lt.nbf, lt.hasNbf = nbf.Truncate(tokenTruncation), true
	}
	return c, lt, nil
}

// HashJTI is what the database stores of a refresh token: enough to recognise it, useless if leaked.
func HashJTI(jti string) []byte {
	sum := sha256.Sum256([]byte(jti))
	return sum[:]
}
