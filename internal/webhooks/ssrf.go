package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Guard is the endpoint policy against server-side request forgery: an endpoint is https (unless
// AllowHTTP) and never a loopback, private, link-local, multicast or unspecified address (unless
// AllowPrivate, for development and tests). The URL is checked when a subscription is written;
// the address actually dialled is checked again on every connection, after name resolution, so a
// name that later resolves inward (DNS rebinding) is refused too.
type Guard struct {
	AllowHTTP, AllowPrivate bool
}

// ErrURL is the reason an endpoint URL is refused.
var ErrURL = errors.New("webhooks: endpoint URL refused")

// CheckURL refuses a URL that cannot be an endpoint: not absolute http(s), credentials in it, a
// scheme the policy does not allow, or a literal address (or localhost) the policy refuses.
// Names are resolved only when dialling.
func (g Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: not an absolute URL", ErrURL)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowHTTP:
	default:
		return fmt.Errorf("%w: the scheme must be https", ErrURL)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL", ErrURL)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%w: a fragment", ErrURL)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if g.AllowPrivate {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: a loopback destination", ErrURL)
	}
	if addr, err := netip.ParseAddr(host); err == nil && !public(addr) {
		return fmt.Errorf("%w: a loopback, private or link-local destination", ErrURL)
	}
	return nil
}

// public reports whether addr is a destination on the internet.
func public(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsValid() && !addr.IsLoopback() && !addr.IsPrivate() && !addr.IsLinkLocalUnicast() &&
		!addr.IsLinkLocalMulticast() && !addr.IsInterfaceLocalMulticast() && !addr.IsMulticast() &&
		!addr.IsUnspecified() && !sharedOrReserved(addr)
}

// Ranges netip does not name: carrier-grade NAT (100.64/10), IETF protocol assignments and
// benchmarking (192.0.0/24, 198.18/15), "this network" (0/8), reserved (240/4), and IPv6
// unique-local is IsPrivate already.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("64:ff9b::/96"),
}

func sharedOrReserved(addr netip.Addr) bool {
	for _, p := range reserved {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

var errDestination = errors.New("webhooks: the endpoint resolves to a loopback, private or link-local address")

// control is the dialer's last word on every address it connects to, after resolution.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !public(ap.Addr()) {
		return errDestination
	}
	return nil
}

// DeliveryTimeout is how long an endpoint has to answer: a 2xx within it is a success.
const DeliveryTimeout = 10 * time.Second

// Client is the HTTP client of deliveries: the guard on every dial, no redirects followed (a
// redirect is the endpoint's answer, not a success), no proxy from the environment, and
// DeliveryTimeout for the whole exchange.
func (g Guard) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: g.control}
	return &http.Client{
		Timeout: DeliveryTimeout,
		Transport: &http.Transport{
			DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: DeliveryTimeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
