package httpapi

import (
	"context"
	"net"

	"github.com/labstack/echo/v4"
)

// ipExtractor is how the service finds the client's address: the socket peer, unless trusted
// proxies are configured (TRUSTED_PROXIES); then the right-most X-Forwarded-For entry that is not
// one of them. Only the configured ranges are trusted — not echo's defaults (loopback, private and
// link-local networks), which would let anyone on such a network name any address.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

type clientAddrKey struct{}

// clientAddr puts the client's address (echo's RealIP through ipExtractor) into the request's
// context, for the strict handlers, which see only the context.
func clientAddr(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, c.RealIP())))
		return next(c)
	}
}

// clientAddrFrom returns the address clientAddr stored ("" when there is none).
func clientAddrFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}
