package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/demo"
	"github.com/minicrm/crm/internal/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type client struct {
	t     *testing.T
	base  string
	token string
	org   string
}

func (c client) do(method, path string, body, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.org != "" {
		req.Header.Set("X-Organization-Id", c.org)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode
}

// total is the "total" of a list.
func (c client) total(path string) int {
	c.t.Helper()
	var page struct {
		Total int `json:"total"`
	}
	require.Equal(c.t, http.StatusOK, c.do(http.MethodGet, path, nil, &page), path)
	return page.Total
}

func login(t *testing.T, base, email, password string) client {
	t.Helper()
	var res struct {
		AccessToken string `json:"access_token"`
	}
	c := client{t: t, base: base}
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/auth/login",
		map[string]string{"email": email, "password": password}, &res), email)
	c.token = res.AccessToken
	return c
}

func TestSeed_DemoOrganizationIsALivingCRMThroughTheAPI(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	ctx := context.Background()
	const password = "demo-password-1"
	res, err := demo.Seed(ctx, platform.NewDB(pool), password)
	require.NoError(t, err)
	require.False(t, res.Existing)

	h, _, err := apptest.NewHandler(pool, apptest.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	owner := login(t, srv.URL, demo.OwnerEmail, password)
	owner.org = res.OrganizationID.String()

	var members struct {
		Items []struct {
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/organizations/"+owner.org+"/members", nil, &members))
	roles := map[string]string{}
	for _, m := range members.Items {
		roles[m.Email] = m.Role
	}
	require.Len(t, roles, len(demo.Team))
	for _, p := range demo.Team {
		assert.Equal(t, string(p.Role), roles[p.Email], p.Email)
		// Every member can log in with the printed password and act in the organization.
		m := login(t, srv.URL, p.Email, password)
		m.org = owner.org
		assert.Positive(t, m.total("/api/v1/deals?page_size=1"), p.Email)
	}

	assert.Equal(t, demo.Contacts, owner.total("/api/v1/contacts?page_size=1"))
	assert.Equal(t, demo.Deals, owner.total("/api/v1/deals?page_size=1"))
	for _, stage := range []string{"qualification", "proposal", "negotiation", "closed"} {
		n := owner.total("/api/v1/deals?page_size=1&stage=" + stage)
		assert.Positive(t, n, stage)
		assert.Equal(t, res.Stages[stage], n, stage)
	}
	for _, status := range []string{"new", "in_progress", "won", "lost"} {
		n := owner.total("/api/v1/deals?page_size=1&status=" + status)
		assert.Positive(t, n, status)
		assert.Equal(t, res.Statuses[status], n, status)
	}
	assert.Equal(t, res.Tasks, owner.total("/api/v1/tasks?page_size=1"))
	assert.GreaterOrEqual(t, res.Tasks, 20)
	assert.Less(t, owner.total("/api/v1/tasks?page_size=1&only_open=true"), res.Tasks, "some tasks are done")

	// A won deal's timeline tells its story: created, moved stage by stage, won; comments too.
	var won struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/deals?status=won&page_size=100", nil, &won))
	types := map[string]int{}
	for _, d := range won.Items {
		var timeline struct {
			Items []struct {
				Type string `json:"type"`
			} `json:"items"`
		}
		require.Equal(t, http.StatusOK, owner.do(http.MethodGet, fmt.Sprintf("/api/v1/deals/%s/activities?page_size=100", d.ID), nil, &timeline))
		for _, a := range timeline.Items {
			types[a.Type]++
		}
	}
	assert.Equal(t, len(won.Items), types["deal_created"])
	assert.Equal(t, 3*len(won.Items), types["stage_changed"], "qualification → proposal → negotiation → closed")
	assert.Positive(t, types["status_changed"])
	assert.Positive(t, types["comment"])

	var funnel struct {
		Stages []struct {
			Stage   string `json:"stage"`
			Reached int    `json:"reached"`
		} `json:"stages"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/analytics/deals/funnel", nil, &funnel))
	require.Len(t, funnel.Stages, 4)
	assert.Equal(t, demo.Deals, funnel.Stages[0].Reached)
	assert.Greater(t, funnel.Stages[0].Reached, funnel.Stages[3].Reached)

	// The stage-history ledger saw the moves: every deal entered qualification at creation, and
	// each stage as many deals as reached it (whether the deal moved back from negotiation counts
	// twice for proposal is the ledger's business).
	var stages struct {
		Stages []struct {
			Stage   string `json:"stage"`
			Entered int    `json:"entered"`
		} `json:"stages"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/analytics/deals/stages", nil, &stages))
	entered := map[string]int{}
	for _, st := range stages.Stages {
		entered[st.Stage] = st.Entered
	}
	assert.Equal(t, 40, entered["qualification"])
	assert.GreaterOrEqual(t, entered["proposal"], 28)
	assert.Equal(t, 19, entered["negotiation"])
	assert.Equal(t, 12, entered["closed"])

	// The history reads as weeks of selling, not as the seconds the seed took: the first deal is
	// weeks old, the last recent, stays last hours, and the sales cycle is about a day.
	var oldest, newest struct {
		Items []struct {
			CreatedAt time.Time `json:"created_at"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/deals?order_by=created_at&order=asc&page_size=1", nil, &oldest))
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/deals?order_by=created_at&order=desc&page_size=1", nil, &newest))
	require.Len(t, oldest.Items, 1)
	require.Len(t, newest.Items, 1)
	assert.Less(t, oldest.Items[0].CreatedAt, time.Now().Add(-30*24*time.Hour), "the first deal is weeks old")
	// The last deal's moves, tasks and comments came after it: about a fortieth of the 60 days.
	assert.Greater(t, newest.Items[0].CreatedAt, time.Now().Add(-7*24*time.Hour), "the last deal is from this week")
	assert.LessOrEqual(t, newest.Items[0].CreatedAt, time.Now(), "nothing is in the future")
	var stays struct {
		Stages []struct {
			Stage string   `json:"stage"`
			Avg   *float64 `json:"avg_seconds_in_stage"`
		} `json:"stages"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/analytics/deals/stages", nil, &stays))
	require.NotNil(t, stays.Stages[0].Avg)
	assert.Greater(t, *stays.Stages[0].Avg, 3600.0, "a stay in qualification lasts hours")
	var velocity struct {
		Currencies []struct {
			AverageCycleDays *float64 `json:"average_cycle_days"`
		} `json:"currencies"`
	}
	require.Equal(t, http.StatusOK, owner.do(http.MethodGet, "/api/v1/analytics/deals/velocity", nil, &velocity))
	require.Len(t, velocity.Currencies, 1)
	require.NotNil(t, velocity.Currencies[0].AverageCycleDays)
	assert.Greater(t, *velocity.Currencies[0].AverageCycleDays, 0.1, "the sales cycle takes days")
	assert.Less(t, *velocity.Currencies[0].AverageCycleDays, 60.0)

	// Seeding again changes nothing and names the same organization.
	again, err := demo.Seed(ctx, platform.NewDB(pool), "another-password")
	require.NoError(t, err)
	assert.True(t, again.Existing)
	assert.Equal(t, res.OrganizationID, again.OrganizationID)
	assert.Equal(t, demo.Contacts, owner.total("/api/v1/contacts?page_size=1"))
	login(t, srv.URL, demo.OwnerEmail, password) // the password is still the first one
}

func TestSeed_RefusesAShortPassword(t *testing.T) {
	t.Parallel()
	_, err := demo.Seed(context.Background(), nil, "short")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at least 8")
}
