package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events waits for n webhook requests and returns their events (verified) by type, in order.
func events(t *testing.T, rcv *receiver, secret string, n int) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, r := range rcv.wait(t, n, 15*time.Second) {
		ev := verify(t, secret, r)
		typ, _ := ev["type"].(string)
		out[typ] = append(out[typ], ev)
	}
	return out
}

// apiObject is the JSON the API answers at path.
func apiObject(t *testing.T, a *apptest.App, u apptest.User, org uuid.UUID, path string) map[string]any {
	t.Helper()
	res, body := a.Do(t, apptest.Request{Path: path, Token: u.Access, Org: org})
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	return m
}

func eventData(t *testing.T, ev map[string]any) (object, previous map[string]any) {
	t.Helper()
	d, ok := ev["data"].(map[string]any)
	require.True(t, ok, "data: %v", ev)
	object, _ = d["object"].(map[string]any)
	previous, _ = d["previous"].(map[string]any)
	return object, previous
}

func TestWebhookEvents_ChangesArriveAsTheAPIAnswersThem(t *testing.T) {
	t.Parallel()
	a := apptest.NewWithOptions(t, apptest.Options{Webhooks: true})
	tm := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	owner, org := tm.Owner, tm.Org
	rcv := newReceiver(t)
	w := createWebhook(t, a, owner, org, rcv.srv.URL)

	contact := a.CreateContact(t, owner, org, client.ContactCreate{Name: "Ada", Email: apptest.Ptr("ada@example.com")})
	deal := a.CreateDeal(t, owner, org, client.DealCreate{ContactId: contact.Id, Title: "Engine"})
	got := events(t, rcv, w.Secret, 2)
	require.Len(t, got["contact.created"], 1)
	require.Len(t, got["deal.created"], 1)
	obj, prev := eventData(t, got["contact.created"][0])
	assert.Equal(t, apiObject(t, a, owner, org, "/api/v1/contacts/"+contact.Id.String()), obj, "the object is the API's answer")
	assert.Nil(t, prev, "no previous on creation")
	ev := got["deal.created"][0]
	assert.Equal(t, org.String(), ev["organization_id"])
	assert.NotEmpty(t, ev["created_at"])
	obj, _ = eventData(t, ev)
	assert.Equal(t, apiObject(t, a, owner, org, "/api/v1/deals/"+deal.Id.String()), obj)

	// A stage change arrives as deal.updated with previous.stage.
	a.UpdateDeal(t, owner, org, deal.Id, client.DealUpdate{Stage: apptest.Ptr(client.DealStageProposal)})
	ev = events(t, rcv, w.Secret, 3)["deal.updated"][0]
	obj, prev = eventData(t, ev)
	assert.Equal(t, apiObject(t, a, owner, org, "/api/v1/deals/"+deal.Id.String()), obj)
	assert.Equal(t, "proposal", obj["stage"])
	assert.Equal(t, "qualification", prev["stage"], "previous holds the old value")
	assert.Contains(t, prev, "updated_at")
	for k := range prev {
		assert.Contains(t, []string{"stage", "updated_at"}, k, "previous holds the changed fields only")
	}

	task := a.CreateTask(t, owner, org, client.TaskCreate{DealId: deal.Id, Title: "Call"})
	res, err := a.Client.UpdateTaskWithResponse(t.Context(), task.Id, client.TaskUpdate{IsDone: apptest.Ptr(true)}, owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	comment := a.Comment(t, owner, org, deal.Id, "Asked for a discount")
	got = events(t, rcv, w.Secret, 6)
	require.Len(t, got["task.created"], 1)
	require.Len(t, got["task.updated"], 1)
	obj, prev = eventData(t, got["task.updated"][0])
	assert.Equal(t, apiObject(t, a, owner, org, "/api/v1/tasks/"+task.Id.String()), obj)
	assert.Equal(t, false, prev["is_done"])
	assert.Nil(t, prev["completed_at"])
	assert.Contains(t, prev, "completed_at")
	require.Len(t, got["activity.created"], 1, "the comment; the timeline's system entries are not events")
	obj, _ = eventData(t, got["activity.created"][0])
	assert.Equal(t, comment.Id.String(), obj["id"])
	assert.Equal(t, "comment", obj["type"])
	assert.Equal(t, map[string]any{"text": "Asked for a discount"}, obj["payload"])

	// Deletions carry the last state.
	lastTask := apiObject(t, a, owner, org, "/api/v1/tasks/"+task.Id.String())
	lastDeal := apiObject(t, a, owner, org, "/api/v1/deals/"+deal.Id.String())
	lastContact := apiObject(t, a, owner, org, "/api/v1/contacts/"+contact.Id.String())
	for _, path := range []string{"/api/v1/tasks/" + task.Id.String(), "/api/v1/deals/" + deal.Id.String(), "/api/v1/contacts/" + contact.Id.String()} {
		res, body := a.Do(t, apptest.Request{Method: http.MethodDelete, Path: path, Token: owner.Access, Org: org})
		require.Equal(t, http.StatusNoContent, res.StatusCode, string(body))
	}
	got = events(t, rcv, w.Secret, 9)
	for typ, want := range map[string]map[string]any{"task.deleted": lastTask, "deal.deleted": lastDeal, "contact.deleted": lastContact} {
		require.Len(t, got[typ], 1, typ)
		obj, _ := eventData(t, got[typ][0])
		assert.Equal(t, want, obj, typ)
	}
	assert.Equal(t, 9, rcv.count(), "exactly one event per committed change")
}

func TestWebhookEvents_RefusedChangesAndOtherSubscriptionsEmitNothing(t *testing.T) {
	t.Parallel()
	a := apptest.NewWithOptions(t, apptest.Options{Webhooks: true})
	tm := apptest.NewTeam(t, &apptest.TeamOptions{App: a})
	owner, org := tm.Owner, tm.Org
	deals, contacts, off := newReceiver(t), newReceiver(t), newReceiver(t)
	wd := createWebhook(t, a, owner, org, deals.srv.URL, client.WebhookSubscriptionDealUpdated)
	createWebhook(t, a, owner, org, contacts.srv.URL, client.WebhookSubscriptionContactCreated)
	wo := createWebhook(t, a, owner, org, off.srv.URL)
	up, err := a.Client.UpdateWebhookWithResponse(t.Context(), wo.Id, client.WebhookUpdate{Active: apptest.Ptr(false)}, owner.In(org)...)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, up.StatusCode())

	deal := a.Deal(t, owner, org, nil) // a contact.created for contacts, nothing for deals
	contacts.wait(t, 1, 15*time.Second)
	before := countRows(t, a, `SELECT count(*) FROM webhook_events`)

	// Refused: a won deal needs an amount; a member may not change the owner's deal; a PATCH that
	// changes nothing is no change.
	res, body := a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/deals/" + deal.Id.String(),
		Body: []byte(`{"status":"won"}`), Token: owner.Access, Org: org})
	problemOf(t, res, body, http.StatusBadRequest, "won_requires_positive_amount")
	res, body = a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/deals/" + deal.Id.String(),
		Body: []byte(`{"title":"Mine now"}`), Token: tm.Member(t).Access, Org: org})
	assert.Equal(t, http.StatusForbidden, res.StatusCode, string(body))
	res, body = a.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/api/v1/deals/" + deal.Id.String(),
		Body: []byte(`{"title":"` + deal.Title + `"}`), Token: owner.Access, Org: org})
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	assert.Equal(t, before, countRows(t, a, `SELECT count(*) FROM webhook_events`), "nothing was emitted")

	a.UpdateDeal(t, owner, org, deal.Id, client.DealUpdate{Title: apptest.Ptr("Renamed")})
	ev := events(t, deals, wd.Secret, 1)["deal.updated"][0]
	_, prev := eventData(t, ev)
	assert.Equal(t, deal.Title, prev["title"])
	time.Sleep(300 * time.Millisecond) // anything else queued would have arrived by now
	assert.Equal(t, 1, deals.count(), "deal.updated only")
	assert.Equal(t, 1, contacts.count(), "contact.created only")
	assert.Equal(t, 0, off.count(), "an inactive webhook receives nothing")
}
