package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	assert.Contains(t, st[0][1].sql, "-- name: ListContactsByCreatedAtDesc")
	require.Len(t, st[0][1].args, 6)
	assert.Equal(t, u.Org.ID, st[0][1].args[0])
	assert.Nil(t, st[0][1].args[1], "an owner lists without an owner filter")
	assert.Nil(t, st[0][1].args[2], "page 1 starts at the beginning: no keyset position")
	assert.Equal(t, int32(0), st[0][1].args[4])
	assert.Equal(t, int32(21), st[0][1].args[5], "a page of 20 and one row more, which tells whether a next page exists")
}

func TestDeepPagesPicks(t *testing.T) {
	mk := func(contacts, deals int) *loggedUser {
		return &loggedUser{Org: &seededOrg{Contacts: contacts, Deals: deals}}
	}
	users := []*loggedUser{mk(20000, 19000), mk(8117, 20500), mk(230, 200), mk(180, 170), mk(50, 40)}
	big := largestBy(users, func(o *seededOrg) int { return o.Contacts })
	assert.Same(t, users[0], big)
	assert.Same(t, users[1], largestBy(users, func(o *seededOrg) int { return o.Deals }))
	assert.Nil(t, largestBy(nil, func(o *seededOrg) int { return o.Deals }))
	// 180 is 20 away from 200, 230 is 30: the nearest wins.
	assert.Same(t, users[3], closestOrg(users, 200, big))
	// The big one is never its own small one.
	assert.Nil(t, closestOrg(users[:1], 200, big))
	assert.Same(t, users[4], closestOrg(users, 0, nil))
}

func TestContactsURL_PageOrCursor(t *testing.T) {
	base := "http://127.0.0.1:1"
	assert.Equal(t, base+"/api/v1/contacts?page=500&page_size=20", contactsURL(base, 500, ""))
	assert.Equal(t, base+"/api/v1/contacts?page_size=20", contactsURL(base, 0, ""))
	// A cursor goes without page and is escaped.
	assert.Equal(t, base+"/api/v1/contacts?cursor=a%2Bb%3D&page_size=20", contactsURL(base, 0, "a+b="))
	assert.Equal(t, 1000, lastPage(20000, 20))
	assert.Equal(t, 3, lastPage(45, 20))
	assert.Equal(t, 1, lastPage(0, 20))
}

func TestParseRSS(t *testing.T) {
	status := "Name:\tcrm\nVmPeak:\t 1300000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t8\n"
	assert.Equal(t, map[string]int{"VmHWM": 51200, "VmRSS": 40960}, parseRSS(status))
	assert.Empty(t, parseRSS(""))
}

// fakeContacts serves n contacts 20 a page, ids "c<i>", by page number or, when withCursor, by a
// cursor that is the next index too.
func fakeContacts(t *testing.T, n int, withCursor bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from := 0
		if p := q.Get("page"); p != "" {
			k, _ := strconv.Atoi(p)
			from = (k - 1) * 20
		}
		if c := q.Get("cursor"); c != "" {
			assert.Empty(t, q.Get("page"), "page sent with a cursor")
			from, _ = strconv.Atoi(c)
		}
		page := map[string]any{"total": n}
		var items []map[string]string
		for i := from; i < min(n, from+20); i++ {
			items = append(items, map[string]string{"id": fmt.Sprintf("c%d", i)})
		}
		page["items"] = items
		if withCursor && from+20 < n {
			page["next_cursor"] = strconv.Itoa(from + 20)
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
}

func TestWalkCursor(t *testing.T) {
	u := &loggedUser{Org: &seededOrg{Contacts: 1000}}
	srv := fakeContacts(t, 1000, true)
	defer srv.Close()
	c, err := walkCursor(t.Context(), srv.Client(), srv.URL, u, 50, "c980")
	require.NoError(t, err)
	assert.Equal(t, "980", c)
	// The cursor's page must be the page of the same number.
	_, err = walkCursor(t.Context(), srv.Client(), srv.URL, u, 50, "c960")
	assert.ErrorContains(t, err, `page 50 by cursor starts at "c980", by number at "c960"`)

	old := fakeContacts(t, 1000, false)
	defer old.Close()
	_, err = walkCursor(t.Context(), old.Client(), old.URL, u, 50, "c980")
	assert.ErrorIs(t, err, errNoCursor)
	assert.Equal(t, "cursor: not supported by this service", "cursor: "+errNoCursor.Error())
}
