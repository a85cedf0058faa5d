package crm_test

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minicrm/crm/gen/db"
	"github.com/minicrm/crm/internal/apptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The statements of GET /analytics/deals/stages and /velocity before the per-day counters
// (schema/000012): they read every row of the window. The counters' statements must answer the
// same, to the digit.
const (
	rowsStageStats = `
WITH moves AS (
    SELECT h.from_stage, h.to_stage, h.stay_us,
           h.previous_entry_at IS NULL OR h.previous_entry_at < now() - make_interval(days => $2::int) AS first_entry
    FROM deal_stage_history h
    WHERE h.organization_id = $1
      AND h.from_stage IS DISTINCT FROM h.to_stage
      AND h.changed_at >= now() - make_interval(days => $2::int)
      AND ($3::uuid IS NULL OR EXISTS (
           SELECT 1 FROM deals d
           WHERE d.organization_id = $1 AND d.id = h.deal_id AND d.owner_id = $3::uuid))
), totals AS (
    SELECT m.stage,
           count(*) FILTER (WHERE m.entering) AS entered,
           count(*) FILTER (WHERE NOT m.entering) AS exited,
           sum(m.stay_us) FILTER (WHERE NOT m.entering) AS total_us,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY m.stay_us) FILTER (WHERE NOT m.entering) AS middles_us
    FROM (SELECT to_stage AS stage, true AS entering, stay_us FROM moves WHERE first_entry
          UNION ALL
          SELECT from_stage, false, stay_us FROM moves WHERE from_stage IS NOT NULL) m
    GROUP BY m.stage
), open_deals AS (
    SELECT k.stage, sum(k.n) AS n FROM deal_counts k
    WHERE k.organization_id = $1 AND ($3::uuid IS NULL OR k.owner_id = $3::uuid) AND k.status IN ('new', 'in_progress')
    GROUP BY k.stage
)
SELECT s.stage, coalesce(t.entered, 0)::bigint, coalesce(t.exited, 0)::bigint, coalesce(o.n, 0)::bigint,
       coalesce(t.total_us, 0)::numeric, coalesce(t.middles_us[1], 0)::bigint, coalesce(t.middles_us[2], 0)::bigint
FROM (VALUES ('qualification'), ('proposal'), ('negotiation'), ('closed')) AS s(stage)
LEFT JOIN totals t ON t.stage = s.stage
LEFT JOIN open_deals o ON o.stage = s.stage`

	rowsVelocity = `
WITH closes AS (
    SELECT DISTINCT ON (h.deal_id, h.to_status) h.deal_id, h.to_status, h.changed_at
    FROM deal_stage_history h
    WHERE h.organization_id = $1
      AND h.to_status IN ('won', 'lost') AND h.from_status IS DISTINCT FROM h.to_status
      AND h.changed_at >= now() - make_interval(days => $2::int)
    ORDER BY h.deal_id, h.to_status, h.changed_at DESC
), outcomes AS (
    SELECT d.currency,
           count(*) FILTER (WHERE c.to_status = 'won')  AS won,
           count(*) FILTER (WHERE c.to_status = 'lost') AS lost,
           sum(d.amount) FILTER (WHERE c.to_status = 'won') AS won_amount,
           sum(extract(epoch FROM c.changed_at - d.created_at)) FILTER (WHERE c.to_status = 'won') AS won_cycle_seconds
    FROM closes c
    JOIN deals d ON d.organization_id = $1 AND d.id = c.deal_id
    WHERE $3::uuid IS NULL OR d.owner_id = $3::uuid
    GROUP BY d.currency
), opened AS (
    SELECT d.currency, count(*) AS n
    FROM deals d
    WHERE d.organization_id = $1 AND ($3::uuid IS NULL OR d.owner_id = $3::uuid)
      AND d.created_at >= now() - make_interval(days => $2::int)
    GROUP BY d.currency
)
SELECT coalesce(o.currency, w.currency)::text, coalesce(o.n, 0)::bigint, coalesce(w.won, 0)::bigint,
       coalesce(w.lost, 0)::bigint, coalesce(w.won_amount, 0)::numeric, coalesce(w.won_cycle_seconds, 0)::numeric
FROM opened o
FULL JOIN outcomes w ON w.currency = o.currency
ORDER BY 1`

	// counterDrift lists (the first 20 of) every counter that differs from a recount of the rows
	// (zeros are equal to absent rows), every deal_outcomes row that differs from its deal and
	// ledger, and every ledger row whose owner is not its deal's.
	counterDrift = `
SELECT * FROM (
WITH stage_recount AS (
    SELECT organization_id, owner_id, day, stage, sum(entered) AS entered, sum(exited) AS exited, sum(stay_us) AS stay_us
    FROM (SELECT h.organization_id, d.owner_id, (h.changed_at AT TIME ZONE 'UTC')::date AS day, h.to_stage AS stage, 1 AS entered, 0 AS exited, 0 AS stay_us
          FROM deal_stage_history h JOIN deals d ON d.organization_id = h.organization_id AND d.id = h.deal_id
          WHERE h.from_stage IS DISTINCT FROM h.to_stage
          UNION ALL
          SELECT h.organization_id, d.owner_id, (h.previous_entry_at AT TIME ZONE 'UTC')::date, h.to_stage, -1, 0, 0
          FROM deal_stage_history h JOIN deals d ON d.organization_id = h.organization_id AND d.id = h.deal_id
          WHERE h.from_stage IS DISTINCT FROM h.to_stage AND h.previous_entry_at IS NOT NULL
          UNION ALL
          SELECT h.organization_id, d.owner_id, (h.changed_at AT TIME ZONE 'UTC')::date, h.from_stage, 0, 1, coalesce(h.stay_us, 0)
          FROM deal_stage_history h JOIN deals d ON d.organization_id = h.organization_id AND d.id = h.deal_id
          WHERE h.from_stage <> h.to_stage) c
    GROUP BY 1, 2, 3, 4
), outcome_recount AS (
    SELECT d.organization_id, d.id AS deal_id, d.owner_id, d.currency, d.amount, d.created_at,
           max(h.changed_at) FILTER (WHERE h.to_status = 'won' AND h.from_status IS DISTINCT FROM h.to_status) AS won_at,
           max(h.changed_at) FILTER (WHERE h.to_status = 'lost' AND h.from_status IS DISTINCT FROM h.to_status) AS lost_at
    FROM deals d LEFT JOIN deal_stage_history h ON h.organization_id = d.organization_id AND h.deal_id = d.id
    GROUP BY d.organization_id, d.id
), velocity_recount AS (
    SELECT organization_id, owner_id, day, currency, sum(opened) AS opened, sum(won) AS won, sum(lost) AS lost,
           sum(won_amount) AS won_amount, sum(won_cycle_us) AS won_cycle_us
    FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
                 1 AS opened, 0 AS won, 0 AS lost, 0::numeric AS won_amount, 0::numeric AS won_cycle_us
          FROM outcome_recount
          UNION ALL
          SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency, 0, 1, 0, amount,
                 extract(epoch FROM won_at - created_at) * 1000000
          FROM outcome_recount WHERE won_at IS NOT NULL
          UNION ALL
          SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 1, 0, 0
          FROM outcome_recount WHERE lost_at IS NOT NULL) c
    GROUP BY 1, 2, 3, 4
)
SELECT 'stage ' || coalesce(r.stage, k.stage) || ' ' || coalesce(r.day, k.day)::text || ': want '
       || coalesce(r.entered, 0) || '/' || coalesce(r.exited, 0) || '/' || coalesce(r.stay_us, 0)
       || ' got ' || coalesce(k.entered, 0) || '/' || coalesce(k.exited, 0) || '/' || coalesce(k.stay_us, 0)
FROM stage_recount r
FULL JOIN deal_stage_day_counts k USING (organization_id, owner_id, day, stage)
WHERE (coalesce(r.entered, 0), coalesce(r.exited, 0), coalesce(r.stay_us, 0))
      IS DISTINCT FROM (coalesce(k.entered, 0), coalesce(k.exited, 0), coalesce(k.stay_us, 0))
UNION ALL
SELECT 'velocity ' || coalesce(r.currency, k.currency) || ' ' || coalesce(r.day, k.day)::text || ': want '
       || concat_ws('/', coalesce(r.opened, 0), coalesce(r.won, 0), coalesce(r.lost, 0), coalesce(r.won_amount, 0), coalesce(r.won_cycle_us, 0))
       || ' got ' || concat_ws('/', coalesce(k.opened, 0), coalesce(k.won, 0), coalesce(k.lost, 0), coalesce(k.won_amount, 0), coalesce(k.won_cycle_us, 0))
FROM velocity_recount r
FULL JOIN deal_velocity_day_counts k USING (organization_id, owner_id, day, currency)
WHERE (coalesce(r.opened, 0), coalesce(r.won, 0), coalesce(r.lost, 0), coalesce(r.won_amount, 0), coalesce(r.won_cycle_us, 0))
      IS DISTINCT FROM (coalesce(k.opened, 0), coalesce(k.won, 0), coalesce(k.lost, 0), coalesce(k.won_amount, 0), coalesce(k.won_cycle_us, 0))
UNION ALL
SELECT 'outcome of deal ' || coalesce(r.deal_id, o.deal_id)::text
FROM outcome_recount r
FULL JOIN deal_outcomes o USING (organization_id, deal_id)
WHERE (r.owner_id, r.currency, r.amount, r.created_at, r.won_at, r.lost_at)
      IS DISTINCT FROM (o.owner_id, o.currency, o.amount, o.created_at, o.won_at, o.lost_at)
UNION ALL
SELECT 'ledger row ' || h.id::text || ' has owner ' || h.owner_id::text || ', its deal ' || d.owner_id::text
FROM deal_stage_history h JOIN deals d ON d.organization_id = h.organization_id AND d.id = h.deal_id
WHERE h.owner_id <> d.owner_id
) drift LIMIT 20`
)

