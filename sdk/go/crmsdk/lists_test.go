package crmsdk_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/sdk/go/crmsdk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const contactsPath = "/api/v1/contacts"

// collect runs seq to its end and returns the items and the errors it yielded.
func collect[T any](seq func(func(T, error) bool)) (items []T, errs []error) {
	for item, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, item)
	}
	return items, errs
}

func contactIDs(cs []client.Contact) []uuid.UUID {
	out := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		out[i] = c.Id
	}
	return out
}

// TestContactsIterator pages through 45 contacts by cursor.
func TestContactsIterator(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	owner := app.Register(t, "ada")
	for i := 1; i <= 45; i++ {
		parity := "even"
		if i%2 == 1 {
			parity = "odd"
		}
		app.NewContact(t, owner, owner.OrgID, fmt.Sprintf("Contact %02d %s", i, parity))
	}
	stranger := app.Register(t, "mallory")

	// sdk returns a client of owner working in their organization, and its recorder.
	sdk := func(t *testing.T) (*crmsdk.Client, *recorder) {
		return newSDK(t, app, crmsdk.WithTokens(owner.Access, owner.Refresh), crmsdk.WithOrganization(owner.OrgID))
	}
	// reference is the list in one page of 100, as the server orders it.
	reference := func(t *testing.T, params client.ListContactsParams) []client.Contact {
		params.PageSize = apptest.Ptr(client.PageSize(100))
		res, err := crmsdk.Ok(app.Client.ListContactsWithResponse(t.Context(), &params, owner.In(owner.OrgID)...))
		require.NoError(t, err)
		require.Nil(t, res.JSON200.NextCursor, "one page holds the whole list")
		return res.JSON200.Items
	}
	all := reference(t, client.ListContactsParams{})
	require.Len(t, all, 45)

	t.Run("every item once, in the server's order, a request per page", func(t *testing.T) {
		c, rec := sdk(t)
		params := &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}
		got, errs := collect(c.Contacts.All(t.Context(), params))
		require.Empty(t, errs)
		assert.Equal(t, contactIDs(all), contactIDs(got))

		sent := rec.exchanges(contactsPath)
		require.Len(t, sent, 3, "20 + 20 + 5")
		assert.False(t, sent[0].Query.Has("cursor"), "the first page goes without a cursor")
		for i, e := range sent {
			assert.Equal(t, http.StatusOK, e.Status)
			assert.Equal(t, "20", e.Query.Get("page_size"), "request %d keeps page_size", i)
			assert.Equal(t, owner.OrgID.String(), e.Org)
		}
		assert.NotEmpty(t, sent[1].Query.Get("cursor"))
		assert.NotEqual(t, sent[1].Query.Get("cursor"), sent[2].Query.Get("cursor"))
		assert.Equal(t, &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}, params, "the caller's params are left alone")
	})

	t.Run("a break stops it", func(t *testing.T) {
		c, rec := sdk(t)
		var got []client.Contact
		for contact, err := range c.Contacts.All(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}) {
			require.NoError(t, err)
			got = append(got, contact)
			if len(got) == 5 {
				break
			}
		}
		assert.Equal(t, contactIDs(all[:5]), contactIDs(got))
		assert.Equal(t, 1, rec.count(contactsPath))

		// A break on the last item of a page does not fetch the next one either.
		n := 0
		for _, err := range c.Contacts.All(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}) {
			require.NoError(t, err)
			if n++; n == 20 {
				break
			}
		}
		assert.Equal(t, 2, rec.count(contactsPath))
	})

	t.Run("filters and order are kept on every page", func(t *testing.T) {
		c, rec := sdk(t)
		name, order, by := "ODD", client.ListContactsParamsOrderAsc, client.ListContactsParamsOrderByName
		params := client.ListContactsParams{Search: &name, Order: &order, OrderBy: &by}
		want := reference(t, params)
		require.Len(t, want, 23)

		params.PageSize = apptest.Ptr(client.PageSize(10))
		got, errs := collect(c.Contacts.All(t.Context(), &params))
		require.Empty(t, errs)
		assert.Equal(t, contactIDs(want), contactIDs(got))
		for i, contact := range got {
			assert.True(t, strings.HasSuffix(contact.Name, " odd"), contact.Name)
			if i > 0 {
				assert.Less(t, got[i-1].Name, contact.Name)
			}
		}
		sent := rec.exchanges(contactsPath)
		require.Len(t, sent, 3, "10 + 10 + 3")
		for _, e := range sent {
			assert.Equal(t, "ODD", e.Query.Get("search"))
			assert.Equal(t, "name", e.Query.Get("order_by"))
			assert.Equal(t, "asc", e.Query.Get("order"))
			assert.Equal(t, "10", e.Query.Get("page_size"))
		}
	})

	t.Run("an error is yielded once and ends it", func(t *testing.T) {
		c, rec := newSDK(t, app, crmsdk.WithTokens(owner.Access, owner.Refresh), crmsdk.WithOrganization(stranger.OrgID))
		calls := 0
		var last error
		for contact, err := range c.Contacts.All(t.Context(), nil) {
			calls++
			last = err
			assert.Zero(t, contact)
		}
		assert.Equal(t, 1, calls)
		pe := problemOf(t, last)
		assert.Equal(t, http.StatusForbidden, pe.Status)
		assert.Equal(t, "not_a_member", pe.Code())
		assert.Equal(t, 1, rec.count(contactsPath))
	})

	t.Run("a foreign or altered cursor is invalid_cursor", func(t *testing.T) {
		c, _ := sdk(t)
		first, err := crmsdk.Ok(c.ListContactsWithResponse(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}))
		require.NoError(t, err)
		require.NotNil(t, first.JSON200.NextCursor)

		// The cursor of page_size 20, sent with page_size 10.
		_, errs := collect(c.Contacts.All(t.Context(), &client.ListContactsParams{Cursor: first.JSON200.NextCursor, PageSize: apptest.Ptr(client.PageSize(10))}))
		require.Len(t, errs, 1)
		assert.True(t, crmsdk.IsProblem(errs[0], "invalid_cursor"), errs[0])

		_, errs = collect(c.Contacts.All(t.Context(), &client.ListContactsParams{Cursor: apptest.Ptr("garbage")}))
		require.Len(t, errs, 1)
		assert.True(t, crmsdk.IsProblem(errs[0], "invalid_cursor"), errs[0])
	})

	t.Run("a cursor in params resumes an iteration", func(t *testing.T) {
		c, rec := sdk(t)
		first, err := crmsdk.Ok(c.ListContactsWithResponse(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}))
		require.NoError(t, err)
		params := &client.ListContactsParams{Cursor: first.JSON200.NextCursor, PageSize: apptest.Ptr(client.PageSize(20))}
		got, errs := collect(c.Contacts.All(t.Context(), params))
		require.Empty(t, errs)
		assert.Equal(t, contactIDs(all[20:]), contactIDs(got))
		assert.Equal(t, 3, rec.count(contactsPath), "the first page by hand, then 20 + 5")
		assert.Equal(t, first.JSON200.NextCursor, params.Cursor)
	})

	t.Run("the organization stays the one selected when the loop started", func(t *testing.T) {
		c, rec := sdk(t)
		var got []client.Contact
		for contact, err := range c.Contacts.All(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}) {
			require.NoError(t, err)
			got = append(got, contact)
			c.SetOrganization(stranger.OrgID)
		}
		assert.Equal(t, contactIDs(all), contactIDs(got))
		for _, e := range rec.exchanges(contactsPath) {
			assert.Equal(t, owner.OrgID.String(), e.Org)
		}
	})

	t.Run("a canceled context is yielded once", func(t *testing.T) {
		c, rec := sdk(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		n := 0
		var errs []error
		for _, err := range c.Contacts.All(ctx, &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(20))}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if n++; n == 20 {
				cancel()
			}
		}
		assert.Equal(t, 20, n)
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], context.Canceled)
		sent := rec.exchanges(contactsPath)
		require.Len(t, sent, 2)
		assert.Zero(t, sent[1].Status, "the second page is never answered")
	})

	t.Run("nothing is sent before the loop, and every loop starts over", func(t *testing.T) {
		c, rec := sdk(t)
		seq := c.Contacts.All(t.Context(), &client.ListContactsParams{PageSize: apptest.Ptr(client.PageSize(50))})
		assert.Zero(t, rec.count(""))
		for range 2 {
			got, errs := collect(seq)
			require.Empty(t, errs)
			assert.Equal(t, contactIDs(all), contactIDs(got))
		}
		assert.Equal(t, 2, rec.count(contactsPath))
	})
}

