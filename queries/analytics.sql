-- name: DealSummary :many
-- One round trip: per (status, currency) the count, the exact sum, the exact average and how many
-- were created in the period. The service folds the rows into the response.
SELECT d.status,
       d.currency,
       count(*)::bigint                                                                   AS deals,
       sum(d.amount)::numeric                                                             AS total,
       round(avg(d.amount), 2)::numeric                                                   AS average,
       count(*) FILTER (WHERE d.created_at >= now() - make_interval(days => @days::int))::bigint AS new_deals
FROM deals d
WHERE d.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
GROUP BY d.status, d.currency
ORDER BY d.status, d.currency;

-- name: DealFunnel :many
SELECT d.stage, d.status, count(*)::bigint AS deals
FROM deals d
WHERE d.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
GROUP BY d.stage, d.status;
