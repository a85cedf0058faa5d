package config

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withSecret(s string) Config { return Config{JWTSecret: s} }

// envExampleSecret is the JWT_SECRET_KEY line of the repository's .env.example.
func envExampleSecret(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", ".env.example"))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "JWT_SECRET_KEY="); ok {
			return v
		}
	}
	t.Fatal(".env.example has no JWT_SECRET_KEY line")
	return ""
}

func TestRequireJWT_RefusesPlaceholders(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		envExampleSecret(t),
		"change-me-to-a-long-random-secret",
		"changeme", "CHANGEME", "change_me", "secret", "Secret", "password", "your-secret-key",
		"jwt-secret", "supersecret",
		"changeme-changeme-changeme-changeme-xyz",
		"please-change-me-this-is-not-a-real-secret",
		"REPLACE_ME_WITH_A_LONG_RANDOM_VALUE_1234567",
	} {
		err := withSecret(s).RequireJWT()
		require.Error(t, err, "%q", s)
		assert.Contains(t, err.Error(), "JWT_SECRET_KEY", "%q", s)
	}
	err := withSecret(envExampleSecret(t)).RequireJWT()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "placeholder", "the message says why")
	assert.Contains(t, err.Error(), "/dev/urandom", "and how to make a good one")
}

func TestRequireJWT_RefusesShortAndLowEntropySecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"   ",
		"k9T$w2!Lq0zR#v7Xb4@Nc8&Hm1^Jd5", // 30 random characters: too short
		strings.Repeat("a", 64),
		strings.Repeat("ab", 32),
		strings.Repeat("0123456789abcdef", 2),      // one unit, repeated
		strings.Repeat("xk3", 15),                  // one unit, repeated
		"abcdefghijklmnopqrstuvwxyz012345",         // a run of consecutive characters
		"01234567890123456789012345678901234567",   // few distinct characters, repeated
		strings.Repeat("a", 55) + "1234567890",     // almost one character
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=", // base64 of a constant seed
		base64.StdEncoding.EncodeToString(make([]byte, 32)),
	} {
		assert.Error(t, withSecret(s).RequireJWT(), "%q", s)
	}
	err := withSecret("short").RequireJWT()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "32")
}

// Real random secrets, in every form the README and the tools produce, always pass.
func TestRequireJWT_AcceptsRandomSecrets(t *testing.T) {
	t.Parallel()
	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for range 2000 {
		for _, s := range []string{
			hex.EncodeToString(random(32)),                // make run, scripts/with-service.sh
			hex.EncodeToString(random(16)),                // openssl rand -hex 16: 32 characters
			base64.StdEncoding.EncodeToString(random(32)), // head -c 32 /dev/urandom | base64 (EdDSA seed too)
			base64.RawURLEncoding.EncodeToString(random(24)),
		} {
			require.NoError(t, withSecret(s).RequireJWT(), "%q", s)
		}
		b := random(32)
		for i := range b {
			b[i] = alnum[int(b[i])%len(alnum)]
		}
		require.NoError(t, withSecret(string(b)).RequireJWT(), "%q", b)
	}
	assert.NoError(t, withSecret("correct horse battery staple, then a violin").RequireJWT())
}

// `make run` writes .env with a generated secret; the service must accept it.
func TestRequireJWT_AcceptsTheSecretMakeGenerates(t *testing.T) {
	t.Parallel()
	makefile, err := filepath.Abs(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	example, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".env.example"), example, 0o600))
	out, err := exec.Command("make", "-s", "-C", dir, "-f", makefile, ".env").CombinedOutput()
	require.NoError(t, err, "%s", out)
	env, err := os.ReadFile(filepath.Join(dir, ".env"))
	require.NoError(t, err)
	var secret string
	for line := range strings.SplitSeq(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "JWT_SECRET_KEY="); ok {
			secret = v
		}
	}
	require.NotEmpty(t, secret)
	assert.NotEqual(t, envExampleSecret(t), secret)
	assert.NoError(t, withSecret(secret).RequireJWT())
}

func TestFromEnv_DatabaseTimeouts(t *testing.T) {
	for _, tc := range []struct {
		statement, lock         string
		wantStatement, wantLock time.Duration
	}{
		{"", "", 5 * time.Second, 2 * time.Second},
		{"1m30s", "250ms", 90 * time.Second, 250 * time.Millisecond},
		{"0", "0s", 0, 0}, // 0 leaves it to the server
	} {
		t.Setenv("DB_STATEMENT_TIMEOUT", tc.statement)
		t.Setenv("DB_LOCK_TIMEOUT", tc.lock)
		c, err := FromEnv()
		require.NoError(t, err)
		assert.Equal(t, tc.wantStatement, c.DBStatementTimeout, tc.statement)
		assert.Equal(t, tc.wantLock, c.DBLockTimeout, tc.lock)
	}

	for _, bad := range []string{"-1s", "5", "soon", "500us"} {
		t.Setenv("DB_LOCK_TIMEOUT", bad)
		_, err := FromEnv()
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "DB_LOCK_TIMEOUT", bad)
	}
}

func TestFromEnv_Webhooks(t *testing.T) {
	t.Setenv("WEBHOOK_ALLOW_HTTP", "")
	t.Setenv("WEBHOOK_ALLOW_PRIVATE", "")
	t.Setenv("WEBHOOK_WORKERS", "")
	c, err := FromEnv()
	require.NoError(t, err)
	assert.False(t, c.WebhookAllowHTTP, "https only by default")
	assert.False(t, c.WebhookAllowPrivate, "public destinations only by default")
	assert.Equal(t, 4, c.WebhookWorkers)

	t.Setenv("WEBHOOK_ALLOW_HTTP", "true")
	t.Setenv("WEBHOOK_ALLOW_PRIVATE", "1")
	t.Setenv("WEBHOOK_WORKERS", "16")
	c, err = FromEnv()
	require.NoError(t, err)
	assert.True(t, c.WebhookAllowHTTP)
	assert.True(t, c.WebhookAllowPrivate)
	assert.Equal(t, 16, c.WebhookWorkers)

	t.Setenv("WEBHOOK_WORKERS", "0")
	c, err = FromEnv()
	require.NoError(t, err)
	assert.Equal(t, 0, c.WebhookWorkers, "crm serve only queues the deliveries")

	for key, bad := range map[string]string{"WEBHOOK_ALLOW_HTTP": "yes please", "WEBHOOK_WORKERS": "-1"} {
		t.Setenv(key, bad)
		_, err := FromEnv()
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key)
		t.Setenv(key, "")
	}
}