// TestListIterators runs the other lists' iterators over several pages each.
func TestListIterators(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	app := apptest.New(t)
	owner := app.Register(t, "ada")
	org := owner.OrgID
	c, rec := newSDK(t, app, crmsdk.WithTokens(owner.Access, owner.Refresh), crmsdk.WithOrganization(org))
	two := apptest.Ptr(client.PageSize(2))

	var deals []client.Deal
	for i := range 5 {
		o := &apptest.DealOptions{Title: fmt.Sprintf("Deal %d", i), Amount: "100"}
		if i%2 == 0 {
			o.Stage = client.DealStageProposal
		}
		deals = append(deals, app.Deal(t, owner, org, o))
	}

	t.Run("deals", func(t *testing.T) {
		got, errs := collect(c.Deals.All(ctx, &client.ListDealsParams{PageSize: two}))
		require.Empty(t, errs)
		want, err := crmsdk.Ok(c.ListDealsWithResponse(ctx, nil))
		require.NoError(t, err)
		assert.Equal(t, want.JSON200.Items, got)
		assert.Len(t, got, 5)

		stage := client.DealStageProposal
		before := rec.count("/api/v1/deals")
		got, errs = collect(c.Deals.All(ctx, &client.ListDealsParams{Stage: &stage, PageSize: apptest.Ptr(client.PageSize(1))}))
		require.Empty(t, errs)
		require.Len(t, got, 3)
		for _, d := range got {
			assert.Equal(t, client.DealStageProposal, d.Stage)
		}
		assert.Equal(t, 3, rec.count("/api/v1/deals")-before)
		for _, e := range rec.exchanges("/api/v1/deals")[before:] {
			assert.Equal(t, "proposal", e.Query.Get("stage"))
		}
	})

	t.Run("tasks", func(t *testing.T) {
		for i := range 3 {
			app.CreateTask(t, owner, org, client.TaskCreate{DealId: deals[0].Id, Title: fmt.Sprintf("Task %d", i)})
		}
		app.CreateTask(t, owner, org, client.TaskCreate{DealId: deals[1].Id, Title: "Elsewhere"})
		got, errs := collect(c.Tasks.All(ctx, &client.ListTasksParams{DealId: &deals[0].Id, PageSize: two}))
		require.Empty(t, errs)
		require.Len(t, got, 3)
		for _, task := range got {
			assert.Equal(t, deals[0].Id, task.DealId)
		}
	})

	t.Run("activities", func(t *testing.T) {
		for i := range 4 {
			app.Comment(t, owner, org, deals[0].Id, fmt.Sprintf("Comment %d", i))
		}
		want, err := crmsdk.Ok(c.ListActivitiesWithResponse(ctx, deals[0].Id, &client.ListActivitiesParams{PageSize: apptest.Ptr(client.PageSize(100))}))
		require.NoError(t, err)
		require.Greater(t, len(want.JSON200.Items), 4)
		got, errs := collect(c.Activities.All(ctx, deals[0].Id, &client.ListActivitiesParams{PageSize: two}))
		require.Empty(t, errs)
		assert.Equal(t, want.JSON200.Items, got)

		typ := client.ActivityTypeComment
		comments, errs := collect(c.Activities.All(ctx, deals[0].Id, &client.ListActivitiesParams{Type: &typ, PageSize: two}))
		require.Empty(t, errs)
		assert.Len(t, comments, 4)

		_, errs = collect(c.Activities.All(ctx, uuid.New(), nil))
		require.Len(t, errs, 1)
		assert.True(t, crmsdk.IsProblem(errs[0], "not_found"), errs[0])
	})

	t.Run("members", func(t *testing.T) {
		app.Member(t, owner, org, "grace", client.RoleMember)
		app.Member(t, owner, org, "linus", client.RoleManager)
		want, err := crmsdk.Ok(c.ListMembersWithResponse(ctx, org, nil))
		require.NoError(t, err)
		require.Len(t, want.JSON200.Items, 3)
		got, errs := collect(c.Members.All(ctx, org, &client.ListMembersParams{PageSize: two}))
		require.Empty(t, errs)
		assert.Equal(t, want.JSON200.Items, got)
	})

	t.Run("webhooks", func(t *testing.T) {
		var hooks []client.WebhookWithSecret
		for i := range 3 {
			res, err := crmsdk.Ok(c.CreateWebhookWithResponse(ctx, client.WebhookCreate{
				Url: fmt.Sprintf("https://hooks.example.com/%d", i), Events: []client.WebhookSubscription{client.WebhookSubscriptionAll}}))
			require.NoError(t, err)
			hooks = append(hooks, *res.JSON201)
		}
		want, err := crmsdk.Ok(c.ListWebhooksWithResponse(ctx, nil))
		require.NoError(t, err)
		require.Len(t, want.JSON200.Items, 3)
		got, errs := collect(c.Webhooks.All(ctx, &client.ListWebhooksParams{PageSize: two}))
		require.Empty(t, errs)
		assert.Equal(t, want.JSON200.Items, got)

		for range 3 {
			_, err := crmsdk.Ok(c.PingWebhookWithResponse(ctx, hooks[0].Id))
			require.NoError(t, err)
		}
		all, err := crmsdk.Ok(c.ListWebhookDeliveriesWithResponse(ctx, hooks[0].Id, nil))
		require.NoError(t, err)
		require.Len(t, all.JSON200.Items, 3)
		deliveries, errs := collect(c.Webhooks.AllDeliveries(ctx, hooks[0].Id, &client.ListWebhookDeliveriesParams{PageSize: two}))
		require.Empty(t, errs)
		assert.Equal(t, all.JSON200.Items, deliveries)
	})
}
