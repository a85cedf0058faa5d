package crmsdk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
)

// transport adds the session to the requests of a Client and refreshes the tokens on a 401.
type transport struct {
	c    *Client
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never modifies req: the headers go on a clone.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	if !c.ownsURL(req.URL) {
		return t.next.RoundTrip(req)
	}
	access, gen, org, inSession := c.session()
	out := req.Clone(req.Context())
	if org != uuid.Nil && out.Header.Get(OrganizationHeader) == "" {
		out.Header.Set(OrganizationHeader, org.String())
	}
	// Without a session, or with credentials the caller set on purpose, there is nothing to refresh.
	if !inSession || out.Header.Get("Authorization") != "" {
		return t.next.RoundTrip(out)
	}
	// Keep the body replayable for the retry. Requests of the generated client have GetBody
	// already (bytes.Reader bodies); anything else is buffered here.
	if out.Body != nil && out.Body != http.NoBody && out.GetBody == nil {
		b, err := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("crmsdk: buffer request body: %w", err)
		}
		out.Body = io.NopCloser(bytes.NewReader(b))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	if access != "" {
		out.Header.Set("Authorization", "Bearer "+access)
	}

	resp, err := t.next.RoundTrip(out)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	fresh := c.accessForRetry(req.Context(), gen, access)
	if fresh == "" {
		return resp, nil // the session is over (or could not be renewed): the 401 stands
	}
	retry := out.Clone(req.Context())
	if out.GetBody != nil {
		if retry.Body = replay(out); retry.Body == nil {
			return resp, nil
		}
	}
	retry.Header.Set("Authorization", "Bearer "+fresh)
	discard(resp)
	// Once only: whatever the retry answers, 401 included, is the answer.
	return t.next.RoundTrip(retry)
}

// accessForRetry returns the access token to retry a request with after it was sent with access
// at generation gen and got a 401, or "" when there is none worth retrying with. Why the refresh
// failed does not matter here: the caller gets the original 401 either way.
func (c *Client) accessForRetry(ctx context.Context, gen uint64, access string) string {
	fresh, err := c.refreshShared(ctx, gen, false)
	if err != nil || fresh.AccessToken == access {
		return ""
	}
	return fresh.AccessToken
}

// replay returns a fresh copy of r's body, nil when it cannot be had.
func replay(r *http.Request) io.ReadCloser {
	body, err := r.GetBody()
	if err != nil {
		return nil
	}
	return body
}

// discard drains (a bounded amount of) a response body and closes it, so the connection can be
// reused.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// refreshCall is one refresh in flight; done is closed when tokens and err are set.
type refreshCall struct {
	done   chan struct{}
	tokens Tokens
	err    error
}

// refreshShared returns the tokens to retry with after a request sent at generation sent got a
// 401: a refresh in flight is joined; tokens that changed since the request was sent are used as
// they are; otherwise a refresh is started. force skips the generation check (Client.Refresh).
func (c *Client) refreshShared(ctx context.Context, sent uint64, force bool) (Tokens, error) {
	c.mu.Lock()
	call := c.inflight
	if call == nil {
		if !force && c.gen != sent && c.tokens.AccessToken != "" {
			// The tokens changed since the request was sent (another refresh, a login): use them.
			t := c.tokens
			c.mu.Unlock()
			return t, nil
		}
		if c.tokens.RefreshToken == "" {
			c.mu.Unlock()
			return Tokens{}, ErrNoSession
		}
		call = &refreshCall{done: make(chan struct{})}
		c.inflight = call
		go c.runRefresh(ctx, call, c.tokens.RefreshToken, c.gen)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.tokens, call.err
	case <-ctx.Done():
		return Tokens{}, ctx.Err()
	}
}

// runRefresh exchanges presented at /auth/refresh and publishes the outcome in call.
//
// It deliberately ignores the cancellation of ctx (keeping its values): once the server has
// rotated the refresh token, the new pair must be read and stored, or the next refresh would
// present the old token again, which the server treats as theft and answers by revoking the
// session.
func (c *Client) runRefresh(ctx context.Context, call *refreshCall, presented string, startGen uint64) {
	defer func() {
		c.mu.Lock()
		c.inflight = nil
		c.mu.Unlock()
		close(call.done)
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()

	res, err := c.refresher.RefreshTokensWithResponse(ctx, client.RefreshRequest{RefreshToken: presented})
	if err != nil {
		// Network trouble says nothing about the session: keep the tokens.
		call.err = fmt.Errorf("crmsdk: refresh tokens: %w", err)
		return
	}
	if res.StatusCode() == http.StatusOK && res.JSON200 != nil {
		t := Tokens{AccessToken: res.JSON200.AccessToken, RefreshToken: res.JSON200.RefreshToken}
		if !c.store(t, func() bool { return c.gen == startGen }, true) {
			// The session was replaced meanwhile (login, SetTokens, Logout): keep the new one.
			t = c.Tokens()
		}
		call.tokens = t
		return
	}
	call.err = Check(res, res.Body)
	if call.err == nil {
		call.err = unexpected(res.StatusCode(), res.Body)
	}
	if s := res.StatusCode(); s >= 400 && s < 500 {
		// Refused (expired, revoked, reused, malformed): the session is over.
		c.swap(Tokens{}, &startGen)
	}
	// 5xx (say, 503 while the database is away): the refresh token may still be good; keep it.
}
