package httpapi

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientAddr_Extractor(t *testing.T) {
	t.Parallel()
	_, lb, err := net.ParseCIDR("192.0.2.0/24")
	require.NoError(t, err)
	cases := []struct {
		name    string
		trusted []*net.IPNet
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the peer", nil, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"no proxies: a private peer is still the peer", nil, "10.1.2.3:4000", []string{"198.51.100.1"}, "10.1.2.3"},
		{"trusted peer: right-most untrusted entry", []*net.IPNet{lb}, "192.0.2.10:4000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"trusted hops are skipped", []*net.IPNet{lb}, "192.0.2.10:4000", []string{"198.51.100.1, 192.0.2.11"}, "198.51.100.1"},
		{"several header lines", []*net.IPNet{lb}, "192.0.2.10:4000", []string{"1.1.1.1", "198.51.100.1"}, "198.51.100.1"},
		{"untrusted peer: its header is ignored", []*net.IPNet{lb}, "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"private peer is not trusted by default", []*net.IPNet{lb}, "10.1.2.3:4000", []string{"198.51.100.1"}, "10.1.2.3"},
		{"loopback peer is not trusted by default", []*net.IPNet{lb}, "127.0.0.1:4000", []string{"198.51.100.1"}, "127.0.0.1"},
		{"garbage in the header: the peer", []*net.IPNet{lb}, "192.0.2.10:4000", []string{"not-an-ip"}, "192.0.2.10"},
		{"IPv6 client", []*net.IPNet{lb}, "192.0.2.10:4000", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		assert.Equal(t, c.want, ipExtractor(c.trusted)(r), c.name)
	}
}
