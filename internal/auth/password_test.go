package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPassword_HashThenCheckAcceptsTheRightPassword(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"correct horse battery staple", "пароль-🔐-密码-long enough", strings.Repeat("x", 128)} {
		h, err := HashPassword(t.Context(), pw)
		require.NoError(t, err)
		ok, err := CheckPassword(t.Context(), pw, h)
		require.NoError(t, err)
		assert.True(t, ok, "%q", pw)
	}
}

func TestPassword_WrongPasswordIsFalse(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery staple"
	h, err := HashPassword(t.Context(), pw)
	require.NoError(t, err)
	for _, wrong := range []string{
		"", "correct horse battery stapl", "Correct horse battery staple", " " + pw, pw + " ",
		strings.ToUpper(pw), pw + pw,
	} {
		ok, err := CheckPassword(t.Context(), wrong, h)
		require.NoError(t, err)
		assert.False(t, ok, "%q must not match", wrong)
	}
}

func TestPassword_NoTruncationOfLongPasswords(t *testing.T) {
	t.Parallel()
	// bcrypt silently ignores everything after 72 bytes; argon2id must not.
	long := strings.Repeat("a", 72) + "-tail"
	h, err := HashPassword(t.Context(), long)
	require.NoError(t, err)
	ok, err := CheckPassword(t.Context(), long[:72], h)
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestPassword_HashIsArgon2idWithOWASPParameters(t *testing.T) {
	t.Parallel()
	h, err := HashPassword(t.Context(), "correct horse battery staple")
	require.NoError(t, err)
	// PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
	parts := strings.Split(h, "$")
	require.Len(t, parts, 6, h)
	assert.Equal(t, "", parts[0])
	assert.Equal(t, "argon2id", parts[1])
	assert.Equal(t, "v=19", parts[2])
	assert.Equal(t, "m=19456,t=2,p=1", parts[3])
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	require.NoError(t, err)
	assert.Len(t, salt, 16, "salt length")
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	require.NoError(t, err)
	assert.Len(t, key, 32, "key length")
	assert.NotContains(t, h, "correct horse")
}

func TestPassword_SamePasswordHashesDiffer(t *testing.T) {
	t.Parallel()
	a, err := HashPassword(t.Context(), "correct horse battery staple")
	require.NoError(t, err)
	b, err := HashPassword(t.Context(), "correct horse battery staple")
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "a fresh salt per hash")
	assert.NotEqual(t, strings.Split(a, "$")[4], strings.Split(b, "$")[4], "salts differ")
	for _, h := range []string{a, b} {
		ok, err := CheckPassword(t.Context(), "correct horse battery staple", h)
		require.NoError(t, err)
		assert.True(t, ok)
	}
}

func TestPassword_MalformedHashIsAnError(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "plaintext", "$argon2id$v=19$m=19456,t=2,p=1$", "$2a$10$abcdefghijklmnopqrstuv"} {
		ok, err := CheckPassword(t.Context(), "whatever", bad)
		assert.Error(t, err, "%q", bad)
		assert.False(t, ok)
	}
}

func TestPassword_BurnCostsARealCheck(t *testing.T) {
	t.Parallel()
	require.NoError(t, defaultHasher.Burn(t.Context(), "any password"))
	require.NoError(t, defaultHasher.Burn(t.Context(), ""))
	assert.NotEmpty(t, dummyHash, "the throw-away hash exists after the first burn")
	ok, err := CheckPassword(t.Context(), "dummy password for timing equalisation", dummyHash)
	require.NoError(t, err)
	assert.True(t, ok, "the dummy hash is a real argon2id hash, so the burn costs a real check")
}