var (
	windowDays  = []int32{1, 2, 3, 7, 30, 90, 365}
	allStages   = []string{"qualification", "proposal", "negotiation", "closed"}
	allStatuses = []string{"new", "in_progress", "won", "lost"}
	currencies  = []string{"EUR", "USD", "GBP"}
)

// salesFixture is an organization with owners, deals and their ledgers written to the database.
type salesFixture struct {
	pool    *pgxpool.Pool
	org     uuid.UUID
	owners  []uuid.UUID
	contact uuid.UUID
	deals   []uuid.UUID
	rng     *rand.Rand
}

// newSalesFixture makes an organization of n deals, each with a random history (moves forward and
// back, status changes, several changes to won or lost) that started within span of now.
func newSalesFixture(t *testing.T, pool *pgxpool.Pool, rng *rand.Rand, n int) *salesFixture {
	t.Helper()
	ctx := t.Context()
	f := &salesFixture{pool: pool, org: uuid.New(), contact: uuid.New(), rng: rng}
	_, err := pool.Exec(ctx, `INSERT INTO organizations (id, name) VALUES ($1, 'Counters Ltd')`, f.org)
	require.NoError(t, err)
	for i := range 3 {
		u := uuid.New()
		_, err = pool.Exec(ctx, `INSERT INTO users (id, email, password_hash, name) VALUES ($1, $2, 'x', 'Seller')`,
			u, u.String()+"@example.com")
		require.NoError(t, err)
		f.owners = append(f.owners, u)
		_ = i
	}
	_, err = pool.Exec(ctx, `INSERT INTO contacts (organization_id, id, owner_id, name) VALUES ($1, $2, $3, 'Buyer')`,
		f.org, f.contact, f.owners[0])
	require.NoError(t, err)
	var now time.Time
	require.NoError(t, pool.QueryRow(ctx, `SELECT now()`).Scan(&now))
	spans := []time.Duration{36 * time.Hour, 4 * 24 * time.Hour, 10 * 24 * time.Hour, 40 * 24 * time.Hour, 150 * 24 * time.Hour}
	for range n {
		span := spans[rng.IntN(len(spans))]
		f.insertDeal(t, now, span)
	}
	return f
}

