package listplans

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minicrm/crm/gen/db"
)

// exportCases are the batches of the CSV exports (queries/csv.sql): keyset reads in (created_at,
// id) order of the table's index, from the start and from the middle. Without an owner filter
// only: the seeded owner's few hundred rows fit in one batch of 1,000, and for them PostgreSQL
// rightly prefers a bitmap scan of (organization_id, owner_id, created_at, id) and a sort of the
// whole remainder to an index scan, which the keyset rule of the pages would call a failure.
func (f fixture) exportCases(t *testing.T) []planCase {
	const batch = 1000 // crm.exportBatch
	var out []planCase
	var owner *uuid.UUID // any
	for _, table := range []string{"contacts", "deals"} {
		var mid struct {
			at time.Time
			id uuid.UUID
		}
		err := f.conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT created_at, id FROM %[1]s
			WHERE organization_id = $1 ORDER BY created_at, id
			OFFSET (SELECT count(*) / 2 FROM %[1]s WHERE organization_id = $1) LIMIT 1`, table), f.org).Scan(&mid.at, &mid.id)
		if err != nil {
			t.Fatalf("middle of %s: %v", table, err)
		}
		for _, s := range []struct {
			label string
			at    time.Time
			id    uuid.UUID
		}{{label: "first"}, {"middle", mid.at, mid.id}} {
			c := planCase{
				name:   fmt.Sprintf("Export/%s/%s/after=%s", table, ownerLabel(owner), s.label),
				keyset: true, table: table, alias: table, key: []string{"created_at", "id"}, eq: ownerEq(owner),
			}
			if table == "contacts" {
				a := db.ExportContactsParams{OrganizationID: f.org, OwnerID: owner, AfterCreatedAt: s.at, AfterID: s.id, BatchSize: batch}
				c.call = func(q *db.Queries) { _, _ = q.ExportContacts(context.Background(), a) }
			} else {
				a := db.ExportDealsParams{OrganizationID: f.org, OwnerID: owner, Statuses: []string{}, AfterCreatedAt: s.at, AfterID: s.id, BatchSize: batch}
				c.call = func(q *db.Queries) { _, _ = q.ExportDeals(context.Background(), a) }
			}
			out = append(out, c)
		}
	}
	return out
}
