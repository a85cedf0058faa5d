package listplans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/minicrm/crm/internal/paging"
	"github.com/minicrm/crm/internal/platform"
	"github.com/minicrm/crm/money"
)

// smallOrgs is the number of small organizations beside the big one. Their rows are what makes the
// shared tables (the counters, organization_members, users) more than a page or two: on a table of
// one page a sequential scan is the right plan, and the test would say nothing about production.
const smallOrgs = 200

// seedSQL fills the database: organization 0 is the big one (5,000 contacts, 5,000 deals, 8,000
// tasks, 10,000 activities of which 2,000 on its first deal; 100 members, of whom the first 10 own
// the records), organizations 1 to :small_orgs are small (tens of rows each, 10 members of whom 5
// own records). Every id is md5 of a name, so that the data is the same on every run. The counters
// are filled by the triggers of 000005.
const seedSQL = `
CREATE TEMP TABLE seed_org AS
SELECT o, md5('org-' || o)::uuid AS org_id,
       CASE WHEN o = 0 THEN 5000 ELSE 30 END AS contacts,
       CASE WHEN o = 0 THEN 5000 ELSE 30 END AS deals,
       CASE WHEN o = 0 THEN 8000 ELSE 40 END AS tasks,
       CASE WHEN o = 0 THEN 10000 ELSE 50 END AS activities,
       CASE WHEN o = 0 THEN 100 ELSE 10 END AS members,
       CASE WHEN o = 0 THEN 10 ELSE 5 END AS owners,
       CASE WHEN o = 0 THEN 0 ELSE 100 + 10 * (o - 1) END AS first_user
FROM generate_series(0, :small_orgs) o;

INSERT INTO users (id, email, password_hash, name)
SELECT md5('user-' || i)::uuid, 'user' || i || '@example.com', 'x', 'User ' || i
FROM generate_series(1, 100 + 10 * :small_orgs) i;

INSERT INTO organizations (id, name)
SELECT org_id, CASE WHEN o = 0 THEN 'Big' ELSE 'Small ' || o END FROM seed_org;

INSERT INTO organization_members (organization_id, user_id, role, created_at)
SELECT s.org_id, md5('user-' || (s.first_user + j))::uuid, CASE WHEN j = 1 THEN 'owner' ELSE 'member' END,
       now() - (s.members - j) * interval '1 hour' - s.o * interval '1 minute'
FROM seed_org s, generate_series(1, s.members) j;

INSERT INTO contacts (organization_id, id, owner_id, name, email, phone, created_at, updated_at)
SELECT s.org_id, md5('contact-' || s.o || '-' || i)::uuid,
       md5('user-' || (s.first_user + 1 + i % s.owners))::uuid,
       (ARRAY['Alice','Bob','Carol','Dave','Erin','Frank','Grace','Heidi','Ivan','Judy'])[1 + i % 10] || ' ' ||
         CASE WHEN i % 1000 = 7 THEN 'Zephyrine' ELSE substr(md5('name-' || i), 1, 8) END,
       'c' || i || '@org' || s.o || '.example.com',
       '+1 555 ' || lpad(i::text, 7, '0'),
       now() - i * interval '1 minute', now() - i * interval '1 minute' + (i % 50) * interval '1 hour'
FROM seed_org s, generate_series(1, s.contacts) i;

INSERT INTO deals (organization_id, id, contact_id, owner_id, title, amount, currency, status, stage, created_at, updated_at)
SELECT s.org_id, md5('deal-' || s.o || '-' || i)::uuid,
       md5('contact-' || s.o || '-' || (1 + (i - 1) % (s.contacts / 2)))::uuid,
       md5('user-' || (s.first_user + 1 + i % s.owners))::uuid,
       CASE WHEN i % 1000 = 11 THEN 'Quokka expansion ' || i ELSE 'Deal ' || substr(md5('title-' || i), 1, 10) END,
       1 + (i * 7919 % 100000) / 100.0, 'USD',
       (ARRAY['new','in_progress','won','lost'])[1 + i % 4],
       (ARRAY['qualification','proposal','negotiation','closed'])[1 + (i / 4) % 4],
       now() - i * interval '1 minute', now() - (i * 7 % 5000) * interval '1 minute'
FROM seed_org s, generate_series(1, s.deals) i;

INSERT INTO tasks (organization_id, id, deal_id, owner_id, title, due_date, is_done, completed_at, created_at, updated_at)
SELECT s.org_id, md5('task-' || s.o || '-' || i)::uuid,
       md5('deal-' || s.o || '-' || (1 + (i - 1) % s.deals))::uuid,
       md5('user-' || (s.first_user + 1 + i % s.owners))::uuid,
       'Task ' || i,
       CASE WHEN i % 7 = 0 THEN NULL ELSE current_date + (i % 400 - 100) END,
       i % 3 = 0, CASE WHEN i % 3 = 0 THEN now() END,
       now() - i * interval '1 minute', now() - i * interval '1 minute'
FROM seed_org s, generate_series(1, s.tasks) i;

INSERT INTO activities (organization_id, id, deal_id, author_id, type, payload, created_at)
SELECT s.org_id, md5('activity-' || s.o || '-' || i)::uuid,
       md5('deal-' || s.o || '-' || CASE WHEN i <= s.activities / 5 THEN 1 ELSE 2 + i % (s.deals - 1) END)::uuid,
       md5('user-' || (s.first_user + 1 + i % s.owners))::uuid,
       (ARRAY['comment','deal_created','status_changed','stage_changed','deal_updated','task_created','task_completed','system'])[1 + i % 8],
       '{}', now() - i * interval '1 second'
FROM seed_org s, generate_series(1, s.activities) i;

INSERT INTO invitations (organization_id, id, email, role, token_hash, status, invited_by, expires_at, created_at)
SELECT s.org_id, md5('invitation-' || s.o || '-' || i)::uuid, 'invitee' || i || '@org' || s.o || '.example.com', 'member',
       sha256(convert_to('token-' || s.o || '-' || i, 'UTF8')), CASE WHEN i % 10 = 0 THEN 'revoked' ELSE 'pending' END,
       md5('user-' || (s.first_user + 1))::uuid,
       now() + interval '7 days' - i * s.step, now() - i * s.step
FROM (SELECT seed_org.*, CASE WHEN o = 0 THEN interval '1 minute' ELSE interval '10 minutes' END AS step FROM seed_org) s,
     generate_series(1, CASE WHEN s.o = 0 THEN 300 ELSE 30 END) i;

DROP TABLE seed_org;
ANALYZE;
`

