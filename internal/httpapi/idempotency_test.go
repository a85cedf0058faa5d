package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/auth"
	"github.com/minicrm/crm/internal/idempotency"
	"github.com/minicrm/crm/internal/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idemPost is one authenticated POST of the API, sent with an Idempotency-Key.
type idemPost struct {
	name   string
	path   string
	org    uuid.UUID // X-Organization-Id; uuid.Nil: none
	scope  uuid.UUID // the organization the key belongs to (uuid.Nil: none)
	body   []byte
	other  []byte // another body for the same operation
	status int    // what the first request answers
	count  string // counts what the request creates
}

func (p idemPost) send(t *testing.T, a *apptest.App, u apptest.User, key string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return a.Do(t, apptest.Request{Method: http.MethodPost, Path: p.path, Body: body, Token: u.Access, Org: p.org,
		Header: http.Header{"Idempotency-Key": {key}}})
}

// holdKey begins an attempt with the key, as a request that is still running: the key is in use
// until the attempt is abandoned (at the latest when the test ends).
func holdKey(t *testing.T, a *apptest.App, org, user uuid.UUID, key, path string, body []byte) *idempotency.Attempt {
	t.Helper()
	held, stored, err := idempotency.NewStore(platform.NewDB(a.Pool)).Begin(t.Context(),
		idempotency.Scope{OrganizationID: org, UserID: user, Key: key},
		idempotency.Request{Method: http.MethodPost, Path: path, BodySHA256: sha256.Sum256(body)})
	require.NoError(t, err)
	require.Nil(t, stored)
	t.Cleanup(held.Abandon)
	return held
}

func countRows(t *testing.T, a *apptest.App, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, a.Pool.QueryRow(t.Context(), query, args...).Scan(&n))
	return n
}

func problemCode(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	return p.Code
}

// everyPost is every authenticated POST, with what it creates and how to count it.
func everyPost(t *testing.T, tm *apptest.Team) []idemPost {
	t.Helper()
	a, owner, org := tm.App, tm.Owner, tm.Org
	contact := a.NewContact(t, owner, org, "Idem Base")
	deal := a.NewDeal(t, owner, org, "Idem Base Deal", "10.00")
	// Two organizations invite the owner: accepting one and then the other are different requests.
	host, otherHost := a.Register(t, "host"), a.Register(t, "other-host")
	invited := a.Invite(t, host, host.OrgID, owner.Email, client.RoleMember)
	otherInvited := a.Invite(t, otherHost, otherHost.OrgID, owner.Email, client.RoleMember)
	js := func(v any) []byte { return apptest.JSON(t, v) }
	return []idemPost{
		{name: "createOrganization", path: "/api/v1/organizations", status: http.StatusCreated,
			body: js(map[string]any{"name": "Idem Org"}), other: js(map[string]any{"name": "Another Org"}),
			count: "SELECT count(*) FROM organizations WHERE name = 'Idem Org'"},
		{name: "acceptInvitation", path: "/api/v1/invitations/accept", status: http.StatusOK,
			body:  js(map[string]any{"token": invited.Token}),
			other: js(map[string]any{"token": otherInvited.Token}),
			count: "SELECT count(*) FROM organization_members WHERE user_id = '" + owner.ID.String() + "'"},
		{name: "createContact", path: "/api/v1/contacts", org: org, scope: org, status: http.StatusCreated,
			body: js(map[string]any{"name": "Idem Contact"}), other: js(map[string]any{"name": "Idem Contact", "company": "X"}),
			count: "SELECT count(*) FROM contacts WHERE name = 'Idem Contact'"},
		{name: "createDeal", path: "/api/v1/deals", org: org, scope: org, status: http.StatusCreated,
			body:  js(map[string]any{"contact_id": contact.Id, "title": "Idem Deal"}),
			other: js(map[string]any{"contact_id": contact.Id, "title": "Idem Deal", "amount": 5}),
			count: "SELECT count(*) FROM deals WHERE title = 'Idem Deal'"},
		{name: "createActivity", path: "/api/v1/deals/" + deal.Id.String() + "/activities", org: org, scope: org, status: http.StatusCreated,
			body:  js(map[string]any{"type": "comment", "payload": map[string]any{"text": "idem"}}),
			other: js(map[string]any{"type": "comment", "payload": map[string]any{"text": "idem 2"}}),
			count: "SELECT count(*) FROM activities WHERE type = 'comment'"},
		{name: "createTask", path: "/api/v1/tasks", org: org, scope: org, status: http.StatusCreated,
			body:  js(map[string]any{"deal_id": deal.Id, "title": "Idem Task"}),
			other: js(map[string]any{"deal_id": deal.Id, "title": "Idem Task 2"}),
			count: "SELECT count(*) FROM tasks WHERE title LIKE 'Idem Task%'"},
	}
}

