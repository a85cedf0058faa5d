package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/gen/client"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Optimistic concurrency (RFC 9110): contacts, deals and tasks carry a strong ETag; PATCH and DELETE
// honour If-Match (412 precondition_failed when stale), GET honours If-None-Match (304).

// strongETag is the shape of the entity tags the service answers: quoted, never weak.
var strongETag = regexp.MustCompile(`^"[!#-~]+"$`)

// etagged is one kind of object with an entity tag, driven through the generated client as the
// team's owner. Every call answers the raw response and its body.
type etagged struct {
	name  string
	table string
	field string // the text field change sets: name or title
	// create makes a new object, title its field.
	create func(t *testing.T, title string) (uuid.UUID, *http.Response, []byte)
	get    func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte)
	// change sets the object's field to title.
	change func(t *testing.T, id uuid.UUID, title string, ed ...client.RequestEditorFn) (*http.Response, []byte)
	del    func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte)
}

// etaggedKinds are the contact, deal and task of a new team's owner (the deal and tasks on a
// contact and deal of their own).
func etaggedKinds(t *testing.T) (*apptest.Team, []etagged) {
	t.Helper()
	tm := apptest.NewTeam(t, nil)
	app, owner, org := tm.App, tm.Owner, tm.Org
	c := app.Client
	as := func(ed []client.RequestEditorFn) []client.RequestEditorFn {
		return append(owner.In(org), ed...)
	}
	contact := app.NewContact(t, owner, org, "Deal contact")
	deal := app.NewDeal(t, owner, org, "Task deal", "100.00")
	return tm, []etagged{
		{
			name: "contact", table: "contacts", field: "name",
			create: func(t *testing.T, title string) (uuid.UUID, *http.Response, []byte) {
				res, err := c.CreateContactWithResponse(t.Context(), client.ContactCreate{Name: title}, as(nil)...)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
				return res.JSON201.Id, res.HTTPResponse, res.Body
			},
			get: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.GetContactWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			change: func(t *testing.T, id uuid.UUID, title string, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.UpdateContactWithResponse(t.Context(), id, client.ContactUpdate{Name: &title}, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			del: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.DeleteContactWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
		},
		{
			name: "deal", table: "deals", field: "title",
			create: func(t *testing.T, title string) (uuid.UUID, *http.Response, []byte) {
				res, err := c.CreateDealWithResponse(t.Context(), client.DealCreate{ContactId: contact.Id, Title: title}, as(nil)...)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
				return res.JSON201.Id, res.HTTPResponse, res.Body
			},
			get: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.GetDealWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			change: func(t *testing.T, id uuid.UUID, title string, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.UpdateDealWithResponse(t.Context(), id, client.DealUpdate{Title: &title}, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			del: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.DeleteDealWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
		},
		{
			name: "task", table: "tasks", field: "title",
			create: func(t *testing.T, title string) (uuid.UUID, *http.Response, []byte) {
				res, err := c.CreateTaskWithResponse(t.Context(), client.TaskCreate{DealId: deal.Id, Title: title}, as(nil)...)
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, res.StatusCode(), "body: %s", res.Body)
				return res.JSON201.Id, res.HTTPResponse, res.Body
			},
			get: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.GetTaskWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			change: func(t *testing.T, id uuid.UUID, title string, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.UpdateTaskWithResponse(t.Context(), id, client.TaskUpdate{Title: &title}, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
			del: func(t *testing.T, id uuid.UUID, ed ...client.RequestEditorFn) (*http.Response, []byte) {
				res, err := c.DeleteTaskWithResponse(t.Context(), id, as(ed)...)
				require.NoError(t, err)
				return res.HTTPResponse, res.Body
			},
		},
	}
}

func ifMatch(v string) client.RequestEditorFn     { return apptest.Header("If-Match", v) }
func ifNoneMatch(v string) client.RequestEditorFn { return apptest.Header("If-None-Match", v) }

// etagOf asserts the answer has status and a strong entity tag, and returns the tag.
func etagOf(t *testing.T, res *http.Response, body []byte, status int) string {
	t.Helper()
	require.Equal(t, status, res.StatusCode, "body: %s", body)
	tag := res.Header.Get("ETag")
	require.Regexp(t, strongETag, tag, "ETag of a %d", status)
	return tag
}

// current reads the object: its entity tag and the value of its text field.
func (k etagged) current(t *testing.T, id uuid.UUID) (tag, title string) {
	t.Helper()
	res, body := k.get(t, id)
	tag = etagOf(t, res, body, http.StatusOK)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	title, _ = m[k.field].(string)
	return tag, title
}

func TestETag_EveryAnswerCarriesOneThatChangesWithEveryChangeAndOnlyThen(t *testing.T) {
	t.Parallel()
	_, kinds := etaggedKinds(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			id, res, body := k.create(t, "v1")
			created := etagOf(t, res, body, http.StatusCreated)
			read, _ := k.current(t, id)
			assert.Equal(t, created, read, "GET answers the tag POST gave")

			res, body = k.change(t, id, "v2")
			changed := etagOf(t, res, body, http.StatusOK)
			assert.NotEqual(t, created, changed, "a change gives a new tag")
			read, _ = k.current(t, id)
			assert.Equal(t, changed, read, "GET answers the tag PATCH gave")

			res, body = k.change(t, id, "v2")
			assert.Equal(t, changed, etagOf(t, res, body, http.StatusOK), "a PATCH that changes nothing keeps the tag")

			res, body = k.change(t, id, "v1")
			back := etagOf(t, res, body, http.StatusOK)
			assert.NotEqual(t, created, back, "the same content again is still a new state")
			assert.NotEqual(t, changed, back)

			_, res, body = k.create(t, "v1")
			assert.NotEqual(t, created, etagOf(t, res, body, http.StatusCreated), "another object, another tag")
		})
	}
}

func TestIfMatch_StaleIsRefusedWith412AndTheCurrentETagAndChangesNothing(t *testing.T) {
	t.Parallel()
	tm, kinds := etaggedKinds(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			id, res, body := k.create(t, "first")
			stale := etagOf(t, res, body, http.StatusCreated)
			res, body = k.change(t, id, "second") // without If-Match: last write wins
			cur := etagOf(t, res, body, http.StatusOK)
			activities := activityCount(t, tm, id)

			for _, tags := range []string{stale, `W/` + cur, `"nope"`, `"nope", ` + stale, cur[:len(cur)-1], `W/` + cur + `, "x"`} {
				res, body = k.change(t, id, "third", ifMatch(tags))
				problemOf(t, res, body, http.StatusPreconditionFailed, "precondition_failed")
				assert.Equal(t, cur, res.Header.Get("ETag"), "the 412 names the current tag (If-Match: %s)", tags)

				res, body = k.del(t, id, ifMatch(tags))
				problemOf(t, res, body, http.StatusPreconditionFailed, "precondition_failed")
				assert.Equal(t, cur, res.Header.Get("ETag"), "the 412 names the current tag (If-Match: %s)", tags)
			}
			tag, title := k.current(t, id)
			assert.Equal(t, cur, tag, "nothing changed")
			assert.Equal(t, "second", title)
			assert.Equal(t, activities, activityCount(t, tm, id), "nothing written to the timeline")

			// The current tag, alone or in a list, lets the change through; the answer names the new tag.
			res, body = k.change(t, id, "third", ifMatch(cur))
			next := etagOf(t, res, body, http.StatusOK)
			assert.NotEqual(t, cur, next)
			res, body = k.change(t, id, "fourth", ifMatch(`"nope",`+stale+` ,  `+next))
			next2 := etagOf(t, res, body, http.StatusOK)
			_, title = k.current(t, id)
			assert.Equal(t, "fourth", title)

			// A no-op PATCH with the current tag is a 200 that keeps it.
			res, body = k.change(t, id, "fourth", ifMatch(next2))
			assert.Equal(t, next2, etagOf(t, res, body, http.StatusOK))

			// "*" matches any existing object.
			res, body = k.change(t, id, "fifth", ifMatch("*"))
			last := etagOf(t, res, body, http.StatusOK)

			res, body = k.del(t, id, ifMatch(last))
			require.Equal(t, http.StatusNoContent, res.StatusCode, "body: %s", body)
			res, body = k.get(t, id)
			problemOf(t, res, body, http.StatusNotFound, "not_found")

			// A missing object stays 404, whatever If-Match says.
			for _, tags := range []string{"*", last} {
				res, body = k.change(t, id, "again", ifMatch(tags))
				problemOf(t, res, body, http.StatusNotFound, "not_found")
				res, body = k.del(t, id, ifMatch(tags))
				problemOf(t, res, body, http.StatusNotFound, "not_found")
			}

			// DELETE with "*" on an existing object.
			id2, _, _ := k.create(t, "doomed")
			res, body = k.del(t, id2, ifMatch("*"))
			require.Equal(t, http.StatusNoContent, res.StatusCode, "body: %s", body)
		})
	}
}

// activityCount is the number of timeline entries of deal id (zero for contacts and tasks' ids).
func activityCount(t *testing.T, tm *apptest.Team, id uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, tm.App.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM activities WHERE organization_id = $1 AND (deal_id = $2 OR payload->>'task_id' = $2::text)`, tm.Org, id).Scan(&n))
	return n
}

func TestIfMatch_IsNoWayAroundTheOtherAnswers(t *testing.T) {
	t.Parallel()
	tm, kinds := etaggedKinds(t)
	member := tm.Member(t)
	stranger := tm.Outsider(t) // a member of an organization of their own only
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			id, res, body := k.create(t, "owner's")
			tag := etagOf(t, res, body, http.StatusCreated)

			// A member may not change the owner's object: 403, with a current or a stale tag alike.
			for _, tags := range []string{tag, `"stale"`, "*"} {
				// The owner's editors come first; the member's replace their headers.
				ed := append(member.In(tm.Org), ifMatch(tags))
				res, body := k.change(t, id, "member's", ed...)
				problemOf(t, res, body, http.StatusForbidden, "forbidden")
				assert.Empty(t, res.Header.Get("ETag"))
				res, body = k.del(t, id, ed...)
				problemOf(t, res, body, http.StatusForbidden, "forbidden")
			}
			// Another organization's object is missing: 404, never a 412 that would give its tag away.
			for _, tags := range []string{tag, `"stale"`, "*"} {
				ed := append(stranger.In(stranger.OrgID), ifMatch(tags))
				res, body := k.change(t, id, "stranger's", ed...)
				problemOf(t, res, body, http.StatusNotFound, "not_found")
				assert.Empty(t, res.Header.Get("ETag"))
				res, body = k.del(t, id, ed...)
				problemOf(t, res, body, http.StatusNotFound, "not_found")
				res, body = k.get(t, id, append(stranger.In(stranger.OrgID), ifNoneMatch(tags))...)
				problemOf(t, res, body, http.StatusNotFound, "not_found")
			}
			now, title := k.current(t, id)
			assert.Equal(t, tag, now)
			assert.Equal(t, "owner's", title)
		})
	}
}

func TestIfNoneMatch_TheCurrentETagAnswers304WithoutABody(t *testing.T) {
	t.Parallel()
	_, kinds := etaggedKinds(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			id, res, body := k.create(t, "cached")
			old := etagOf(t, res, body, http.StatusCreated)
			res, body = k.change(t, id, "changed")
			cur := etagOf(t, res, body, http.StatusOK)

			for _, tags := range []string{cur, "*", `W/` + cur, `"a", ` + cur, old + `,W/` + cur} {
				res, body := k.get(t, id, ifNoneMatch(tags))
				require.Equal(t, http.StatusNotModified, res.StatusCode, "If-None-Match: %s: body: %s", tags, body)
				assert.Empty(t, body, "a 304 has no body")
				assert.Equal(t, cur, res.Header.Get("ETag"), "the 304 names the tag")
			}
			for _, tags := range []string{old, `"a", W/` + old, `"nope"`} {
				res, body := k.get(t, id, ifNoneMatch(tags))
				assert.Equal(t, cur, etagOf(t, res, body, http.StatusOK), "If-None-Match: %s", tags)
				var m map[string]any
				require.NoError(t, json.Unmarshal(body, &m))
				assert.Equal(t, "changed", m[k.field])
			}
		})
	}
}

// Two writers holding the same entity tag: the check is made on the locked row in the change's
// transaction, so exactly one of them changes the object and the other is told it is stale. In the
// first round the test holds the row's lock until both requests wait for it, so both have read
// their If-Match before either may change the row: a check made before the lock would let both win.
// The kinds take turns: the service's pool has four connections, and two waiting requests hold two.
func TestIfMatch_OfTwoConcurrentPatchesWithOneETagExactlyOneWins(t *testing.T) {
	t.Parallel()
	tm, kinds := etaggedKinds(t)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for round := range 6 {
				id, res, body := k.create(t, "start")
				tag := etagOf(t, res, body, http.StatusCreated)
				var release func()
				if round == 0 {
					release = holdRowLock(t, tm, k.table, id)
				}
				titles := []string{"left", "right"}
				statuses := make([]int, len(titles))
				tags := make([]string, len(titles))
				var start, done sync.WaitGroup
				start.Add(1)
				for i, title := range titles {
					done.Add(1)
					go func() {
						defer done.Done()
						start.Wait()
						res, _ := k.change(t, id, title, ifMatch(tag))
						statuses[i], tags[i] = res.StatusCode, res.Header.Get("ETag")
					}()
				}
				start.Done()
				if release != nil {
					release()
				}
				done.Wait()

				won := -1
				for i, s := range statuses {
					if s == http.StatusOK {
						require.Equal(t, -1, won, "round %d: two winners: %v", round, statuses)
						won = i
					}
				}
				require.NotEqual(t, -1, won, "round %d: no winner: %v", round, statuses)
				lost := 1 - won
				assert.Equal(t, http.StatusPreconditionFailed, statuses[lost], "round %d", round)
				assert.Equal(t, tags[won], tags[lost], "round %d: the 412 names the winner's tag", round)
				now, title := k.current(t, id)
				assert.Equal(t, tags[won], now)
				assert.Equal(t, titles[won], title)
			}
		})
	}
}

// holdRowLock locks the row id of table in a transaction on a connection of its own (not one of the
// service's) and returns the function that waits until two other sessions wait for that lock, and
// then lets them go.
func holdRowLock(t *testing.T, tm *apptest.Team, table string, id uuid.UUID) func() {
	t.Helper()
	conn, err := pgx.ConnectConfig(t.Context(), tm.App.Pool.Config().ConnConfig.Copy())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	tx, err := conn.Begin(t.Context())
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	_, err = tx.Exec(t.Context(), "SELECT 1 FROM "+table+" WHERE id = $1 FOR UPDATE", id) //nolint:gosec // the test's own table names
	require.NoError(t, err)
	return func() {
		t.Helper()
		require.Eventually(t, func() bool {
			var waiting int
			err := tm.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM ' || $1::text || '%FOR NO KEY UPDATE%'`, table).Scan(&waiting)
			return err == nil && waiting >= 2
		}, 10*time.Second, 5*time.Millisecond, "both requests wait for the row")
		require.NoError(t, tx.Commit(t.Context()))
	}
}
