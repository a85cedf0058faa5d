package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsAddr_OffUnlessAListenAddressIsGiven(t *testing.T) {
	t.Setenv("METRICS_ADDR", "")
	c, err := FromEnv()
	require.NoError(t, err)
	assert.Empty(t, c.MetricsAddr, "metrics are never served unless asked for")

	for _, ok := range []string{"127.0.0.1:9090", ":9090", "[::1]:9090"} {
		t.Setenv("METRICS_ADDR", ok)
		c, err := FromEnv()
		require.NoError(t, err, ok)
		assert.Equal(t, ok, c.MetricsAddr)
	}
	for _, bad := range []string{"9090", "127.0.0.1", "http://127.0.0.1:9090/metrics", "127.0.0.1:"} {
		t.Setenv("METRICS_ADDR", bad)
		_, err := FromEnv()
		assert.ErrorContains(t, err, "METRICS_ADDR", bad)
	}
}