// ledgerRow is one row of a deal's history as the service writes it.
type ledgerRow struct {
	fromStage, fromStatus *string
	toStage, toStatus     string
	at                    time.Time
	stayStart, prevEntry  *time.Time
}

func (f *salesFixture) insertDeal(t *testing.T, now time.Time, span time.Duration) {
	t.Helper()
	ctx := t.Context()
	rng := f.rng
	created := now.Add(-time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond)
	events := rng.IntN(7)
	times := make([]time.Time, events)
	for i := range times {
		times[i] = created.Add(time.Duration(rng.Int64N(int64(now.Sub(created)) + 1))).Truncate(time.Microsecond)
	}
	if rng.IntN(2) == 0 {
		// Around the start of a window instead: created just before it, half of the changes on the
		// window's first, partial UTC day (from its start to midnight), half after it.
		start := now.Add(-time.Duration(windowDays[rng.IntN(len(windowDays))]) * 24 * time.Hour)
		midnight := start.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		created = start.Add(-time.Duration(rng.Int64N(int64(2 * time.Hour)))).Truncate(time.Microsecond)
		events = 2 + rng.IntN(8)
		times = make([]time.Time, events)
		for i := range times {
			from, to := start, midnight
			if i%2 == 1 {
				from, to = midnight, now
			}
			times[i] = from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)) + 1))).Truncate(time.Microsecond)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	stage, status := "qualification", "new"
	if rng.IntN(10) == 0 {
		status = allStatuses[rng.IntN(len(allStatuses))] // created won or lost, now and then
	}
	rows := []ledgerRow{{toStage: stage, toStatus: status, at: created}}
	lastEntry := created
	entries := map[string]time.Time{stage: created}
	for _, at := range times {
		r := ledgerRow{fromStage: ptr(stage), fromStatus: ptr(status), at: at}
		switch rng.IntN(3) {
		case 0: // status only
			status = otherThan(rng, allStatuses, status)
		case 1: // move
			stage = otherThan(rng, allStages, stage)
		default: // both
			stage, status = otherThan(rng, allStages, stage), otherThan(rng, allStatuses, status)
		}
		r.toStage, r.toStatus = stage, status
		if *r.fromStage != stage {
			start := lastEntry
			r.stayStart = &start
			if prev, ok := entries[stage]; ok {
				r.prevEntry = &prev
			}
			lastEntry, entries[stage] = at, at
		}
		rows = append(rows, r)
	}
	deal := uuid.New()
	_, err := f.pool.Exec(ctx, `
		INSERT INTO deals (organization_id, id, contact_id, owner_id, title, amount, currency, status, stage, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'Deal', $5, $6, $7, $8, $9, $9)`,
		f.org, deal, f.contact, f.owners[rng.IntN(len(f.owners))], 1+rng.IntN(100000), currencies[rng.IntN(len(currencies))],
		status, stage, created)
	require.NoError(t, err)
	batch := &pgx.Batch{}
	for _, r := range rows {
		batch.Queue(`
			INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status,
			                                changed_at, stay_started_at, previous_entry_at)
			VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6, $7, $8, $9)`,
			f.org, deal, r.fromStage, r.toStage, r.fromStatus, r.toStatus, r.at, r.stayStart, r.prevEntry)
	}
	require.NoError(t, f.pool.SendBatch(ctx, batch).Close())
	f.deals = append(f.deals, deal)
}

