-- name: DealStageStats :many
-- GET /analytics/deals/stages in one round trip: per stage, the deals that entered it in the window
-- and the stays in it that ended in the window (count, total length, and the two middle lengths for
-- the median, in microseconds: the percentiles 0.5 and just above it are the lower and the upper middle of an even
-- count, the middle twice of an odd one; 0 when no stay ended), from the ledger's stage moves; the
-- open deals in it now, from deal_counts. Stages with nothing are left out (the service fills them
-- in). A member who sees only their own deals counts the deals they own now, as the summary and the
-- funnel do. Each part reads the index of the moves alone, once; stages are grouped in the C
-- collation, whose comparisons are a memcmp, not the locale's.
WITH entered AS (
    -- A deal's entries into a stage count once: only the first one of the window.
    SELECT h.to_stage COLLATE "C" AS stage, count(*) AS n
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.from_stage IS DISTINCT FROM h.to_stage
      AND h.changed_at >= now() - make_interval(days => @days::int)
      AND (h.previous_entry_at IS NULL OR h.previous_entry_at < now() - make_interval(days => @days::int))
      AND (sqlc.narg(owner_id)::uuid IS NULL OR EXISTS (
           SELECT 1 FROM deals d
           WHERE d.organization_id = @organization_id AND d.id = h.deal_id AND d.owner_id = sqlc.narg(owner_id)))
    GROUP BY h.to_stage COLLATE "C"
), exited AS (
    SELECT h.from_stage COLLATE "C" AS stage, count(*) AS n, sum(h.stay_us) AS total_us,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY h.stay_us) AS middles_us
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.from_stage IS DISTINCT FROM h.to_stage
      AND h.from_stage IS NOT NULL
      AND h.changed_at >= now() - make_interval(days => @days::int)
      AND (sqlc.narg(owner_id)::uuid IS NULL OR EXISTS (
           SELECT 1 FROM deals d
           WHERE d.organization_id = @organization_id AND d.id = h.deal_id AND d.owner_id = sqlc.narg(owner_id)))
    GROUP BY h.from_stage COLLATE "C"
), open_deals AS (
    SELECT k.stage COLLATE "C" AS stage, sum(k.n) AS n
    FROM deal_counts k
    WHERE k.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
      AND k.status IN ('new', 'in_progress')
    GROUP BY k.stage COLLATE "C"
)
SELECT /* plan: custom */ coalesce(e.stage, x.stage, o.stage)::text          AS stage,
       coalesce(e.n, 0)::bigint                                              AS entered,
       coalesce(x.n, 0)::bigint                                              AS exited,
       coalesce(o.n, 0)::bigint                                              AS current,
       coalesce(x.total_us, 0)::numeric                                      AS total_us,
       coalesce(x.middles_us[1], 0)::bigint                                  AS lower_median_us,
       coalesce(x.middles_us[2], 0)::bigint                                  AS upper_median_us
FROM entered e
FULL JOIN exited x ON x.stage = e.stage
FULL JOIN open_deals o ON o.stage = coalesce(e.stage, x.stage);

-- name: DealVelocity :many
-- GET /analytics/deals/velocity in one round trip, per currency (the deal's currency now): the deals
-- created in the window; the deals whose status became won or lost in the window (once each, at
-- their latest such change); of the won, the sum of their amounts and of their cycles (creation to
-- won) in seconds. Ratios are the service's. Visibility as in DealStageStats.
WITH closes AS (
    SELECT DISTINCT ON (h.deal_id, h.to_status) h.deal_id, h.to_status, h.changed_at
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.to_status IN ('won', 'lost') AND h.from_status IS DISTINCT FROM h.to_status
      AND h.changed_at >= now() - make_interval(days => @days::int)
    ORDER BY h.deal_id, h.to_status, h.changed_at DESC
), outcomes AS (
    SELECT d.currency,
           count(*) FILTER (WHERE c.to_status = 'won')                                   AS won,
           count(*) FILTER (WHERE c.to_status = 'lost')                                  AS lost,
           sum(d.amount) FILTER (WHERE c.to_status = 'won')                              AS won_amount,
           sum(extract(epoch FROM c.changed_at - d.created_at)) FILTER (WHERE c.to_status = 'won') AS won_cycle_seconds
    FROM closes c
    JOIN deals d ON d.organization_id = @organization_id AND d.id = c.deal_id
    WHERE sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id)
    GROUP BY d.currency
), opened AS (
    SELECT d.currency, count(*) AS n
    FROM deals d
    WHERE d.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
      AND d.created_at >= now() - make_interval(days => @days::int)
    GROUP BY d.currency
)
SELECT /* plan: custom */ coalesce(o.currency, w.currency)::text AS currency,
       coalesce(o.n, 0)::bigint                                   AS opened,
       coalesce(w.won, 0)::bigint                                 AS won,
       coalesce(w.lost, 0)::bigint                                AS lost,
       coalesce(w.won_amount, 0)::numeric                         AS won_amount,
       coalesce(w.won_cycle_seconds, 0)::numeric                  AS won_cycle_seconds
FROM opened o
FULL JOIN outcomes w ON w.currency = o.currency
ORDER BY 1;

-- name: DealForecast :many
-- GET /analytics/deals/forecast in one round trip, read from deal_counts (kept by triggers): per
-- currency the open deals, their exact sum, and the sum weighted by the organization's stage
-- probabilities in percent (the service divides by 100). Visibility as in DealStageStats.
SELECT /* plan: custom */ k.currency::text AS currency,
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
