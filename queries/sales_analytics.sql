-- name: DealStageStats :many
-- GET /analytics/deals/stages in one round trip, per stage: the deals that entered it in the window,
-- the stays in it that ended in the window (count, total length in microseconds, and the two middle
-- lengths for the median: the percentiles 0.5 and just above it are the lower and the upper middle
-- of an even count, the middle twice of an odd one), the open deals in it now (deal_counts).
-- The counts and sums: the window's whole UTC days from deal_stage_day_counts (kept by triggers,
-- see schema/000012), plus its first, partial day from the ledger's indexes: that day's stays that
-- ended and entries the deal had not made earlier in the window, less the later entries whose
-- previous one was on that day (the counters count them on that day as superseded, -1, but that
-- previous entry is in the window only from the window's start). The median sorts the ended stays
-- of the window, one index-only range per stage. A member who sees only their own deals counts the
-- deals they own now (the ledger carries the deal's owner), as the summary and the funnel do.
--
-- The answer changes only when the deals change (list_versions' 'deals' version, schema/000011,
-- raised by every write of a deal, in the same transaction as its ledger row) or when the window's
-- start passes the oldest move in the window (every time compared with the start is a move's
-- changed_at: previous_entry_at is the changed_at of an earlier move). Each row carries both; a
-- caller who holds the answer for known_version, valid before known_until, gets no rows at all
-- while both still hold: the gate is evaluated first and nothing below it runs.
--
-- Not marked plan: custom (unlike the lists): every read is a range of an index led by the
-- organization and the window's time, so the generic plan is the custom one, and planning this
-- statement (1.7 ms) would cost more than a remembered answer (0.2 ms). Measured on the bench's
-- largest organization: a computed answer 21 ms generic against 17 + 1.7 ms custom; on a small one
-- 0.6 ms against 0.6 + 1.7 ms.
WITH parts AS (
    SELECT k.stage, k.entered, k.exited, k.stay_us
    FROM deal_stage_day_counts k
    WHERE k.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
      AND k.day > ((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date
    UNION ALL
    SELECT h.to_stage, 1, 0, 0
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.from_stage IS DISTINCT FROM h.to_stage
      AND h.changed_at >= now() - make_interval(days => @days::int)
      AND h.changed_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND (h.previous_entry_at IS NULL OR h.previous_entry_at < now() - make_interval(days => @days::int))
      AND (sqlc.narg(owner_id)::uuid IS NULL OR h.owner_id = sqlc.narg(owner_id))
    UNION ALL
    SELECT h.from_stage, 0, 1, coalesce(h.stay_us, 0)
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.from_stage IS DISTINCT FROM h.to_stage AND h.from_stage IS NOT NULL
      AND h.changed_at >= now() - make_interval(days => @days::int)
      AND h.changed_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND (sqlc.narg(owner_id)::uuid IS NULL OR h.owner_id = sqlc.narg(owner_id))
    UNION ALL
    SELECT h.to_stage, -1, 0, 0
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.previous_entry_at >= now() - make_interval(days => @days::int)
      AND h.previous_entry_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND h.changed_at >= (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
      AND (sqlc.narg(owner_id)::uuid IS NULL OR h.owner_id = sqlc.narg(owner_id))
), totals AS (
    SELECT p.stage, sum(p.entered) AS entered, sum(p.exited) AS exited, sum(p.stay_us) AS total_us
    FROM parts p
    GROUP BY p.stage
), open_deals AS (
    SELECT k.stage, sum(k.n) AS n
    FROM deal_counts k
    WHERE k.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
      AND k.status IN ('new', 'in_progress')
    GROUP BY k.stage
), gate AS (
    SELECT (SELECT coalesce(max(v.version), 0) FROM list_versions v
            WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS version,
           coalesce((SELECT h.changed_at FROM deal_stage_history h
                     WHERE h.organization_id = @organization_id AND h.from_stage IS DISTINCT FROM h.to_stage
                       AND h.changed_at >= now() - make_interval(days => @days::int)
                     ORDER BY h.changed_at LIMIT 1)
                    + make_interval(days => @days::int),
                    now() + interval '1 day')::timestamptz AS valid_until
)
SELECT s.stage::text AS stage,
       coalesce(t.entered, 0)::bigint AS entered,
       coalesce(t.exited, 0)::bigint AS exited,
       coalesce(o.n, 0)::bigint AS current,
       coalesce(t.total_us, 0)::numeric AS total_us,
       coalesce(m.middles_us[1], 0)::bigint AS lower_median_us,
       coalesce(m.middles_us[2], 0)::bigint AS upper_median_us,
       g.version,
       g.valid_until
FROM (VALUES ('qualification'), ('proposal'), ('negotiation'), ('closed')) AS s(stage)
CROSS JOIN gate g
LEFT JOIN totals t ON t.stage = s.stage
LEFT JOIN open_deals o ON o.stage = s.stage
CROSS JOIN LATERAL (
    SELECT percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY x.stay_us) AS middles_us
    FROM deal_stage_history x
    WHERE x.organization_id = @organization_id
      AND x.from_stage = s.stage AND x.from_stage <> x.to_stage
      AND x.changed_at >= now() - make_interval(days => @days::int)
      AND (sqlc.narg(owner_id)::uuid IS NULL OR x.owner_id = sqlc.narg(owner_id))
) m
WHERE (SELECT g.version <> @known_version::bigint OR now() >= @known_until::timestamptz FROM gate g);

-- name: DealVelocity :many
-- GET /analytics/deals/velocity in one round trip, per currency (the deal's currency now): the deals
-- created in the window; the deals whose status became won or lost in the window (once each, at
-- their latest such change); of the won, the sum of their amounts and of their cycles (creation to
-- won) in seconds. The window's whole UTC days from deal_velocity_day_counts (kept by triggers, see
-- schema/000012), its first, partial day from the deals' created_at index and deal_outcomes'
-- indexes. Ratios are the service's. Visibility as in DealStageStats. A generic plan, as
-- DealStageStats: 1.7 ms against 0.8 + 1.5 ms custom on the largest organization, 0.2 against
-- 0.8 + 0.2 ms on a small one. Remembered as DealStageStats is: the times compared with the
-- window's start are the deals' creations and their latest won and lost changes, so the answer
-- holds until the oldest of those in the window leaves it, or the deals change.
WITH gate AS (
    SELECT (SELECT coalesce(max(v.version), 0) FROM list_versions v
            WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS version,
           coalesce(least(
                (SELECT d.created_at FROM deals d
                 WHERE d.organization_id = @organization_id AND d.created_at >= now() - make_interval(days => @days::int)
                 ORDER BY d.created_at LIMIT 1),
                (SELECT o.won_at FROM deal_outcomes o
                 WHERE o.organization_id = @organization_id AND o.won_at >= now() - make_interval(days => @days::int)
                 ORDER BY o.won_at LIMIT 1),
                (SELECT o.lost_at FROM deal_outcomes o
                 WHERE o.organization_id = @organization_id AND o.lost_at >= now() - make_interval(days => @days::int)
                 ORDER BY o.lost_at LIMIT 1))
                + make_interval(days => @days::int),
                now() + interval '1 day')::timestamptz AS valid_until
), parts AS (
    SELECT k.currency, k.opened, k.won, k.lost, k.won_amount, k.won_cycle_us
    FROM deal_velocity_day_counts k
    WHERE k.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
      AND k.day > ((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date
    UNION ALL
    SELECT d.currency, 1, 0, 0, 0, 0
    FROM deals d
    WHERE d.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
      AND d.created_at >= now() - make_interval(days => @days::int)
      AND d.created_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
    UNION ALL
    SELECT o.currency, 0, 1, 0, o.amount, extract(epoch FROM o.won_at - o.created_at) * 1000000
    FROM deal_outcomes o
    WHERE o.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR o.owner_id = sqlc.narg(owner_id))
      AND o.won_at IS NOT NULL
      AND o.won_at >= now() - make_interval(days => @days::int)
      AND o.won_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
    UNION ALL
    SELECT o.currency, 0, 0, 1, 0, 0
    FROM deal_outcomes o
    WHERE o.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR o.owner_id = sqlc.narg(owner_id))
      AND o.lost_at IS NOT NULL
      AND o.lost_at >= now() - make_interval(days => @days::int)
      AND o.lost_at < (((now() - make_interval(days => @days::int)) AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC'
), totals AS (
    SELECT p.currency::text                                           AS currency,
           sum(p.opened)::bigint                                        AS opened,
           sum(p.won)::bigint                                           AS won,
           sum(p.lost)::bigint                                          AS lost,
           sum(p.won_amount)::numeric                                   AS won_amount,
           (sum(p.won_cycle_us) * 0.000001)::numeric                    AS won_cycle_seconds
    FROM parts p
    GROUP BY p.currency
    HAVING sum(p.opened) <> 0 OR sum(p.won) <> 0 OR sum(p.lost) <> 0
)
-- A computed answer has at least one row: with no currency, one whose currency is NULL.
SELECT t.currency,
       coalesce(t.opened, 0)::bigint               AS opened,
       coalesce(t.won, 0)::bigint                  AS won,
       coalesce(t.lost, 0)::bigint                 AS lost,
       coalesce(t.won_amount, 0)::numeric          AS won_amount,
       coalesce(t.won_cycle_seconds, 0)::numeric   AS won_cycle_seconds,
       g.version,
       g.valid_until
FROM gate g
LEFT JOIN totals t ON true
WHERE (SELECT g.version <> @known_version::bigint OR now() >= @known_until::timestamptz FROM gate g)
ORDER BY 1;

-- name: DealForecast :many
-- GET /analytics/deals/forecast in one round trip, read from deal_counts (kept by triggers): per
-- currency the open deals, their exact sum, and the sum weighted by the organization's stage
-- probabilities in percent (the service divides by 100). Visibility as in DealStageStats.
SELECT k.currency::text AS currency,
       sum(k.n)::bigint                    AS open_deals,
       sum(k.amount)::numeric              AS pipeline_amount,
       sum(k.amount * CASE k.stage
                          WHEN 'qualification' THEN o.stage_probability_qualification
                          WHEN 'proposal' THEN o.stage_probability_proposal
                          WHEN 'negotiation' THEN o.stage_probability_negotiation
                          WHEN 'closed' THEN o.stage_probability_closed
                          ELSE 0
                      END)::numeric        AS weighted_percent
FROM deal_counts k
JOIN organizations o ON o.id = k.organization_id
WHERE k.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
  AND k.status IN ('new', 'in_progress')
GROUP BY k.currency
HAVING sum(k.n) > 0
ORDER BY k.currency;
