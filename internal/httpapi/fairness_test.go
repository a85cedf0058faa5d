package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/httpapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fairHold sends requests that will wait in the database (on a lock the test holds) and returns a
// channel with their statuses.
func fairHold(t *testing.T, app *apptest.App, n int, method, path, token string, org uuid.UUID, body string) <-chan int {
	t.Helper()
	out := make(chan int, n)
	for range n {
		go func() {
			req, err := http.NewRequestWithContext(context.Background(), method, app.URL+path, bytes.NewBufferString(body))
			if err != nil {
				out <- 0
				return
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Organization-Id", org.String())
			res, err := app.HTTP.Do(req)
			if err != nil {
				out <- 0
				return
			}
			_ = res.Body.Close()
			out <- res.StatusCode
		}()
	}
	return out
}

// fairWaitForLockWaits waits until n queries of the test database wait for a lock.
func fairWaitForLockWaits(t *testing.T, app *apptest.App, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		var waiting int
		err := app.Pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting == n
	}, 10*time.Second, 10*time.Millisecond, "%d requests waiting on the lock", n)
}

// fairCollect reads n statuses.
func fairCollect(t *testing.T, statuses <-chan int, n int) []int {
	t.Helper()
	var out []int
	for range n {
		select {
		case s := <-statuses:
			out = append(out, s)
		case <-time.After(15 * time.Second):
			t.Fatalf("held requests did not finish: got %v", out)
		}
	}
	return out
}

func TestFairness_OneOrganizationCannotHoldMoreThanItsShareOfThePool(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgMaxConcurrent: 2}})
	busy := app.Register(t, "busy")
	quiet := app.Register(t, "quiet")
	deal := app.NewDeal(t, busy, busy.OrgID, "Locked", "100.00")

	// Hold the deal's row, so that its updates wait inside their handlers, each holding a slot.
	tx, err := app.Pool.Begin(t.Context())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(t.Context(), `SELECT 1 FROM deals WHERE id = $1 FOR UPDATE`, deal.Id)
	require.NoError(t, err)
	held := fairHold(t, app, 2, http.MethodPatch, "/api/v1/deals/"+deal.Id.String(), busy.Access, busy.OrgID, `{"title":"Renamed"}`)
	fairWaitForLockWaits(t, app, 2)

	// The busy organization has no slot left: refused at once, whatever the request.
	res, body := app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: busy.Access, Org: busy.OrgID})
	rlLimited(t, res, body)
	assert.Equal(t, "1", res.Header.Get("Retry-After"))
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/organizations/" + busy.OrgID.String(), Token: busy.Access})
	rlLimited(t, res, body)

	// Another organization is served meanwhile.
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: quiet.Access, Org: quiet.OrgID})
	assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)

	// Once the lock goes, the held requests finish and give their slots back.
	require.NoError(t, tx.Rollback(t.Context()))
	assert.Equal(t, []int{http.StatusOK, http.StatusOK}, fairCollect(t, held, 2))
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/contacts", Token: busy.Access, Org: busy.OrgID})
	assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
}

func TestFairness_AnalyticsHaveATighterBound(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithOptions(t, apptest.Options{Limits: httpapi.Limits{OrgMaxConcurrent: 3, AnalyticsMaxConcurrent: 1}})
	busy := app.Register(t, "busy")

	// Nobody reads deals while the test holds this lock: the summary waits, holding its slot.
	tx, err := app.Pool.BeginTx(t.Context(), pgx.TxOptions{})
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(t.Context(), `LOCK TABLE deals IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	held := fairHold(t, app, 1, http.MethodGet, "/api/v1/analytics/deals/summary", busy.Access, busy.OrgID, "")
	fairWaitForLockWaits(t, app, 1)

	res, body := app.Do(t, apptest.Request{Path: "/api/v1/analytics/deals/funnel", Token: busy.Access, Org: busy.OrgID})
	rlLimited(t, res, body)
	// The organization's other requests still have slots.
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/organizations/" + busy.OrgID.String(), Token: busy.Access})
	assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)

	require.NoError(t, tx.Rollback(t.Context()))
	assert.Equal(t, []int{http.StatusOK}, fairCollect(t, held, 1))
	res, body = app.Do(t, apptest.Request{Path: "/api/v1/analytics/deals/funnel", Token: busy.Access, Org: busy.OrgID})
	assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
}
