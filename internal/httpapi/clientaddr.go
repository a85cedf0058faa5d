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

// clientKey holds the client's address (echo's RealIP through ipExtractor) and User-Agent header
// in the request's context, set by requestContext, for the strict handlers, which see only the
// context.
type clientKey struct{}

// clientInfo is what clientKey holds.
type clientInfo struct {
	addr      string
	userAgent string
}

// withClient stores the client's address and User-Agent in ctx.
func withClient(ctx context.Context, addr, userAgent string) context.Context {
	return context.WithValue(ctx, clientKey{}, clientInfo{addr: addr, userAgent: userAgent})
}

// clientAddrFrom returns the client's address ("" when there is none).
func clientAddrFrom(ctx context.Context) string {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci.addr
}

// userAgentFrom returns the client's User-Agent header ("" when there is none).
func userAgentFrom(ctx context.Context) string {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci.userAgent
}