func ptr[T any](v T) *T { return &v }

func otherThan(rng *rand.Rand, of []string, not string) string {
	for {
		if v := of[rng.IntN(len(of))]; v != not {
			return v
		}
	}
}

// change makes the kinds of change the service and the demo make, each in statements of its own:
// owners reassigned (in bulk), amounts and currencies changed, a stage or status change written by
// the service's ledger query, a deal's whole history moved back in time, deals deleted.
func (f *salesFixture) change(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	rng := f.rng
	q := db.New(f.pool)
	pick := func(n int) []uuid.UUID {
		out := make([]uuid.UUID, 0, n)
		for _, i := range rng.Perm(len(f.deals))[:min(n, len(f.deals))] {
			out = append(out, f.deals[i])
		}
		return out
	}
	_, err := f.pool.Exec(ctx, `UPDATE deals SET owner_id = $3 WHERE organization_id = $1 AND id = ANY($2)`,
		f.org, pick(len(f.deals)/4), f.owners[rng.IntN(len(f.owners))])
	require.NoError(t, err)
	for _, d := range pick(len(f.deals) / 5) {
		_, err = f.pool.Exec(ctx, `UPDATE deals SET amount = amount + $3, currency = $4 WHERE organization_id = $1 AND id = $2`,
			f.org, d, 1+rng.IntN(1000), currencies[rng.IntN(len(currencies))])
		require.NoError(t, err)
	}
	for _, d := range pick(len(f.deals) / 3) {
		tx, err := f.pool.Begin(ctx)
		require.NoError(t, err)
		var stage, status string
		var owner uuid.UUID
		require.NoError(t, tx.QueryRow(ctx, `SELECT stage, status, owner_id FROM deals WHERE organization_id = $1 AND id = $2 FOR UPDATE`,
			f.org, d).Scan(&stage, &status, &owner))
		toStage, toStatus := stage, status
		switch rng.IntN(3) {
		case 0:
			toStatus = otherThan(rng, allStatuses, status)
		case 1:
			toStage = otherThan(rng, allStages, stage)
		default:
			toStage, toStatus = otherThan(rng, allStages, stage), otherThan(rng, allStatuses, status)
		}
		_, err = tx.Exec(ctx, `UPDATE deals SET stage = $3, status = $4 WHERE organization_id = $1 AND id = $2`, f.org, d, toStage, toStatus)
		require.NoError(t, err)
		// As the service writes it: now, after every earlier row of the deal.
		var at time.Time
		require.NoError(t, tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at))
		_, err = q.WithTx(tx).RecordDealChange(ctx, db.RecordDealChangeParams{
			OrganizationID: f.org, HistoryID: uuid.New(), DealID: d, FromStage: &stage, ToStage: toStage,
			FromStatus: &status, ToStatus: toStatus, ChangedAt: at, ChangedBy: owner, RecordHistory: true,
			EventType: "deal.updated",
		})
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
	}
	for _, d := range pick(len(f.deals) / 10) {
		shift := time.Duration(rng.Int64N(int64(5 * 24 * time.Hour)))
		_, err = f.pool.Exec(ctx, `
			WITH d AS (
			    UPDATE deals SET created_at = created_at - $3::interval WHERE organization_id = $1 AND id = $2
			)
			UPDATE deal_stage_history SET changed_at = changed_at - $3::interval,
			                              stay_started_at = stay_started_at - $3::interval,
			                              previous_entry_at = previous_entry_at - $3::interval
			WHERE organization_id = $1 AND deal_id = $2`, f.org, d, shift)
		require.NoError(t, err)
	}
	gone := pick(len(f.deals) / 10)
	_, err = f.pool.Exec(ctx, `DELETE FROM deals WHERE organization_id = $1 AND id = ANY($2)`, f.org, gone)
	require.NoError(t, err)
	kept := f.deals[:0]
	for _, d := range f.deals {
		if !containsID(gone, d) {
			kept = append(kept, d)
		}
	}
	f.deals = kept
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// requireNoDrift fails with the counters that differ from a recount of the rows.
func requireNoDrift(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	rows, err := pool.Query(t.Context(), counterDrift)
	require.NoError(t, err)
	drift, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, drift, "counters that differ from a recount")
}

