package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/minicrm/crm/internal/bench"
)

// The sales analytics pass (issue 11 part 3): the deals' stage history is seeded beside the deals,
// and the stages, velocity and forecast endpoints are hammered on the organization with the most
// deals, like the analytics pass.
var (
	salesAnalytics = flag.Bool("sales-analytics", true, "also the sales analytics pass: stage history seeded for every deal, then GET /analytics/deals/stages, /velocity and /forecast of the organization with the most deals, closed loop (-analytics-concurrency, -analytics-duration)")
	salesDays      = flag.Int("sales-days", 90, "sales analytics pass: the days parameter of stages and velocity")
)

// targetSalesP99 is the bound for each of the three endpoints.
const targetSalesP99 = 30 * time.Millisecond

// salesResult is the sales analytics pass.
type salesResult struct {
	// SeededLedgerRows is the stage history of every organization.
	SeededLedgerRows int          `json:"seeded_ledger_rows"`
	Deals            int          `json:"org_deals"`
	LedgerRows       int          `json:"org_ledger_rows"`
	Days             int          `json:"days"`
	Stages           closedResult `json:"stages"`
	Velocity         closedResult `json:"velocity"`
	Forecast         closedResult `json:"forecast"`
}

// historyStats counts the ledger rows seeded, in all and for the organization with the most deals.
type historyStats struct {
	Rows, LargestOrgRows int
	Seconds              float64
}

// seedStageHistory writes a plausible stage history for every seeded deal, consistent with the
// stage and status the deal has: its creation (qualification, new) at created_at, then, at random
// times between created_at and now in order, status toggles between new and in_progress, the moves
// forward to its stage (for half of the deals past qualification, a rollback and the move again),
// and the final status. About five rows a deal. Then VACUUM ANALYZE of the
// ledger, so that its index-only scans see an all-visible table as a settled database would.
func seedStageHistory(ctx context.Context, pool *pgxpool.Pool, seed uint64) (historyStats, error) {
	start := time.Now()
	r := rand.New(rand.NewPCG(seed, 0x5ca1e5))
	rows, err := pool.Query(ctx, `SELECT organization_id, id, owner_id, stage, status, created_at FROM deals ORDER BY organization_id, id`)
	if err != nil {
		return historyStats{}, fmt.Errorf("read deals: %w", err)
	}
	type deal struct {
		org, id, owner uuid.UUID
		stage, status  string
		created        time.Time
	}
	var deals []deal
	for rows.Next() {
		var d deal
		if err := rows.Scan(&d.org, &d.id, &d.owner, &d.stage, &d.status, &d.created); err != nil {
			rows.Close()
			return historyStats{}, err
		}
		deals = append(deals, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return historyStats{}, err
	}
	now := time.Now().UTC()
	perOrg := map[uuid.UUID]int{}
	var out [][]any
	for _, d := range deals {
		// The steps of the deal after its creation: (stage, status) after each.
		type step struct{ stage, status string }
		var steps []step
		stage, status := "qualification", "new"
		for range r.IntN(3) { // 0 to 2 pairs of toggles, status only
			steps = append(steps, step{stage, "in_progress"}, step{stage, "new"})
		}
		target := slices.Index(stages, d.stage)
		for i := 1; i <= target; i++ {
			stage = stages[i]
			if status == "new" && r.IntN(2) == 0 {
				status = "in_progress"
			}
			steps = append(steps, step{stage, status})
		}
		if target > 0 && r.IntN(2) == 0 { // half of them were rolled back once and moved on again
			steps = append(steps, step{stages[target-1], status}, step{stage, status})
		}
		if status != d.status {
			steps = append(steps, step{stage, d.status})
		}
		// Ordered times in (created_at, now).
		span := now.Sub(d.created)
		at := make([]time.Duration, len(steps))
		for i := range at {
			at[i] = time.Duration(r.Int64N(int64(max(span, time.Second))))
		}
		slices.Sort(at)
		out = append(out, []any{d.org, newID(), d.id, nil, "qualification", nil, "new", d.created, d.owner, nil, nil})
		prevStage, prevStatus, stayStart := "qualification", "new", d.created
		entered := map[string]time.Time{"qualification": d.created}
		for i, s := range steps {
			t := d.created.Add(at[i] + time.Duration(i+1)*time.Microsecond)
			var stay, previous any
			if s.stage != prevStage {
				stay = stayStart
				stayStart = t
				if e, ok := entered[s.stage]; ok {
					previous = e
				}
				entered[s.stage] = t
			}
			out = append(out, []any{d.org, newID(), d.id, prevStage, s.stage, prevStatus, s.status, t, d.owner, stay, previous})
			prevStage, prevStatus = s.stage, s.status
		}
		perOrg[d.org] += 1 + len(steps)
	}
	cols := []string{"organization_id", "id", "deal_id", "from_stage", "to_stage", "from_status", "to_status", "changed_at", "changed_by", "stay_started_at", "previous_entry_at"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"deal_stage_history"}, cols, pgx.CopyFromRows(out)); err != nil {
		return historyStats{}, fmt.Errorf("copy deal_stage_history: %w", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE deal_stage_history"); err != nil {
		return historyStats{}, fmt.Errorf("vacuum analyze: %w", err)
	}
	st := historyStats{Rows: len(out), Seconds: time.Since(start).Seconds()}
	for _, n := range perOrg {
		st.LargestOrgRows = max(st.LargestOrgRows, n)
	}
	return st, nil
}

// runSalesAnalytics hammers the three endpoints, one after the other, for the organization with the
// most deals.
func runSalesAnalytics(ctx context.Context, client *http.Client, base string, pool *pgxpool.Pool, users []*loggedUser, o options) (salesResult, error) {
	u := largestBy(users, func(o *seededOrg) int { return o.Deals })
	res := salesResult{Deals: u.Org.Deals, Days: *salesDays}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM deal_stage_history WHERE organization_id = $1`, u.Org.ID).Scan(&res.LedgerRows); err != nil {
		return res, fmt.Errorf("count ledger rows: %w", err)
	}
	fmt.Printf("  organization of %s deals and %s ledger rows\n", bench.Thousands(res.Deals), bench.Thousands(res.LedgerRows))
	for _, e := range []struct {
		name, path string
		into       *closedResult
	}{
		{"stages", fmt.Sprintf("/api/v1/analytics/deals/stages?days=%d", *salesDays), &res.Stages},
		{"velocity", fmt.Sprintf("/api/v1/analytics/deals/velocity?days=%d", *salesDays), &res.Velocity},
		{"forecast", "/api/v1/analytics/deals/forecast", &res.Forecast},
	} {
		fmt.Printf("  %s: GET %s\n", e.name, e.path)
		r, err := hammer(ctx, client, base+e.path, u, o.analyticsConc, o, o.analyticsDur)
		if err != nil {
			return res, fmt.Errorf("sales analytics: %w", err)
		}
		r.Latency.Endpoint = e.name
		*e.into = r
		fmt.Printf("%s  %s\n", r, bench.Verdict(r.Latency.P99 <= float64(targetSalesP99.Microseconds())/1000 && r.Errors == 0))
	}
	fmt.Printf("  target: p99 <= %s, no errors\n", targetSalesP99)
	return res, nil
}
