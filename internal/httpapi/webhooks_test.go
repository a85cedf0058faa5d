package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/webhooks"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiver is a webhook endpoint on the loopback address: it records every request and answers
// the statuses of answers in turn (then the last one for good).
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	answers []int
	arrived chan struct{}
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	if len(answers) == 0 {
		answers = []int{http.StatusNoContent}
	}
	r := &receiver{answers: answers, arrived: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, at: time.Now()})
		status := r.answers[min(len(r.got), len(r.answers))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the first n requests, failing the test if they do not arrive within d.
func (r *receiver) wait(t *testing.T, n int, d time.Duration) []received {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]received(nil), r.got[:n]...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("%d webhook requests expected within %s", n, d)
		}
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// verify checks a request with the Standard Webhooks library and returns its event.
func verify(t *testing.T, secret string, req received) map[string]any {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	require.NoError(t, wh.Verify(req.body, req.header), "the signature verifies with the scheme's library")
	assert.Equal(t, "application/json", req.header.Get("Content-Type"))
	var ev map[string]any
	require.NoError(t, json.Unmarshal(req.body, &ev))
	assert.Equal(t, req.header.Get("webhook-id"), ev["id"], "webhook-id is the event id")
	return ev
}

func createWebhook(t *testing.T, a *apptest.App, u apptest.User, org uuid.UUID, url string, events ...client.WebhookSubscription) client.WebhookWithSecret {
	t.Helper()
	if len(events) == 0 {
		events = []client.WebhookSubscription{client.WebhookSubscriptionAll}
	}
	res, err := a.Client.CreateWebhookWithResponse(t.Context(), client.WebhookCreate{Url: url, Events: events}, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return *res.JSON201
}

func deliveries(t *testing.T, a *apptest.App, u apptest.User, org, webhook uuid.UUID) []client.WebhookDelivery {
	t.Helper()
	res, err := a.Client.ListWebhookDeliveriesWithResponse(t.Context(), webhook, nil, u.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.Items
}

// eventually polls check until it holds (or fails the test after d).
func eventually(t *testing.T, d time.Duration, check func() bool, msg string) {
	t.Helper()
	require.Eventually(t, check, d, 50*time.Millisecond, msg)
}

func TestWebhooks_OwnersAndAdminsManageSubscriptions(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, org := tm.App, tm.Org
	c := a.Client
	for _, u := range []apptest.User{tm.Owner, tm.Admin(t)} {
		created, err := c.CreateWebhookWithResponse(t.Context(), client.WebhookCreate{
			Url: "https://hooks.example.com/crm", Events: []client.WebhookSubscription{client.WebhookSubscriptionDealUpdated, client.WebhookSubscriptionContactCreated},
			Description: apptest.Ptr("Sales dashboard"),
		}, u.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, created.StatusCode(), string(created.Body))
		w := created.JSON201
		assert.True(t, strings.HasPrefix(w.Secret, "whsec_"))
		assert.True(t, w.Active)
		assert.Equal(t, "/api/v1/webhooks/"+w.Id.String(), created.HTTPResponse.Header.Get("Location"))

		got, err := c.GetWebhookWithResponse(t.Context(), w.Id, u.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, got.StatusCode())
		assert.NotContains(t, string(got.Body), "whsec_", "the secret is answered once")
		assert.Equal(t, []client.WebhookSubscription{client.WebhookSubscriptionDealUpdated, client.WebhookSubscriptionContactCreated}, got.JSON200.Events)

		updated, err := c.UpdateWebhookWithResponse(t.Context(), w.Id, client.WebhookUpdate{
			Events: &client.WebhookSubscriptions{client.WebhookSubscriptionAll, client.WebhookSubscriptionDealCreated}, Active: apptest.Ptr(false),
		}, u.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, updated.StatusCode(), string(updated.Body))
		assert.Equal(t, []client.WebhookSubscription{client.WebhookSubscriptionAll}, updated.JSON200.Events, "* covers the rest")
		assert.False(t, updated.JSON200.Active)
		assert.Equal(t, "Sales dashboard", updated.JSON200.Description.MustGet(), "absent fields keep their values")
	}

	list, err := c.ListWebhooksWithResponse(t.Context(), &client.ListWebhooksParams{PageSize: apptest.Ptr[int32](1)}, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode())
	assert.EqualValues(t, 2, list.JSON200.Total)
	require.Len(t, list.JSON200.Items, 1)
	require.NotNil(t, list.JSON200.NextCursor)
	assert.NotContains(t, string(list.Body), "whsec_")
	next, err := c.ListWebhooksWithResponse(t.Context(), &client.ListWebhooksParams{PageSize: apptest.Ptr[int32](1), Cursor: list.JSON200.NextCursor}, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Len(t, next.JSON200.Items, 1)
	assert.NotEqual(t, list.JSON200.Items[0].Id, next.JSON200.Items[0].Id)
	assert.Nil(t, next.JSON200.NextCursor)

	gone := list.JSON200.Items[0].Id
	del, err := c.DeleteWebhookWithResponse(t.Context(), gone, tm.Owner.In(org)...)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, del.StatusCode())
	// A deleted (or never existing, or another organization's) webhook is not found, by every operation.
	other := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	foreign := createWebhook(t, a, other.Owner, other.Org, "https://hooks.example.com/other").Id
	for _, id := range []uuid.UUID{gone, uuid.New(), foreign} {
		for name, send := range map[string]func() (*http.Response, []byte){
			"get": func() (*http.Response, []byte) {
				r, err := c.GetWebhookWithResponse(t.Context(), id, tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
			"update": func() (*http.Response, []byte) {
				r, err := c.UpdateWebhookWithResponse(t.Context(), id, client.WebhookUpdate{Active: apptest.Ptr(true)}, tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
			"delete": func() (*http.Response, []byte) {
				r, err := c.DeleteWebhookWithResponse(t.Context(), id, tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
			"ping": func() (*http.Response, []byte) {
				r, err := c.PingWebhookWithResponse(t.Context(), id, tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
			"deliveries": func() (*http.Response, []byte) {
				r, err := c.ListWebhookDeliveriesWithResponse(t.Context(), id, nil, tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
			"redeliver": func() (*http.Response, []byte) {
				r, err := c.RedeliverWebhookDeliveryWithResponse(t.Context(), id, uuid.New(), tm.Owner.In(org)...)
				require.NoError(t, err)
				return r.HTTPResponse, r.Body
			},
		} {
			res, body := send()
			problemOf(t, res, body, http.StatusNotFound, "not_found")
			_ = name
		}
	}
	// An existing webhook with a delivery id that is not its own.
	kept := next.JSON200.Items[0].Id
	r, err := c.RedeliverWebhookDeliveryWithResponse(t.Context(), kept, uuid.New(), tm.Owner.In(org)...)
	require.NoError(t, err)
	problemOf(t, r.HTTPResponse, r.Body, http.StatusNotFound, "not_found")
}

func TestWebhooks_ManagersAndMembersAreForbidden(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, org := tm.App, tm.Org
	c := a.Client
	w := createWebhook(t, a, tm.Owner, org, "https://hooks.example.com/crm")
	ping, err := c.PingWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, ping.StatusCode(), string(ping.Body))
	for _, u := range []apptest.User{tm.Manager(t), tm.Member(t)} {
		check := func(res *http.Response, body []byte) {
			t.Helper()
			problemOf(t, res, body, http.StatusForbidden, "forbidden")
		}
		r1, err := c.ListWebhooksWithResponse(t.Context(), nil, u.In(org)...)
		require.NoError(t, err)
		check(r1.HTTPResponse, r1.Body)
		r2, err := c.CreateWebhookWithResponse(t.Context(), client.WebhookCreate{Url: "https://hooks.example.com/x", Events: []client.WebhookSubscription{client.WebhookSubscriptionAll}}, u.In(org)...)
		require.NoError(t, err)
		check(r2.HTTPResponse, r2.Body)
		r3, err := c.GetWebhookWithResponse(t.Context(), w.Id, u.In(org)...)
		require.NoError(t, err)
		check(r3.HTTPResponse, r3.Body)
		r4, err := c.UpdateWebhookWithResponse(t.Context(), w.Id, client.WebhookUpdate{Active: apptest.Ptr(false)}, u.In(org)...)
		require.NoError(t, err)
		check(r4.HTTPResponse, r4.Body)
		r5, err := c.DeleteWebhookWithResponse(t.Context(), w.Id, u.In(org)...)
		require.NoError(t, err)
		check(r5.HTTPResponse, r5.Body)
		r6, err := c.PingWebhookWithResponse(t.Context(), w.Id, u.In(org)...)
		require.NoError(t, err)
		check(r6.HTTPResponse, r6.Body)
		r7, err := c.ListWebhookDeliveriesWithResponse(t.Context(), w.Id, nil, u.In(org)...)
		require.NoError(t, err)
		check(r7.HTTPResponse, r7.Body)
		r8, err := c.RedeliverWebhookDeliveryWithResponse(t.Context(), w.Id, ping.JSON202.Id, u.In(org)...)
		require.NoError(t, err)
		check(r8.HTTPResponse, r8.Body)
	}
	got, err := c.GetWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	assert.True(t, got.JSON200.Active, "nothing was changed")
	assert.Len(t, deliveries(t, a, tm.Owner, org, w.Id), 1, "nothing was sent")
}

// The service's policy: https only, and no loopback, private or link-local destination.
func TestWebhooks_URLsOutsideThePolicyAreRefused(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, org := tm.App, tm.Org
	w := createWebhook(t, a, tm.Owner, org, "https://hooks.example.com/crm")
	for _, bad := range []string{
		"http://hooks.example.com/crm", "https://127.0.0.1/hook", "https://10.0.0.7/hook", "https://[::1]/hook",
		"https://169.254.169.254/latest/meta-data", "https://localhost:8443/", "https://user:pw@hooks.example.com/",
		"ftp://hooks.example.com/", "/relative", "https://hooks.example.com/#fragment",
	} {
		res, err := a.Client.CreateWebhookWithResponse(t.Context(), client.WebhookCreate{Url: bad, Events: []client.WebhookSubscription{client.WebhookSubscriptionAll}}, tm.Owner.In(org)...)
		require.NoError(t, err)
		p := problemOf(t, res.HTTPResponse, res.Body, http.StatusBadRequest, "invalid_webhook_url")
		require.NotNil(t, p.Errors, bad)
		assert.Equal(t, "url", (*p.Errors)[0].Field, bad)

		up, err := a.Client.UpdateWebhookWithResponse(t.Context(), w.Id, client.WebhookUpdate{Url: apptest.Ptr(bad)}, tm.Owner.In(org)...)
		require.NoError(t, err)
		problemOf(t, up.HTTPResponse, up.Body, http.StatusBadRequest, "invalid_webhook_url")
	}
	for name, body := range map[string]string{
		"no events":           `{"url":"https://hooks.example.com/","events":[]}`,
		"unknown event":       `{"url":"https://hooks.example.com/","events":["deal.won"]}`,
		"ping is not one":     `{"url":"https://hooks.example.com/","events":["webhook.ping"]}`,
		"a secret is not set": `{"url":"https://hooks.example.com/","events":["*"],"secret":"whsec_x"}`,
		"twice the same":      `{"url":"https://hooks.example.com/","events":["deal.created","deal.created"]}`,
	} {
		res, b := a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/webhooks", Body: []byte(body), Token: tm.Owner.Access, Org: org})
		problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
		_ = name
	}
	res, b := a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/webhooks/" + w.Id.String(), Body: []byte(`{}`), Token: tm.Owner.Access, Org: org})
	problemOf(t, res, b, http.StatusBadRequest, "validation_failed")
	got, err := a.Client.GetWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	assert.Equal(t, "https://hooks.example.com/crm", got.JSON200.Url, "a refused update changes nothing")
}

// fastRetry is the schedule of the delivery tests: 200 ms after every failure, maxAttempts in all.
func fastRetry(maxAttempts int) webhooks.Schedule {
	return func(attempt int, failedAt time.Time) (time.Time, bool) {
		if attempt >= maxAttempts {
			return time.Time{}, false
		}
		return failedAt.Add(200 * time.Millisecond), true
	}
}

func TestWebhooks_APingIsSignedRetriedAfterAFailureAndListed(t *testing.T) {
	t.Parallel()
	a := apptest.NewWithOptions(t, apptest.Options{Webhooks: true, WebhookRetry: fastRetry(9)})
	tm := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	org := tm.Org
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusNoContent)
	w := createWebhook(t, a, tm.Owner, org, rcv.srv.URL+"/hook", client.WebhookSubscriptionDealCreated)

	ping, err := a.Client.PingWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, ping.StatusCode(), string(ping.Body))
	d := ping.JSON202
	assert.Equal(t, client.WebhookEventTypeWebhookPing, d.EventType)
	assert.Equal(t, client.WebhookDeliveryStatusPending, d.Status)
	assert.EqualValues(t, 0, d.Attempts)

	got := rcv.wait(t, 2, 15*time.Second)
	first, second := verify(t, w.Secret, got[0]), verify(t, w.Secret, got[1])
	assert.Equal(t, got[0].header.Get("webhook-id"), got[1].header.Get("webhook-id"), "the same event id on every attempt")
	assert.Equal(t, d.EventId.String(), got[0].header.Get("webhook-id"))
	assert.Equal(t, first, second, "the same body on every attempt")
	assert.Equal(t, "webhook.ping", first["type"])
	assert.Equal(t, org.String(), first["organization_id"])
	object := first["data"].(map[string]any)["object"].(map[string]any)
	assert.Equal(t, w.Id.String(), object["id"])
	assert.NotContains(t, string(got[0].body), "whsec_", "the secret is never sent")

	eventually(t, 5*time.Second, func() bool {
		ds := deliveries(t, a, tm.Owner, org, w.Id)
		return len(ds) == 1 && ds[0].Status == client.WebhookDeliveryStatusSucceeded
	}, "the delivery succeeds on its retry")
	ds := deliveries(t, a, tm.Owner, org, w.Id)
	assert.EqualValues(t, 2, ds[0].Attempts)
	assert.EqualValues(t, http.StatusNoContent, ds[0].LastStatusCode.MustGet())
	assert.True(t, ds[0].DeliveredAt.IsSpecified() && !ds[0].DeliveredAt.IsNull())
	assert.True(t, ds[0].NextAttemptAt.IsNull())

	// Redelivery: a new delivery of the same event, with the same webhook-id.
	re, err := a.Client.RedeliverWebhookDeliveryWithResponse(t.Context(), w.Id, d.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, re.StatusCode(), string(re.Body))
	assert.NotEqual(t, d.Id, re.JSON202.Id)
	assert.Equal(t, d.EventId, re.JSON202.EventId)
	third := rcv.wait(t, 3, 10*time.Second)[2]
	verify(t, w.Secret, third)
	assert.Equal(t, got[0].header.Get("webhook-id"), third.header.Get("webhook-id"))
	eventually(t, 5*time.Second, func() bool {
		ds := deliveries(t, a, tm.Owner, org, w.Id)
		return len(ds) == 2 && ds[0].Id == re.JSON202.Id && ds[0].Status == client.WebhookDeliveryStatusSucceeded
	}, "newest first, and succeeded")
}

func TestWebhooks_ADeliveryFailsAfterItsLastAttemptAndAFailingEndpointIsDeactivated(t *testing.T) {
	t.Parallel()
	a := apptest.NewWithOptions(t, apptest.Options{Webhooks: true, WebhookRetry: fastRetry(2)})
	tm := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	org := tm.Org
	rcv := newReceiver(t, http.StatusBadGateway)
	w := createWebhook(t, a, tm.Owner, org, rcv.srv.URL)

	ping, err := a.Client.PingWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, ping.StatusCode())
	eventually(t, 15*time.Second, func() bool {
		ds := deliveries(t, a, tm.Owner, org, w.Id)
		return len(ds) == 1 && ds[0].Status == client.WebhookDeliveryStatusFailed
	}, "failed after the schedule")
	ds := deliveries(t, a, tm.Owner, org, w.Id)
	assert.EqualValues(t, 2, ds[0].Attempts)
	assert.EqualValues(t, http.StatusBadGateway, ds[0].LastStatusCode.MustGet())
	assert.True(t, ds[0].NextAttemptAt.IsNull())
	assert.True(t, ds[0].DeliveredAt.IsNull())
	assert.Equal(t, 2, rcv.count())
	got, err := a.Client.GetWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	assert.True(t, got.JSON200.Active, "one day of failures is not three")

	// Every attempt has failed for three days: the next failure deactivates the endpoint.
	_, err = a.Pool.Exec(t.Context(), `UPDATE webhook_endpoints SET failing_since = now() - interval '73 hours'
		WHERE organization_id = $1 AND id = $2`, org, w.Id)
	require.NoError(t, err)
	ping, err = a.Client.PingWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, ping.StatusCode())
	eventually(t, 15*time.Second, func() bool {
		got, err := a.Client.GetWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(org)...)
		return err == nil && !got.JSON200.Active
	}, "deactivated")

	// Activated again, the count starts over.
	up, err := a.Client.UpdateWebhookWithResponse(t.Context(), w.Id, client.WebhookUpdate{Active: apptest.Ptr(true)}, tm.Owner.In(org)...)
	require.NoError(t, err)
	require.True(t, up.JSON200.Active)
	var failing *time.Time
	require.NoError(t, a.Pool.QueryRow(t.Context(), `SELECT failing_since FROM webhook_endpoints WHERE organization_id = $1 AND id = $2`, org, w.Id).Scan(&failing))
	assert.Nil(t, failing)
}

// Ping and redeliver honour Idempotency-Key like every authenticated POST: a replay queues
// nothing, another request with the key is refused, and a key still running is in use.
func TestWebhooks_PostsHonourIdempotencyKeys(t *testing.T) {
	t.Parallel()
	tm := apptest.NewTeam(t, nil)
	a, owner, org := tm.App, tm.Owner, tm.Org
	w := createWebhook(t, a, owner, org, "https://hooks.example.com/crm")
	w2 := createWebhook(t, a, owner, org, "https://hooks.example.com/other")
	var pings [2]uuid.UUID
	for i := range pings {
		res, err := a.Client.PingWebhookWithResponse(t.Context(), w.Id, owner.In(org)...)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, res.StatusCode())
		pings[i] = res.JSON202.Id
	}
	redeliver := func(d uuid.UUID) string {
		return "/api/v1/webhooks/" + w.Id.String() + "/deliveries/" + d.String() + "/redeliver"
	}
	create := []byte(`{"url":"https://hooks.example.com/idem","events":["*"]}`)

	// other is another request for the key: another body for createWebhook, another path for the
	// operations without one.
	for _, p := range []struct {
		name, path, other string
		body, otherBody   []byte
	}{
		{"createWebhook", "/api/v1/webhooks", "/api/v1/webhooks", create, []byte(`{"url":"https://hooks.example.com/idem","events":["deal.created"]}`)},
		{"pingWebhook", "/api/v1/webhooks/" + w.Id.String() + "/ping", "/api/v1/webhooks/" + w2.Id.String() + "/ping", nil, nil},
		{"redeliverWebhookDelivery", redeliver(pings[0]), redeliver(pings[1]), nil, nil},
	} {
		t.Run(p.name, func(t *testing.T) {
			body := p.body
			send := func(path, key string) (*http.Response, []byte) {
				return a.Do(t, apptest.Request{Method: http.MethodPost, Path: path, Body: body, Token: owner.Access, Org: org,
					Header: http.Header{"Idempotency-Key": {key}}})
			}
			before := countRows(t, a, `SELECT count(*) FROM webhook_deliveries`) + countRows(t, a, `SELECT count(*) FROM webhook_endpoints`)
			key := uuid.NewString()
			res, answer := send(p.path, key)
			require.Less(t, res.StatusCode, 300, string(answer))
			again, replayed := send(p.path, key)
			assert.Equal(t, res.StatusCode, again.StatusCode)
			assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
			assert.JSONEq(t, string(answer), string(replayed))
			assert.Equal(t, before+1, countRows(t, a, `SELECT count(*) FROM webhook_deliveries`)+countRows(t, a, `SELECT count(*) FROM webhook_endpoints`),
				"the replay created nothing")

			body = p.otherBody
			res, b := send(p.other, key)
			problemOf(t, res, b, http.StatusUnprocessableEntity, "idempotency_key_mismatch")
			body = p.body

			running := uuid.NewString()
			holdKey(t, a, org, owner.ID, running, p.path, body)
			res, b = send(p.path, running)
			problemOf(t, res, b, http.StatusConflict, "idempotency_key_in_use")
		})
	}
}

// With the product's schedule (5 s and up to 20% jitter) and River's scheduler, a receiver that
// answers 500 once gets the retry within 12 s of the failure.
func TestWebhooks_TheFirstRetryArrivesWithinTwelveSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the real retry schedule")
	}
	t.Parallel()
	a := apptest.NewWithOptions(t, apptest.Options{Webhooks: true})
	tm := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	w := createWebhook(t, a, tm.Owner, tm.Org, rcv.srv.URL)
	sent := time.Now()
	ping, err := a.Client.PingWebhookWithResponse(t.Context(), w.Id, tm.Owner.In(tm.Org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, ping.StatusCode())
	got := rcv.wait(t, 2, 20*time.Second)
	assert.Less(t, got[0].at.Sub(sent), 2*time.Second, "the first attempt within 2 s of the commit")
	gap := got[1].at.Sub(got[0].at)
	assert.GreaterOrEqual(t, gap, 5*time.Second, "not before the schedule's 5 s")
	assert.Less(t, gap, 12*time.Second, "the first retry within 12 s")
	ds := deliveries(t, a, tm.Owner, tm.Org, w.Id)
	require.Len(t, ds, 1)
	eventually(t, 5*time.Second, func() bool {
		return deliveries(t, a, tm.Owner, tm.Org, w.Id)[0].Status == client.WebhookDeliveryStatusSucceeded
	}, "succeeded on the retry")
}