func TestIdempotency_EveryPostReplaysRefusesAMismatchAndARunningKey(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	for _, p := range everyPost(t, tm) {
		t.Run(p.name, func(t *testing.T) {
			key := uuid.NewString()
			res, first := p.send(t, a, owner, key, p.body)
			require.Equal(t, p.status, res.StatusCode, string(first))
			assert.Empty(t, res.Header.Get("Idempotent-Replayed"), "a first answer is no replay")
			location := res.Header.Get("Location")
			created := countRows(t, a, p.count)

			for range 2 {
				res, again := p.send(t, a, owner, key, p.body)
				require.Equal(t, p.status, res.StatusCode, string(again))
				assert.Equal(t, "true", res.Header.Get("Idempotent-Replayed"))
				assert.JSONEq(t, string(first), string(again), "the stored answer, byte for byte")
				assert.Equal(t, location, res.Header.Get("Location"))
				assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
				assert.NotEmpty(t, res.Header.Get("RateLimit"), "the replay's own rate-limit headers")
			}
			assert.Equal(t, created, countRows(t, a, p.count), "a replay creates nothing")

			res, body := p.send(t, a, owner, key, p.other)
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, string(body))
			assert.Equal(t, "idempotency_key_mismatch", problemCode(t, body))
			assert.Equal(t, created, countRows(t, a, p.count))

			// A key whose first request is still running: 409 with Retry-After, nothing runs.
			running := uuid.NewString()
			held := holdKey(t, a, p.scope, owner.ID, running, p.path, p.body)
			res, body = p.send(t, a, owner, running, p.body)
			require.Equal(t, http.StatusConflict, res.StatusCode, string(body))
			assert.Equal(t, "idempotency_key_in_use", problemCode(t, body))
			assert.Equal(t, "1", res.Header.Get("Retry-After"))
			assert.Equal(t, created, countRows(t, a, p.count))
			held.Abandon()
			res, body = p.send(t, a, owner, running, p.body)
			require.Less(t, res.StatusCode, 500, string(body))
			assert.NotEqual(t, "idempotency_key_in_use", problemCode(t, body), "the key is free once its attempt ended")
			assert.Empty(t, res.Header.Get("Idempotent-Replayed"), "it ran")

			for name, bad := range map[string][]string{
				"too long": {strings.Repeat("k", 256)}, "empty": {""}, "not ASCII": {"ключ"},
				"control character": {"a\tb"}, "twice": {"a", "b"},
			} {
				res, body := a.Do(t, apptest.Request{Method: http.MethodPost, Path: p.path, Body: p.body, Token: owner.Access, Org: p.org,
					Header: http.Header{"Idempotency-Key": bad}})
				assert.Equal(t, http.StatusBadRequest, res.StatusCode, "%s: %s", name, body)
				assert.Equal(t, "invalid_idempotency_key", problemCode(t, body), name)
			}
			res, _ = p.send(t, a, owner, strings.Repeat("~", 255), p.other)
			assert.Less(t, res.StatusCode, 500, "255 printable characters are a key")
		})
	}
}

func TestIdempotency_WithoutAKeyEveryRequestRuns(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	for range 2 {
		res, body := tm.App.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts", Token: tm.Owner.Access,
			Org: tm.Org, Body: []byte(`{"name":"Twice"}`)})
		require.Equal(t, http.StatusCreated, res.StatusCode, string(body))
	}
	assert.Equal(t, 2, countRows(t, tm.App, "SELECT count(*) FROM contacts WHERE name = 'Twice'"))
	assert.Zero(t, countRows(t, tm.App, "SELECT count(*) FROM idempotency_keys"))

	// Routes without a caller ignore the header.
	res, body := tm.App.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/auth/login",
		Body:   apptest.JSON(t, map[string]any{"email": tm.Owner.Email, "password": tm.Owner.Password}),
		Header: http.Header{"Idempotency-Key": {"login-key"}}})
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Zero(t, countRows(t, tm.App, "SELECT count(*) FROM idempotency_keys"))
}