// compareWithRows checks that the counters' statements answer what the row-reading ones do, for
// every window and the organization's and each owner's view, in one transaction (one now()).
func compareWithRows(t *testing.T, ctx context.Context, pool *pgxpool.Pool, f *salesFixture) {
	t.Helper()
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	q := db.New(tx)
	views := []*uuid.UUID{nil}
	for i := range f.owners {
		views = append(views, &f.owners[i])
	}
	for _, days := range windowDays {
		for _, owner := range views {
			got, err := q.DealStageStats(ctx, db.DealStageStatsParams{OrganizationID: f.org, Days: days, OwnerID: owner})
			require.NoError(t, err)
			rows, err := tx.Query(ctx, rowsStageStats, f.org, days, owner)
			require.NoError(t, err)
			want, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (db.DealStageStatsRow, error) {
				var s db.DealStageStatsRow
				err := r.Scan(&s.Stage, &s.Entered, &s.Exited, &s.Current, &s.TotalUs, &s.LowerMedianUs, &s.UpperMedianUs)
				return s, err
			})
			require.NoError(t, err)
			byStage := map[string]db.DealStageStatsRow{}
			for _, g := range got {
				byStage[g.Stage] = g
			}
			require.Len(t, byStage, len(want))
			for _, w := range want {
				g := byStage[w.Stage]
				assert.Equal(t, [5]int64{w.Entered, w.Exited, w.Current, w.LowerMedianUs, w.UpperMedianUs},
					[5]int64{g.Entered, g.Exited, g.Current, g.LowerMedianUs, g.UpperMedianUs},
					"%s, %d days, owner %v: entered, exited, current, medians", w.Stage, days, owner)
				assert.True(t, w.TotalUs.Equal(g.TotalUs.Decimal), "%s, %d days, owner %v: total %s, want %s",
					w.Stage, days, owner, g.TotalUs, w.TotalUs)
			}

			computedV, err := q.DealVelocity(ctx, db.DealVelocityParams{OrganizationID: f.org, Days: days, OwnerID: owner})
			require.NoError(t, err)
			var gotV []db.DealVelocityRow
			for _, r := range computedV {
				if r.Currency != nil { // else the row that says "computed, no currency"
					gotV = append(gotV, r)
				}
			}
			rows, err = tx.Query(ctx, rowsVelocity, f.org, days, owner)
			require.NoError(t, err)
			wantV, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (db.DealVelocityRow, error) {
				var v db.DealVelocityRow
				err := r.Scan(&v.Currency, &v.Opened, &v.Won, &v.Lost, &v.WonAmount, &v.WonCycleSeconds)
				return v, err
			})
			require.NoError(t, err)
			require.Len(t, gotV, len(wantV), "%d days, owner %v: currencies", days, owner)
			for i, w := range wantV {
				g := gotV[i]
				assert.Equal(t, [3]int64{w.Opened, w.Won, w.Lost}, [3]int64{g.Opened, g.Won, g.Lost},
					"%s, %d days, owner %v: opened, won, lost", w.Currency, days, owner)
				assert.Equal(t, w.Currency, g.Currency)
				assert.True(t, w.WonAmount.Equal(g.WonAmount.Decimal), "%s, %d days: won amount %s, want %s", w.Currency, days, g.WonAmount, w.WonAmount)
				assert.True(t, w.WonCycleSeconds.Equal(g.WonCycleSeconds.Decimal), "%s, %d days: cycle %s, want %s",
					w.Currency, days, g.WonCycleSeconds, w.WonCycleSeconds)
			}
		}
	}
}

