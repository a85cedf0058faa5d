package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuard_CheckURL(t *testing.T) {
	t.Parallel()
	strict := Guard{}
	for _, ok := range []string{"https://hooks.example.com/crm", "https://93.184.216.34/x", "https://[2606:4700::1111]/"} {
		assert.NoError(t, strict.CheckURL(ok), ok)
	}
	for _, bad := range []string{
		"http://hooks.example.com/", "ftp://example.com", "/relative", "https://", "https://user:pw@example.com/",
		"https://localhost/", "https://api.localhost/", "https://127.0.0.1/", "https://10.1.2.3/", "https://172.16.0.1/",
		"https://192.168.1.1/", "https://169.254.169.254/latest/meta-data", "https://0.0.0.0/", "https://[::1]/",
		"https://[fe80::1]/", "https://[fc00::1]/", "https://[::ffff:127.0.0.1]/", "https://100.64.0.1/",
		"https://example.com/#frag",
	} {
		assert.ErrorIs(t, strict.CheckURL(bad), ErrURL, bad)
	}
	dev := Guard{AllowHTTP: true, AllowPrivate: true}
	assert.NoError(t, dev.CheckURL("http://127.0.0.1:8080/hook"))
	assert.ErrorIs(t, Guard{AllowHTTP: true}.CheckURL("http://127.0.0.1:8080/hook"), ErrURL)
}

// The dial itself refuses an inward address, whatever name led there, and redirects are not
// followed.
func TestGuard_ClientRefusesInwardAddressesAndRedirects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
	require.NoError(t, err)
	_, err = Guard{AllowHTTP: true}.Client().Do(req)
	require.Error(t, err)
	assert.True(t, errors.Is(err, errDestination), "%v", err)

	dev := Guard{AllowHTTP: true, AllowPrivate: true}.Client()
	res, err := dev.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusNoContent, res.StatusCode)

	req, err = http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/redirect", nil)
	require.NoError(t, err)
	res, err = dev.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusFound, res.StatusCode, "the redirect is the answer")
}

// An attempt's last_error says what went wrong without naming the service's network: not its
// resolver, not the addresses it dialled.
func TestDescribe_NamesTheFailureNotTheNetwork(t *testing.T) {
	t.Parallel()
	refused := httptest.NewServer(http.NotFoundHandler())
	addr := refused.Listener.Addr().String()
	refused.Close() // nothing listens there any more
	for _, tc := range []struct {
		url, want string
		guard     Guard
	}{
		{"http://" + addr + "/", "connection refused", Guard{AllowHTTP: true, AllowPrivate: true}},
		{"http://" + addr + "/", "refused: the endpoint resolves to a loopback, private or link-local address", Guard{AllowHTTP: true}},
		{"http://no-such-host.invalid/", "the endpoint's host name does not resolve", Guard{AllowHTTP: true}},
	} {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, tc.url, nil)
		require.NoError(t, err)
		_, err = tc.guard.Client().Do(req)
		require.Error(t, err)
		got := describe(err)
		assert.Equal(t, tc.want, got, "%v", err)
		assert.NotContains(t, got, "127.0.0.1")
	}
	assert.Equal(t, "no answer within 10 s", describe(context.DeadlineExceeded))
	assert.Equal(t, "the connection to the endpoint failed", describe(errors.New("proxyconnect tcp: 10.0.0.1:3128")))
}
