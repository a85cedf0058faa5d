package config

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromEnv_LoginAndSessionAbuseDefaults(t *testing.T) {
	for _, k := range []string{"LOGIN_MAX_FAILURES_PER_ADDRESS", "TRUSTED_PROXIES", "REFRESH_REUSE_LEEWAY_SECONDS", "PASSWORD_HASH_QUEUE_SIZE"} {
		t.Setenv(k, "")
	}
	c, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, 100, c.LoginMaxFailuresPerAddress)
	assert.Empty(t, c.TrustedProxies, "the socket peer is the client unless proxies are configured")
	assert.Equal(t, 10*time.Second, c.RefreshReuseLeeway)
	assert.Zero(t, c.PasswordHashQueue, "0: the default queue")

	t.Setenv("LOGIN_MAX_FAILURES_PER_ADDRESS", "250")
	t.Setenv("TRUSTED_PROXIES", " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,")
	t.Setenv("REFRESH_REUSE_LEEWAY_SECONDS", "0")
	t.Setenv("PASSWORD_HASH_QUEUE_SIZE", "64")
	c, err = FromEnv()
	require.NoError(t, err)
	assert.Equal(t, 250, c.LoginMaxFailuresPerAddress)
	require.Len(t, c.TrustedProxies, 3)
	assert.Equal(t, "10.0.0.0/8", c.TrustedProxies[0].String())
	assert.Equal(t, "192.0.2.7/32", c.TrustedProxies[1].String(), "a single address is its own /32")
	assert.Equal(t, "2001:db8::/32", c.TrustedProxies[2].String())
	assert.True(t, c.TrustedProxies[1].Contains(net.ParseIP("192.0.2.7")))
	assert.Zero(t, c.RefreshReuseLeeway, "0 disables the leeway")
	assert.Equal(t, 64, c.PasswordHashQueue)
}

func TestFromEnv_LoginAndSessionAbuseRefusesNonsense(t *testing.T) {
	for key, bad := range map[string][]string{
		"LOGIN_MAX_FAILURES_PER_ADDRESS": {"0", "-1", "many"},
		"TRUSTED_PROXIES":                {"10.0.0.0/33", "proxy.internal", "10.0.0.0/8;10.1.0.0/16", "*"},
		"REFRESH_REUSE_LEEWAY_SECONDS":   {"-1", "10s", "ten"},
		"PASSWORD_HASH_QUEUE_SIZE":       {"-1", "lots"},
	} {
		for _, v := range bad {
			t.Setenv(key, v)
			_, err := FromEnv()
			assert.ErrorContains(t, err, key, "%s=%q", key, v)
		}
		t.Setenv(key, "")
	}
}