// tenantTables may never be read by a sequential scan: each grows with every organization.
var tenantTables = map[string]bool{
	"contacts": true, "deals": true, "tasks": true, "activities": true, "organization_members": true,
	"contact_counts": true, "deal_counts": true, "task_counts": true, "users": true, "invitations": true,
}

// captureDB is a db.DBTX that runs nothing: it records the statement and the arguments a generated
// list function sends (see cmd/loadgen), so that the test explains exactly the service's SQL.
type captureDB struct {
	sql  string
	args []any
}

var errCaptured = errors.New("captured")

func (c *captureDB) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.sql, c.args = sql, args
	return pgconn.CommandTag{}, errCaptured
}

func (c *captureDB) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.sql, c.args = sql, args
	return nil, errCaptured
}

func (c *captureDB) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	c.sql, c.args = sql, args
	return errRow{}
}

type errRow struct{}

func (errRow) Scan(...any) error { return errCaptured }

// planCase is one list query with one set of parameters.
//
// A keyset list must read its table by an index scan of a btree index whose columns are
// organization_id, then any of the columns the call filters by equality (eq; must: always), then
// the sort key (key, ascending, or all descending), so that an index added for a filter, such as
// (organization_id, owner_id, created_at, id), passes as well as the one of the order alone. A
// narrowed list must use an index that leads with organization_id then narrow ("trgm": a trigram
// index); without narrow nothing is asserted, what the plan reads is reported.
type planCase struct {
	name   string // the subtest: query/parameters
	keyset bool   // a keyset list (else a narrowed one, paged by offset)
	// table and alias of the listed rows in the query (the total's subqueries use other aliases).
	table, alias  string
	key, must, eq []string            // keyset lists: the sort key as pg_get_indexdef prints it, equality columns
	narrow        string              // narrowed lists: the narrowing column, or "trgm"
	call          func(q *db.Queries) // calls the generated function with the parameters
}

// capture returns the SQL and arguments the generated function sends.
func (c planCase) capture() (string, []any) {
	var rec captureDB
	c.call(db.New(&rec))
	return rec.sql, rec.args
}

// fixture is what the cases need from the seeded data.
type fixture struct {
	org, owner uuid.UUID // the big organization, one of its members (owner filter)
	busyDeal   uuid.UUID // the deal with 2,000 activities
	contact    uuid.UUID // a contact with two deals
	taskDeal   uuid.UUID // a deal with two tasks
	conn       *pgxpool.Conn
}