// The per-day counters answer exactly what reading every row of the window answers, on random
// histories (deals moving back and forth, won and lost several times, several currencies and
// owners), before and after owners, amounts, currencies and histories change and deals go.
func TestSalesCounters_AnswerAsTheRows(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	ctx := t.Context()
	rng := loggedRand(t, 11)
	f := newSalesFixture(t, pool, rng, 150)
	compareWithRows(t, ctx, pool, f)
	f.change(t)
	compareWithRows(t, ctx, pool, f)
	requireNoDrift(t, pool)
}

// The counters equal a recount of the rows after every kind of write, including ledger rows
// rewritten and deleted directly and an organization's deletion, which leaves none of its counters.
func TestSalesCounters_DoNotDrift(t *testing.T) {
	t.Parallel()
	pool := apptest.NewPool(t)
	ctx := t.Context()
	rng := loggedRand(t, 12)
	a := newSalesFixture(t, pool, rng, 60)
	b := newSalesFixture(t, pool, rng, 40)
	requireNoDrift(t, pool)
	a.change(t)
	b.change(t)
	requireNoDrift(t, pool)

	// Ledger rows deleted and retimed one by one, as tests and repairs may.
	_, err := pool.Exec(ctx, `DELETE FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2
		AND changed_at = (SELECT max(changed_at) FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2)`, a.org, a.deals[0])
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE deal_stage_history SET changed_at = changed_at - interval '3 days 5 hours'
		WHERE organization_id = $1 AND deal_id = $2`, a.org, a.deals[1])
	require.NoError(t, err)
	requireNoDrift(t, pool)

	// A deal created long ago (on days no other row has) and back in qualification since: its
	// creation day counts +1 and -1 (superseded) in qualification, zero in all. Its new owner's
	// counter of that day must still exist when the re-entry goes and the creation counts again.
	deal := a.deals[2]
	_, err = pool.Exec(ctx, `DELETE FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2`, a.org, deal)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `
		INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status,
		                                changed_at, stay_started_at, previous_entry_at)
		VALUES ($1, gen_random_uuid(), $2, NULL, 'qualification', NULL, 'new', now() - interval '500 days', NULL, NULL),
		       ($1, gen_random_uuid(), $2, 'qualification', 'proposal', 'new', 'new', now() - interval '460 days', now() - interval '500 days', NULL),
		       ($1, gen_random_uuid(), $2, 'proposal', 'qualification', 'new', 'new', now() - interval '420 days', now() - interval '460 days', now() - interval '500 days')`,
		a.org, deal)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE deals SET owner_id = $3, stage = 'qualification', status = 'new' WHERE organization_id = $1 AND id = $2`,
		a.org, deal, a.owners[(indexOf(a.owners, ownerOf(t, pool, a.org, deal))+1)%len(a.owners)])
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `DELETE FROM deal_stage_history WHERE organization_id = $1 AND deal_id = $2 AND from_stage = 'proposal'`, a.org, deal)
	require.NoError(t, err)
	requireNoDrift(t, pool)

	// An organization's deletion cascades into its deals and ledger and removes its counters.
	_, err = pool.Exec(ctx, `DELETE FROM organizations WHERE id = $1`, b.org)
	require.NoError(t, err)
	var left int
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM deal_stage_day_counts WHERE organization_id = $1)
		     + (SELECT count(*) FROM deal_velocity_day_counts WHERE organization_id = $1)
		     + (SELECT count(*) FROM deal_outcomes WHERE organization_id = $1)`, b.org).Scan(&left))
	assert.Zero(t, left, "counters of the deleted organization")
	requireNoDrift(t, pool)

	// And all deals of an organization at once.
	_, err = pool.Exec(ctx, `DELETE FROM deals WHERE organization_id = $1`, a.org)
	require.NoError(t, err)
	requireNoDrift(t, pool)
	var nonzero int
	require.NoError(t, pool.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM deal_stage_day_counts WHERE organization_id = $1 AND (entered <> 0 OR exited <> 0 OR stay_us <> 0))
		     + (SELECT count(*) FROM deal_velocity_day_counts WHERE organization_id = $1 AND (opened <> 0 OR won <> 0 OR lost <> 0))`,
		a.org).Scan(&nonzero))
	assert.Zero(t, nonzero)
}

func ownerOf(t *testing.T, pool *pgxpool.Pool, org, deal uuid.UUID) uuid.UUID {
	t.Helper()
	var owner uuid.UUID
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT owner_id FROM deals WHERE organization_id = $1 AND id = $2`, org, deal).Scan(&owner))
	return owner
}

func indexOf(ids []uuid.UUID, id uuid.UUID) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// loggedRand is a random source seeded from the clock, its seed logged so that a failure can be
// replayed.
func loggedRand(t *testing.T, stream uint64) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, stream))
}
