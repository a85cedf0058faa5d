package orgs

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInvitationToken_RoundTripsToItsOrganizationAndHash(t *testing.T) {
	t.Parallel()
	org := uuid.New()
	token, hash, err := newToken(org)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err, "base64url without padding")
	assert.Len(t, raw, 16+tokenSecretBytes)
	assert.GreaterOrEqual(t, tokenSecretBytes*8, 128, "at least 128 random bits")
	want := sha256.Sum256(raw)
	assert.Equal(t, want[:], hash, "the stored hash is the SHA-256 of the token")

	gotOrg, gotHash, ok := parseToken(token)
	require.True(t, ok)
	assert.Equal(t, org, gotOrg)
	assert.Equal(t, hash, gotHash)
}

func TestInvitationToken_IsFreshEveryTime(t *testing.T) {
	t.Parallel()
	org := uuid.New()
	seen := map[string]bool{}
	for range 1000 {
		token, _, err := newToken(org)
		require.NoError(t, err)
		require.False(t, seen[token], "a token repeated")
		seen[token] = true
	}
}

func TestInvitationToken_AnythingElseIsNoToken(t *testing.T) {
	t.Parallel()
	token, _, err := newToken(uuid.New())
	require.NoError(t, err)
	for name, s := range map[string]string{
		"empty":           "",
		"short":           token[:len(token)-1],
		"long":            token + "A",
		"padded":          token + "==",
		"standard base64": base64.StdEncoding.EncodeToString(make([]byte, 48)) + "+/",
		"not base64":      "not a token at all!",
		"uuid":            uuid.NewString(),
	} {
		_, _, ok := parseToken(s)
		assert.False(t, ok, name)
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Grace@Example.COM":  "grace@example.com",
		" ada@example.com\t": "ada@example.com",
		"x@y.z":              "x@y.z",
	} {
		assert.Equal(t, want, normalizeEmail(in), in)
	}
}