// position is a keyset position: after_key in the text form the service sends, and after_id.
type position struct {
	key *string
	id  *uuid.UUID
}

func (p position) label() string {
	if p.key == nil {
		return "first"
	}
	return "middle"
}

// middle returns the position of the middle row of rows (key, id) in their order; timestamps are
// formatted as the service formats them (paging.TimeKey).
func (f fixture) middle(t *testing.T, sql string, args ...any) position {
	t.Helper()
	var raw any
	var id uuid.UUID
	if err := f.conn.QueryRow(context.Background(), sql, args...).Scan(&raw, &id); err != nil {
		t.Fatalf("middle position: %v\n%s", err, sql)
	}
	var key string
	switch v := raw.(type) {
	case time.Time:
		key = paging.TimeKey(v)
	case string:
		key = v
	default:
		t.Fatalf("middle position: key of type %T", raw)
	}
	return position{&key, &id}
}

func ptr[T any](v T) *T { return &v }

// ownerEq are the equality columns of an owner filter.
func ownerEq(owner *uuid.UUID) []string {
	if owner == nil {
		return nil
	}
	return []string{"owner_id"}
}

func ownerLabel(owner *uuid.UUID) string {
	if owner == nil {
		return "owner=any"
	}
	return "owner=one"
}

// cases builds every list query with representative parameters for the big organization.
func (f fixture) cases(t *testing.T) []planCase {
	const limit = 21 // a page of 20 and the row that says whether there is a next one
	owners := []*uuid.UUID{nil, &f.owner}
	var out []planCase

	// Contacts: four orders.
	contactOrders := []struct {
		query, key string
		desc       bool
		call       func(*db.Queries, db.ListContactsByCreatedAtAscParams)
	}{
		{"ListContactsByCreatedAtAsc", "created_at", false, func(q *db.Queries, a db.ListContactsByCreatedAtAscParams) {
			_, _ = q.ListContactsByCreatedAtAsc(context.Background(), a)
		}},
		{"ListContactsByCreatedAtDesc", "created_at", true, func(q *db.Queries, a db.ListContactsByCreatedAtAscParams) {
			_, _ = q.ListContactsByCreatedAtDesc(context.Background(), db.ListContactsByCreatedAtDescParams(a))
		}},
		{"ListContactsByNameAsc", "name", false, func(q *db.Queries, a db.ListContactsByCreatedAtAscParams) {
			_, _ = q.ListContactsByNameAsc(context.Background(), db.ListContactsByNameAscParams(a))
		}},
		{"ListContactsByNameDesc", "name", true, func(q *db.Queries, a db.ListContactsByCreatedAtAscParams) {
			_, _ = q.ListContactsByNameDesc(context.Background(), db.ListContactsByNameDescParams(a))
		}},
	}
	for _, o := range contactOrders {
		for _, owner := range owners {
			sortKey := "created_at"
			if o.key == "name" {
				sortKey = "lower(name)"
			}
			eq := ownerEq(owner)
			// The service's key for name order is the raw name (the query lowers it).
			keyCol := map[string]string{"created_at": "created_at", "name": "name"}[o.key]
			mid := f.middle(t, fmt.Sprintf(`SELECT %s, id FROM contacts WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)
				ORDER BY %s, id OFFSET (SELECT count(*) / 2 FROM contacts WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)) LIMIT 1`,
				keyCol, sortKey), f.org, owner)
			for _, pos := range []position{{}, mid} {
				a := db.ListContactsByCreatedAtAscParams{OrganizationID: f.org, OwnerID: owner, AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
				call := o.call
				out = append(out, planCase{
					name:   fmt.Sprintf("%s/%s/after=%s", o.query, ownerLabel(owner), pos.label()),
					keyset: true, table: "contacts", alias: "c", key: []string{sortKey, "id"}, eq: eq,
					call: func(q *db.Queries) { call(q, a) },
				})
			}
		}
	}

	// Deals: eight orders.
	type dealCall = func(*db.Queries, db.ListDealsByCreatedAtAscParams)
	dealOrders := []struct {
		query, keySQL, sortSQL string
		call                   dealCall
	}{
		{"ListDealsByCreatedAtAsc", "created_at", "created_at", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByCreatedAtAsc(context.Background(), a)
		}},
		{"ListDealsByCreatedAtDesc", "created_at", "created_at", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByCreatedAtDesc(context.Background(), db.ListDealsByCreatedAtDescParams(a))
		}},
		{"ListDealsByUpdatedAtAsc", "updated_at", "updated_at", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByUpdatedAtAsc(context.Background(), db.ListDealsByUpdatedAtAscParams(a))
		}},
		{"ListDealsByUpdatedAtDesc", "updated_at", "updated_at", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByUpdatedAtDesc(context.Background(), db.ListDealsByUpdatedAtDescParams(a))
		}},
		{"ListDealsByAmountAsc", "amount::text", "amount", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByAmountAsc(context.Background(), db.ListDealsByAmountAscParams(a))
		}},
		{"ListDealsByAmountDesc", "amount::text", "amount", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByAmountDesc(context.Background(), db.ListDealsByAmountDescParams(a))
		}},
		{"ListDealsByTitleAsc", "title", "lower(title)", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByTitleAsc(context.Background(), db.ListDealsByTitleAscParams(a))
		}},
		{"ListDealsByTitleDesc", "title", "lower(title)", func(q *db.Queries, a db.ListDealsByCreatedAtAscParams) {
			_, _ = q.ListDealsByTitleDesc(context.Background(), db.ListDealsByTitleDescParams(a))
		}},
	}
	for _, o := range dealOrders {
		for _, owner := range owners {
			eq := ownerEq(owner)
			mid := f.middle(t, fmt.Sprintf(`SELECT %s, id FROM deals WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)
				ORDER BY %s, id OFFSET (SELECT count(*) / 2 FROM deals WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)) LIMIT 1`,
				o.keySQL, o.sortSQL), f.org, owner)
			for _, pos := range []position{{}, mid} {
				// The service sends an empty statuses array when no status filter is given.
				a := db.ListDealsByCreatedAtAscParams{OrganizationID: f.org, Statuses: []string{}, OwnerID: owner,
					AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
				call := o.call
				out = append(out, planCase{
					name:   fmt.Sprintf("%s/%s/after=%s", o.query, ownerLabel(owner), pos.label()),
					keyset: true, table: "deals", alias: "d", key: []string{o.sortSQL, "id"}, eq: eq,
					call: func(q *db.Queries) { call(q, a) },
				})
			}
		}
	}
	// One deal list filtered by status and stage too (the filters the counters answer).
	out = append(out, planCase{
		name:   "ListDealsByCreatedAtDesc/owner=any/status=won,stage=proposal/after=first",
		keyset: true, table: "deals", alias: "d", key: []string{"created_at", "id"}, eq: []string{"status", "stage"},
		call: func(q *db.Queries) {
			_, _ = q.ListDealsByCreatedAtDesc(context.Background(), db.ListDealsByCreatedAtDescParams{
				OrganizationID: f.org, Statuses: []string{"won"}, Stage: ptr("proposal"), PageLimit: limit})
		},
	})

	// Tasks by due date, undated last ('infinity').
	for _, owner := range owners {
		mid := f.middle(t, `SELECT CASE WHEN due_date IS NULL THEN 'infinity' ELSE to_char(due_date, 'YYYY-MM-DD') END, id
			FROM tasks WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)
			ORDER BY coalesce(due_date, 'infinity'::date), id
			OFFSET (SELECT count(*) / 2 FROM tasks WHERE organization_id = $1 AND ($2::uuid IS NULL OR owner_id = $2)) LIMIT 1`, f.org, owner)
		last := f.middle(t, `SELECT 'infinity', id FROM tasks WHERE organization_id = $1 AND due_date IS NULL
			AND ($2::uuid IS NULL OR owner_id = $2) ORDER BY id OFFSET 10 LIMIT 1`, f.org, owner)
		for _, pos := range []position{{}, mid, last} {
			label := pos.label()
			if pos.key != nil && *pos.key == "infinity" {
				label = "undated"
			}
			for _, open := range []bool{false, true} {
				if open && pos.key != nil {
					continue
				}
				a := db.ListTasksParams{OrganizationID: f.org, OwnerID: owner, OnlyOpen: open, AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
				eq := ownerEq(owner)
				if open {
					eq = append(eq, "is_done")
				}
				out = append(out, planCase{
					name:   fmt.Sprintf("ListTasks/%s/only_open=%t/after=%s", ownerLabel(owner), open, label),
					keyset: true, table: "tasks", alias: "t", key: []string{"COALESCE(due_date, 'infinity'::date)", "id"}, eq: eq,
					call: func(q *db.Queries) { _, _ = q.ListTasks(context.Background(), a) },
				})
			}
		}
	}

	// A deal's timeline (the deal with 2,000 entries), all types or comments only.
	for _, typ := range []*string{nil, ptr("comment")} {
		mid := f.middle(t, `SELECT created_at, id FROM activities WHERE organization_id = $1 AND deal_id = $2
			AND ($3::text IS NULL OR type = $3) ORDER BY created_at DESC, id DESC
			OFFSET (SELECT count(*) / 2 FROM activities WHERE organization_id = $1 AND deal_id = $2 AND ($3::text IS NULL OR type = $3)) LIMIT 1`,
			f.org, f.busyDeal, typ)
		typeLabel, eq := "type=any", []string(nil)
		if typ != nil {
			typeLabel, eq = "type="+*typ, []string{"type"}
		}
		for _, pos := range []position{{}, mid} {
			a := db.ListActivitiesParams{OrganizationID: f.org, DealID: f.busyDeal, Type: typ, AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
			out = append(out, planCase{
				name:   fmt.Sprintf("ListActivities/%s/after=%s", typeLabel, pos.label()),
				keyset: true, table: "activities", alias: "a", key: []string{"created_at", "id"}, must: []string{"deal_id"}, eq: eq,
				call: func(q *db.Queries) { _, _ = q.ListActivities(context.Background(), a) },
			})
		}
	}

	// Members, oldest first.
	mid := f.middle(t, `SELECT created_at, user_id FROM organization_members WHERE organization_id = $1
		ORDER BY created_at, user_id OFFSET 50 LIMIT 1`, f.org)
	for _, pos := range []position{{}, mid} {
		a := db.ListMembersParams{OrganizationID: f.org, AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
		out = append(out, planCase{
			name:   fmt.Sprintf("ListMembers/after=%s", pos.label()),
			keyset: true, table: "organization_members", alias: "m", key: []string{"created_at", "user_id"},
			call: func(q *db.Queries) { _, _ = q.ListMembers(context.Background(), a) },
		})
	}

	// Invitations, newest first, all of them or those of one status.
	for _, status := range []*string{nil, ptr("pending")} {
		mid := f.middle(t, `SELECT created_at, id FROM invitations WHERE organization_id = $1
			AND ($2::text IS NULL OR (status = $2 AND expires_at > now()))
			ORDER BY created_at DESC, id DESC OFFSET 150 LIMIT 1`, f.org, status)
		label, eq := "status=any", []string(nil)
		if status != nil {
			label, eq = "status="+*status, []string{"status"}
		}
		for _, pos := range []position{{}, mid} {
			a := db.ListInvitationsParams{OrganizationID: f.org, Status: status, AfterKey: pos.key, AfterID: pos.id, PageLimit: limit}
			out = append(out, planCase{
				name:   fmt.Sprintf("ListInvitations/%s/after=%s", label, pos.label()),
				keyset: true, table: "invitations", alias: "i", key: []string{"created_at", "id"}, eq: eq,
				call: func(q *db.Queries) { _, _ = q.ListInvitations(context.Background(), a) },
			})
		}
	}

	// Narrowed lists, paged by offset.
	for _, owner := range owners {
		for _, order := range []struct {
			by   string
			desc bool
		}{{"created_at", true}, {"name", false}} {
			a := db.SearchContactsParams{OrganizationID: f.org, OwnerID: owner, Search: "%zephyr%", OrderBy: order.by, Descending: order.desc, PageLimit: limit}
			out = append(out, planCase{
				name:  fmt.Sprintf("SearchContacts/%s/search=zephyr/order=%s,desc=%t", ownerLabel(owner), order.by, order.desc),
				table: "contacts", alias: "c", narrow: "trgm", eq: ownerEq(owner),
				call: func(q *db.Queries) { _, _ = q.SearchContacts(context.Background(), a) },
			})
		}
	}
	low, high := money.MustParse("500.00"), money.MustParse("505.00")
	dealFilters := []struct {
		label, narrow string
		set           func(*db.FilterDealsParams)
	}{
		{"contact", "contact_id", func(a *db.FilterDealsParams) { a.ContactID = &f.contact }},
		{"search=quokka", "trgm", func(a *db.FilterDealsParams) { a.Search = ptr("%quokka%") }},
		{"amount=500..505", "amount", func(a *db.FilterDealsParams) { a.MinAmount, a.MaxAmount = &low, &high }},
	}
	for _, flt := range dealFilters {
		for _, owner := range owners {
			a := db.FilterDealsParams{OrganizationID: f.org, Statuses: []string{}, OwnerID: owner, OrderBy: "created_at", Descending: true, PageLimit: limit}
			flt.set(&a)
			out = append(out, planCase{
				name:  fmt.Sprintf("FilterDeals/%s/%s/order=created_at,desc=true", ownerLabel(owner), flt.label),
				table: "deals", alias: "d", narrow: flt.narrow, eq: ownerEq(owner),
				call: func(q *db.Queries) { _, _ = q.FilterDeals(context.Background(), a) },
			})
		}
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 30)
	taskFilters := []struct {
		label, narrow string
		set           func(*db.FilterTasksParams)
	}{
		{"deal", "deal_id", func(a *db.FilterTasksParams) { a.DealID = &f.taskDeal }},
		// No index has due_date itself (tasks_org_due_idx is on coalesce(due_date, 'infinity')).
		{"due=one-day", "", func(a *db.FilterTasksParams) { a.DueAfter, a.DueBefore = &day, &day }},
	}
	for _, flt := range taskFilters {
		for _, owner := range owners {
			a := db.FilterTasksParams{OrganizationID: f.org, OwnerID: owner, PageLimit: limit}
			flt.set(&a)
			out = append(out, planCase{
				name:  fmt.Sprintf("FilterTasks/%s/%s", ownerLabel(owner), flt.label),
				table: "tasks", alias: "t", narrow: flt.narrow, eq: ownerEq(owner),
				call: func(q *db.Queries) { _, _ = q.FilterTasks(context.Background(), a) },
			})
		}
	}
	return append(out, f.exportCases(t)...)
}

// TestListQueryPlans explains every list query of the service (the SQL and arguments the generated
// functions of gen/db send), on a database with one big organization among many small ones, as
// the service plans them: with their parameters (a list query carries platform.CustomPlanMarker
// and runs as an unnamed statement; a generic plan, costed for an average organization, would sort
// a big one's rows and could not use an optional filter's index), and, for a keyset list called
// without a filter (platform.GenericUnlessFilteredMarker), also with the generic plan the service
// forces for it (platform.GenericPlanSetup); a search too (GenericSortingUnlessFilteredMarker). It fails when
// a plan reads a tenant table sequentially, when a keyset list sorts or is not read by an index
// scan of an index of its order, or has its keyset position only as a Filter, or when a narrowed
// list does not use the index that narrows it. A failure prints the plan.
func TestListQueryPlans(t *testing.T) {
	ctx := context.Background()
	pool := apptest.NewPool(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	start := time.Now()
	if _, err := conn.Exec(ctx, strings.ReplaceAll(seedSQL, ":small_orgs", strconv.Itoa(smallOrgs))); err != nil {
		t.Fatalf("seed: %v", err)
	}
	t.Logf("seeded and analyzed in %v", time.Since(start).Round(time.Millisecond))

	indexes, err := loadIndexes(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{conn: conn}
	err = conn.QueryRow(ctx, `SELECT md5('org-0')::uuid, md5('user-3')::uuid, md5('deal-0-1')::uuid,
		md5('contact-0-1')::uuid, md5('deal-0-2')::uuid`).Scan(&f.org, &f.owner, &f.busyDeal, &f.contact, &f.taskDeal)
	if err != nil {
		t.Fatal(err)
	}

	for i, c := range f.cases(t) {
		t.Run(c.name, func(t *testing.T) {
			sql, args := c.capture()
			if sql == "" {
				t.Fatal("the generated function sent no statement")
			}
			// The plans the service runs the call with: planned for its values, or, for a keyset
			// list without a filter, the generic plan (platform.GenericUnlessFilteredMarker).
			modes := []string{"custom"}
			switch platform.PlanFor(sql, args) {
			case "generic":
				modes = append(modes, "generic")
			case "prepared":
				t.Errorf("%s lacks %s or %s: the service would let PostgreSQL switch it to a generic plan", c.name,
					platform.CustomPlanMarker, platform.GenericUnlessFilteredMarker)
			}
			name := fmt.Sprintf("listplan_%d", i)
			sd, err := conn.Conn().Prepare(ctx, name, sql)
			if err != nil {
				t.Fatalf("prepare: %v\n%s", err, sql)
			}
			defer func() { _ = conn.Conn().Deallocate(ctx, name) }()
			lits, err := literals(conn.Conn().TypeMap(), sd.ParamOIDs, args)
			if err != nil {
				t.Fatal(err)
			}
			execute := fmt.Sprintf("EXECUTE %s(%s)", name, strings.Join(lits, ", "))
			for _, mode := range modes {
				t.Run(mode, func(t *testing.T) {
					// The generic plan as the service gets it: after platform.ForceGenericPlan,
					// in the same transaction.
					tx, err := conn.Begin(ctx)
					if err != nil {
						t.Fatal(err)
					}
					defer func() { _ = tx.Rollback(ctx) }()
					setup := "SET LOCAL plan_cache_mode = force_custom_plan"
					if mode == "generic" {
						setup = platform.GenericPlanSetup(sql)
					}
					if _, err := tx.Exec(ctx, setup); err != nil {
						t.Fatal(err)
					}
					var raw []byte
					if err := tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+execute).Scan(&raw); err != nil {
						t.Fatalf("explain: %v", err)
					}
					var doc []struct {
						Plan map[string]any `json:"Plan"`
					}
					if err := json.Unmarshal(raw, &doc); err != nil || len(doc) != 1 {
						t.Fatalf("explain output: %v\n%s", err, raw)
					}
					problems, notes := check(c, doc[0].Plan, indexes)
					for _, n := range notes {
						t.Logf("REPORT %s [%s]: %s", c.name, mode, n)
					}
					if len(problems) > 0 || len(notes) > 0 {
						t.Logf("plan (%s):\n%s", mode, explainText(ctx, tx, execute))
					}
					for _, p := range problems {
						t.Errorf("%s [%s plan]: %s", c.name, mode, p)
					}
				})
			}
		})
	}
}

// index is an index as pg_get_indexdef shows it: its access method and its column list.
type index struct{ method, columns string }

// loadIndexes reads the definition of every index of the database, by name.
func loadIndexes(ctx context.Context, conn *pgxpool.Conn) (map[string]index, error) {
	rows, err := conn.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public'`)
	if err != nil {
		return nil, err
	}
	out := map[string]index{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		out[name] = parseIndexDef(def)
	}
	return out, rows.Err()
}

// parseIndexDef takes "CREATE INDEX x ON t USING btree (a, lower(b), c) WHERE ..." apart.
func parseIndexDef(def string) index {
	_, rest, ok := strings.Cut(def, " USING ")
	if !ok {
		return index{}
	}
	method, rest, _ := strings.Cut(rest, " (")
	depth := 1
	for i, r := range rest {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return index{method, rest[:i]}
			}
		}
	}
	return index{method, rest}
}

// keysetIndexes are the column lists a keyset list's index may have: organization_id, then the
// must columns and any of the eq ones in any order, then the key ascending or all descending.
func keysetIndexes(c planCase) map[string]bool {
	desc := make([]string, len(c.key))
	for i, k := range c.key {
		desc[i] = k + " DESC"
	}
	forms := []string{strings.Join(c.key, ", "), strings.Join(desc, ", ")}
	out := map[string]bool{}
	var prefixes func(prefix []string, left []string)
	prefixes = func(prefix []string, left []string) {
		complete := true
		for _, m := range c.must {
			if !slices.Contains(prefix, m) {
				complete = false
			}
		}
		if complete {
			for _, form := range forms {
				out[strings.Join(append(append([]string{"organization_id"}, prefix...), form), ", ")] = true
			}
		}
		for i, col := range left {
			rest := append(append([]string{}, left[:i]...), left[i+1:]...)
			prefixes(append(append([]string{}, prefix...), col), rest)
		}
	}
	prefixes(nil, append(append([]string{}, c.must...), c.eq...))
	return out
}

// narrowing reports whether ix can narrow c: a btree index leading with organization_id, any of
// the equality columns of c, and the narrowing column; or an index leading with organization_id
// with a trigram column.
func narrowing(c planCase, ix index) bool {
	if c.narrow == "trgm" {
		return strings.HasPrefix(ix.columns, "organization_id,") && strings.Contains(ix.columns, "_trgm_ops")
	}
	if ix.method != "btree" {
		return false
	}
	cols := strings.Split(ix.columns, ", ")
	if cols[0] != "organization_id" {
		return false
	}
	for _, col := range cols[1:] {
		switch {
		case col == c.narrow:
			return true
		case !slices.Contains(c.eq, col):
			return false
		}
	}
	return false
}

// check returns what is wrong with a plan of c (problems) and what is only worth reporting (notes).
func check(c planCase, plan map[string]any, indexes map[string]index) (problems, notes []string) {
	var nodes []map[string]any
	walk(plan, func(n map[string]any) { nodes = append(nodes, n) })

	var listed []map[string]any // the scans of the listed rows (not of the total's subqueries)
	narrowed := false
	for _, n := range nodes {
		typ, _ := n["Node Type"].(string)
		rel, _ := n["Relation Name"].(string)
		if typ == "Seq Scan" && tenantTables[rel] {
			problems = append(problems, fmt.Sprintf("sequential scan of %s (alias %v)", rel, n["Alias"]))
		}
		if c.keyset && (typ == "Sort" || typ == "Incremental Sort") {
			problems = append(problems, fmt.Sprintf("%s node (sort key %v): a keyset list must be read in its index's order", typ, n["Sort Key"]))
		}
		if rel == c.table && n["Alias"] == c.alias {
			listed = append(listed, n)
			walk(n, func(s map[string]any) {
				if name, ok := s["Index Name"].(string); ok && c.narrow != "" && narrowing(c, indexes[name]) {
					narrowed = true
				}
			})
		}
	}
	if !c.keyset {
		switch {
		case c.narrow == "":
			notes = append(notes, fmt.Sprintf("no index narrows this filter; %s is read by %s", c.table, describe(listed, indexes)))
		case !narrowed:
			want := "(organization_id, " + c.narrow + ", ...)"
			if c.narrow == "trgm" {
				want = "a trigram index leading with organization_id (" + c.table + "_search_idx)"
			}
			problems = append(problems, fmt.Sprintf("no index %s narrows the list: %s is read by %s", want, c.table, describe(listed, indexes)))
		}
		return problems, notes
	}
	if len(listed) != 1 {
		return append(problems, fmt.Sprintf("expected one scan of %s %s, found %d", c.table, c.alias, len(listed))), notes
	}
	scan := listed[0]
	typ, _ := scan["Node Type"].(string)
	name, _ := scan["Index Name"].(string)
	fits := keysetIndexes(c)
	if ix := indexes[name]; (typ != "Index Scan" && typ != "Index Only Scan") || ix.method != "btree" || !fits[ix.columns] {
		want := "(organization_id, " + strings.Join(c.key, ", ") + ")"
		if len(c.must)+len(c.eq) > 0 {
			want = fmt.Sprintf("(organization_id, [%s], %s)", strings.Join(append(append([]string{}, c.must...), c.eq...), ", "), strings.Join(c.key, ", "))
		}
		problems = append(problems, fmt.Sprintf("%s is read by %s; want an Index Scan of a btree index %s", c.table, describe(listed, indexes), want))
		return problems, notes
	}
	cond, _ := scan["Index Cond"].(string)
	filter, _ := scan["Filter"].(string)
	if !strings.Contains(cond, "ROW(") {
		msg := fmt.Sprintf("the keyset predicate is not an Index Cond of %s (Index Cond: %q, Filter: %q)", name, cond, filter)
		problems = append(problems, msg)
	}
	return problems, notes
}

// walk calls f on n and on every node below it (init plans and subplans included).
func walk(n map[string]any, f func(map[string]any)) {
	f(n)
	children, _ := n["Plans"].([]any)
	for _, c := range children {
		if m, ok := c.(map[string]any); ok {
			walk(m, f)
		}
	}
}

// describe names the scans and the indexes they use, with the indexes' columns.
func describe(scans []map[string]any, indexes map[string]index) string {
	if len(scans) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range scans {
		var idx []string
		walk(s, func(n map[string]any) {
			if name, ok := n["Index Name"].(string); ok {
				idx = append(idx, fmt.Sprintf("%s (%s)", name, indexes[name].columns))
			}
		})
		parts = append(parts, fmt.Sprintf("%v on %s", s["Node Type"], strings.Join(idx, " + ")))
	}
	return strings.Join(parts, ", ")
}

// explainText is the plan in EXPLAIN's text form, for the reader of a failure.
func explainText(ctx context.Context, tx pgx.Tx, execute string) string {
	rows, err := tx.Query(ctx, "EXPLAIN "+execute)
	if err != nil {
		return err.Error()
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err.Error()
	}
	return strings.Join(lines, "\n")
}

// literals are the arguments as SQL literals for EXECUTE: the text form pgx would send, quoted
// (EXECUTE coerces them to the prepared statement's parameter types).
func literals(m *pgtype.Map, oids []uint32, args []any) ([]string, error) {
	if len(oids) != len(args) {
		return nil, fmt.Errorf("%d parameters, %d arguments", len(oids), len(args))
	}
	out := make([]string, len(args))
	for i, a := range args {
		buf, err := m.Encode(oids[i], pgtype.TextFormatCode, a, nil)
		if err != nil {
			return nil, fmt.Errorf("argument %d (%T): %w", i+1, a, err)
		}
		if buf == nil {
			out[i] = "NULL"
			continue
		}
		out[i] = "'" + strings.ReplaceAll(string(buf), "'", "''") + "'"
	}
	return out, nil
}
