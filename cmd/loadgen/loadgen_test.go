package main

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/minicrm/crm/internal/bench"
)

func TestRolesAreMixed(t *testing.T) {
	var roles []string
	for j := range usersFor(20000) {
		roles = append(roles, roleOf(j))
	}
	assert.Len(t, roles, 12)
	assert.Equal(t, []string{"owner", "admin", "manager", "member"}, roles[:4])
	assert.Contains(t, roles[4:], "manager")
	assert.Equal(t, 3, usersFor(50))
}

func TestMixedRequests_AreWellFormed(t *testing.T) {
	org := &seededOrg{ID: uuid.New(), Contacts: 45, ContactIDs: []uuid.UUID{uuid.New()}, DealIDs: []uuid.UUID{uuid.New()}}
	users := []*loggedUser{{Org: org, Bearer: "Bearer x", OrgHeader: org.ID.String()}}
	r := rand.New(rand.NewPCG(1, 1))
	for _, e := range bench.Endpoints {
		for range 20 {
			req := mixedRequest(e, r, "http://127.0.0.1:1", users)
			assert.Equal(t, e, req.endpoint)
			require.True(t, strings.HasPrefix(req.url, "http://127.0.0.1:1/api/v1/"), req.url)
			if req.body != nil {
				assert.NotEqual(t, http.MethodGet, req.method)
				assert.True(t, json.Valid(req.body), string(req.body))
			}
			if e == "list" {
				// 45 contacts: pages 1 to 3 only.
				assert.Regexp(t, `page=[123]&page_size=20$`, req.url)
			}
		}
	}
}

func TestListOrgs_FiltersBySize(t *testing.T) {
	mk := func(n int) *loggedUser { return &loggedUser{Org: &seededOrg{Contacts: n}} }
	users := []*loggedUser{mk(50), mk(200), mk(20000)}
	got, desc := listOrgs(users, 200)
	assert.Len(t, got, 2)
	assert.Equal(t, "2 organizations of 50 to 200 contacts (mean 125), one owner each", desc)
	got, _ = listOrgs(users, 0)
	assert.Len(t, got, 3)
	got, _ = listOrgs(users, 10)
	assert.Empty(t, got)
}

func TestCeilingStatements_AreTheGeneratedQueries(t *testing.T) {
	u := &loggedUser{Org: &seededOrg{ID: uuid.New()}, UserID: uuid.New(), SessionID: uuid.New()}
	st := ceilingStatements([]*loggedUser{u})
	require.Len(t, st, 1)
	assert.Contains(t, st[0][0].sql, "-- name: ResolveMembership")
	assert.Equal(t, []any{u.Org.ID, u.SessionID, u.UserID}, st[0][0].args)
	assert.Contains(t, st[0][1].sql, "-- name: ListContacts")
	require.Len(t, st[0][1].args, 7)
	assert.Equal(t, u.Org.ID, st[0][1].args[0])
	assert.Equal(t, "created_at", st[0][1].args[3])
	assert.Equal(t, true, st[0][1].args[4])
	assert.Equal(t, int32(20), st[0][1].args[6])
}
