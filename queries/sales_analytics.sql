-- name: DealStageStats :many
-- GET /analytics/deals/stages in one round trip and one pass over the index of the window's stage
-- moves: per stage, the deals that entered it in the window (an entry counts unless the deal
-- entered the same stage earlier in the window), and the stays in it that ended in the window
-- (count, total length in microseconds, and the two middle lengths for the median: the percentiles
-- 0.5 and just above it are the lower and the upper middle of an even count, the middle twice of an
-- odd one); the open deals in it now, from deal_counts. One aggregate row with a FILTER per stage,
-- turned into a row per stage: no sort or hash of the moves by stage. A member who sees only their
-- own deals counts the deals they own now, as the summary and the funnel do.
WITH moves AS (
    SELECT h.from_stage, h.to_stage, h.stay_us,
           h.previous_entry_at IS NULL OR h.previous_entry_at < now() - make_interval(days => @days::int) AS first_entry
    FROM deal_stage_history h
    WHERE h.organization_id = @organization_id
      AND h.from_stage IS DISTINCT FROM h.to_stage
      AND h.changed_at >= now() - make_interval(days => @days::int)
      AND (sqlc.narg(owner_id)::uuid IS NULL OR EXISTS (
           SELECT 1 FROM deals d
           WHERE d.organization_id = @organization_id AND d.id = h.deal_id AND d.owner_id = sqlc.narg(owner_id)))
), totals AS (
    SELECT count(*) FILTER (WHERE m.first_entry AND m.to_stage = 'qualification') AS in1,
           count(*) FILTER (WHERE m.first_entry AND m.to_stage = 'proposal')      AS in2,
           count(*) FILTER (WHERE m.first_entry AND m.to_stage = 'negotiation')   AS in3,
           count(*) FILTER (WHERE m.first_entry AND m.to_stage = 'closed')        AS in4,
           count(*) FILTER (WHERE m.from_stage = 'qualification') AS out1,
           count(*) FILTER (WHERE m.from_stage = 'proposal')      AS out2,
           count(*) FILTER (WHERE m.from_stage = 'negotiation')   AS out3,
           count(*) FILTER (WHERE m.from_stage = 'closed')        AS out4,
           sum(m.stay_us) FILTER (WHERE m.from_stage = 'qualification') AS us1,
           sum(m.stay_us) FILTER (WHERE m.from_stage = 'proposal')      AS us2,
           sum(m.stay_us) FILTER (WHERE m.from_stage = 'negotiation')   AS us3,
           sum(m.stay_us) FILTER (WHERE m.from_stage = 'closed')        AS us4,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY m.stay_us) FILTER (WHERE m.from_stage = 'qualification') AS mid1,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY m.stay_us) FILTER (WHERE m.from_stage = 'proposal')      AS mid2,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY m.stay_us) FILTER (WHERE m.from_stage = 'negotiation')   AS mid3,
           percentile_disc(ARRAY[0.5, 0.5000000001]) WITHIN GROUP (ORDER BY m.stay_us) FILTER (WHERE m.from_stage = 'closed')        AS mid4
    FROM moves m
), open_deals AS (
    SELECT coalesce(sum(k.n) FILTER (WHERE k.stage = 'qualification'), 0) AS now1,
           coalesce(sum(k.n) FILTER (WHERE k.stage = 'proposal'), 0)      AS now2,
           coalesce(sum(k.n) FILTER (WHERE k.stage = 'negotiation'), 0)   AS now3,
           coalesce(sum(k.n) FILTER (WHERE k.stage = 'closed'), 0)        AS now4
    FROM deal_counts k
    WHERE k.organization_id = @organization_id
      AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
      AND k.status IN ('new', 'in_progress')
)
SELECT /* plan: custom */ s.stage::text AS stage, s.entered::bigint AS entered, s.exited::bigint AS exited,
       s.current::bigint AS current, coalesce(s.total_us, 0)::numeric AS total_us,
       coalesce(s.middles_us[1], 0)::bigint AS lower_median_us, coalesce(s.middles_us[2], 0)::bigint AS upper_median_us
FROM totals t, open_deals o,
LATERAL (VALUES ('qualification', t.in1, t.out1, o.now1, t.us1, t.mid1),
                ('proposal', t.in2, t.out2, o.now2, t.us2, t.mid2),
                ('negotiation', t.in3, t.out3, o.now3, t.us3, t.mid3),
                ('closed', t.in4, t.out4, o.now4, t.us4, t.mid4)) AS s(stage, entered, exited, current, total_us, middles_us);

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