func TestIdempotency_ConcurrentRequestsWithOneKeyRunOnce(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a := tm.App
	contact := a.NewContact(t, tm.Owner, tm.Org, "Race")
	body := apptest.JSON(t, map[string]any{"contact_id": contact.Id, "title": "Raced deal"})
	const n = 12
	type answer struct {
		status   int
		replayed bool
		code     string
		retry    string
		body     string
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.URL+"/api/v1/deals", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tm.Owner.Access)
			req.Header.Set("X-Organization-Id", tm.Org.String())
			req.Header.Set("Idempotency-Key", "the-one-key")
			<-start
			res, err := a.HTTP.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = res.Body.Close() }()
			b, _ := io.ReadAll(res.Body)
			var p struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(b, &p)
			answers[i] = answer{res.StatusCode, res.Header.Get("Idempotent-Replayed") == "true", p.Code, res.Header.Get("Retry-After"), string(b)}
		}()
	}
	close(start)
	wg.Wait()

	fresh := 0
	var created string
	for _, ans := range answers {
		switch {
		case ans.status == http.StatusCreated && !ans.replayed:
			fresh++
			created = ans.body
		case ans.status == http.StatusConflict:
			assert.Equal(t, "idempotency_key_in_use", ans.code)
			assert.Equal(t, "1", ans.retry)
		default:
			assert.Equal(t, http.StatusCreated, ans.status, ans.body)
			assert.True(t, ans.replayed)
		}
	}
	require.Equal(t, 1, fresh, "exactly one request ran: %+v", answers)
	for _, ans := range answers {
		if ans.status == http.StatusCreated {
			assert.JSONEq(t, created, ans.body)
		}
	}
	assert.Equal(t, 1, countRows(t, a, "SELECT count(*) FROM deals WHERE title = 'Raced deal'"))
	assert.Equal(t, 1, countRows(t, a, "SELECT count(*) FROM activities WHERE type = 'deal_created' AND payload->>'title' = 'Raced deal'"))
}

func TestIdempotency_AClientErrorIsStoredAndReplayed(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	existing := a.CreateContact(t, owner, tm.Org, client.ContactCreate{Name: "First", Email: apptest.Ptr("taken@example.com")})
	body := []byte(`{"name":"Second","email":"taken@example.com"}`)
	send := func() (*http.Response, []byte) {
		return a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts", Body: body, Token: owner.Access,
			Org: tm.Org, Header: http.Header{"Idempotency-Key": {"dup-email"}}})
	}
	res, first := send()
	require.Equal(t, http.StatusConflict, res.StatusCode, string(first))
	assert.Equal(t, "contact_email_taken", problemCode(t, first))

	// The conflict is gone, but the key's answer stays the answer.
	res, body2 := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/api/v1/contacts/" + existing.Id.String(),
		Token: owner.Access, Org: tm.Org})
	require.Equal(t, http.StatusNoContent, res.StatusCode, string(body2))
	res, again := send()
	require.Equal(t, http.StatusConflict, res.StatusCode, string(again))
	assert.Equal(t, "true", res.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	assert.JSONEq(t, string(first), string(again))
	assert.Zero(t, countRows(t, a, "SELECT count(*) FROM contacts WHERE name = 'Second'"))

	// A 400 the handler found (a contact of no organization) is stored as well.
	bad := apptest.JSON(t, map[string]any{"contact_id": uuid.New(), "title": "Nowhere"})
	for i := range 2 {
		res, b := a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/deals", Body: bad, Token: owner.Access,
			Org: tm.Org, Header: http.Header{"Idempotency-Key": {"bad-ref"}}})
		require.Equal(t, http.StatusBadRequest, res.StatusCode, string(b))
		assert.Equal(t, "invalid_reference", problemCode(t, b))
		assert.Equal(t, i == 1, res.Header.Get("Idempotent-Replayed") == "true")
	}
}

