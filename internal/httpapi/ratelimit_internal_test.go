package httpapi

import (
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
)

func TestLimits_DefaultsFollowThePool(t *testing.T) {
	d := Limits{}.withDefaults()
	assert.Equal(t, 60, d.AnonPerMinute)
	assert.Equal(t, 6000, d.OrgPerMinute)
	assert.Equal(t, 4, d.OrgMaxConcurrent, "half the smallest pool (8)")
	assert.Equal(t, 2, d.AnalyticsMaxConcurrent)
	assert.NotNil(t, d.Store)

	d = Limits{PoolSize: 20}.withDefaults()
	assert.Equal(t, 10, d.OrgMaxConcurrent)
	assert.Equal(t, 5, d.AnalyticsMaxConcurrent)

	d = Limits{PoolSize: 1}.withDefaults()
	assert.Equal(t, 1, d.OrgMaxConcurrent)
	assert.Equal(t, 1, d.AnalyticsMaxConcurrent)

	d = Limits{PoolSize: 20, OrgMaxConcurrent: 6, AnalyticsMaxConcurrent: 4}.withDefaults()
	assert.Equal(t, 6, d.OrgMaxConcurrent)
	assert.Equal(t, 4, d.AnalyticsMaxConcurrent)
}

func TestClientAddress_KeysIPv4ByAddressAndIPv6ByItsSlash64(t *testing.T) {
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	for remote, want := range map[string]string{
		"192.0.2.1:1234":              "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":     "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:1234": "2001:db8:1:2::/64",
		"[2001:db8:1:2::ffff]:1234":   "2001:db8:1:2::/64",
		"[fe80::1%25eth0]:1234":       "fe80::/64",
		"not-an-address:0":            "not-an-address",
	} {
		req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
		req.RemoteAddr = remote
		assert.Equal(t, want, clientAddress(e.NewContext(req, httptest.NewRecorder())), remote)
	}
}