func TestIdempotency_ARolledBackRequestIsNotStoredAndItsRetryRuns(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner := tm.App, tm.Owner
	contact := a.NewContact(t, owner, tm.Org, "Rollback")
	// The timeline entry of the deal fails after the deal was inserted: the database answers a
	// serialization failure, which the service answers 503, and the deal is rolled back.
	_, err := a.Pool.Exec(t.Context(), `
		CREATE FUNCTION fail_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40001'; END $$;
		CREATE TRIGGER fail_timeline BEFORE INSERT ON activities FOR EACH ROW EXECUTE FUNCTION fail_timeline();`)
	require.NoError(t, err)
	body := apptest.JSON(t, map[string]any{"contact_id": contact.Id, "title": "Retried deal"})
	send := func() (*http.Response, []byte) {
		return a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/deals", Body: body, Token: owner.Access,
			Org: tm.Org, Header: http.Header{"Idempotency-Key": {"retry-me"}}})
	}
	res, b := send()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode, string(b))
	assert.Zero(t, countRows(t, a, "SELECT count(*) FROM deals WHERE title = 'Retried deal'"))
	assert.Zero(t, countRows(t, a, "SELECT count(*) FROM idempotency_keys"), "a 5xx is not stored: the key is free")

	_, err = a.Pool.Exec(t.Context(), "DROP TRIGGER fail_timeline ON activities")
	require.NoError(t, err)
	res, b = send()
	require.Equal(t, http.StatusCreated, res.StatusCode, string(b))
	assert.Empty(t, res.Header.Get("Idempotent-Replayed"), "the retry ran")
	res, b2 := send()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, "true", res.Header.Get("Idempotent-Replayed"))
	assert.JSONEq(t, string(b), string(b2))
	assert.Equal(t, 1, countRows(t, a, "SELECT count(*) FROM deals WHERE title = 'Retried deal'"))
}

func TestIdempotency_KeysBelongToTheCallerAndTheOrganization(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner, admin := tm.App, tm.Owner, tm.Admin(t)
	res, b := a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/organizations", Token: owner.Access,
		Body: []byte(`{"name":"Second org"}`)})
	require.Equal(t, http.StatusCreated, res.StatusCode, string(b))
	var second struct {
		ID uuid.UUID `json:"id"`
	}
	require.NoError(t, json.Unmarshal(b, &second))

	body := []byte(`{"name":"Shared key"}`)
	post := func(u apptest.User, org uuid.UUID) *http.Response {
		res, b := a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts", Body: body, Token: u.Access,
			Org: org, Header: http.Header{"Idempotency-Key": {"shared"}}})
		require.Equal(t, http.StatusCreated, res.StatusCode, string(b))
		return res
	}
	assert.Empty(t, post(owner, tm.Org).Header.Get("Idempotent-Replayed"))
	assert.Empty(t, post(admin, tm.Org).Header.Get("Idempotent-Replayed"), "another user's key")
	assert.Empty(t, post(owner, second.ID).Header.Get("Idempotent-Replayed"), "another organization's key")
	assert.Equal(t, "true", post(owner, tm.Org).Header.Get("Idempotent-Replayed"))
	assert.Equal(t, 2, countRows(t, a, "SELECT count(*) FROM contacts WHERE name = 'Shared key' AND organization_id = $1", tm.Org))
	assert.Equal(t, 1, countRows(t, a, "SELECT count(*) FROM contacts WHERE name = 'Shared key' AND organization_id = $1", second.ID))

	// The same key on another path of the same caller and organization: a mismatch.
	dealBody := apptest.JSON(t, map[string]any{"contact_id": a.NewContact(t, owner, tm.Org, "Any").Id, "title": "Shared key"})
	res, b = a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/deals", Body: dealBody, Token: owner.Access,
		Org: tm.Org, Header: http.Header{"Idempotency-Key": {"shared"}}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, string(b))
	assert.Equal(t, "idempotency_key_mismatch", problemCode(t, b))
}

func TestIdempotency_TheCleanUpDeletesExpiredKeys(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a := tm.App
	for i := range 3 {
		res, b := a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/contacts", Body: []byte(`{"name":"Kept"}`),
			Token: tm.Owner.Access, Org: tm.Org, Header: http.Header{"Idempotency-Key": {fmt.Sprint("k", i)}}})
		require.Equal(t, http.StatusCreated, res.StatusCode, string(b))
	}
	_, err := a.Pool.Exec(t.Context(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key <> 'k2'")
	require.NoError(t, err)
	svc := auth.NewService(platform.NewDB(a.Pool), a.Tokens, auth.WithCleanUpBatch(1))
	res, err := svc.CleanUp(t.Context(), time.Now())
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.IdempotencyKeys)
	assert.Equal(t, 1, countRows(t, a, "SELECT count(*) FROM idempotency_keys WHERE key = 'k2'"))
	res, err = svc.CleanUp(t.Context(), time.Now().Add(25*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.IdempotencyKeys, "kept 24 hours")
	assert.Zero(t, countRows(t, a, "SELECT count(*) FROM idempotency_keys"))
}
