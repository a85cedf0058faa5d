-- name: SpreadDemoHistory :exec
-- The demo organization is made in seconds; this spreads what was made since @since over weeks
-- before @now, keeping the order of everything and the proportions of every stay (each time t
-- becomes now - (now - t) * factor), so the analytics read as weeks of selling instead of a burst.
-- Due dates are left as they are. One statement: the counters' triggers see the deals' new
-- created_at days at its end.
WITH scaled AS (
    SELECT @now::timestamptz AS at_now, @factor::float8 AS factor
), c AS (
    UPDATE contacts x SET created_at = s.at_now - (s.at_now - x.created_at) * s.factor,
                          updated_at = s.at_now - (s.at_now - x.updated_at) * s.factor
    FROM scaled s
    WHERE x.organization_id = @organization_id AND x.created_at >= @since::timestamptz
), d AS (
    UPDATE deals x SET created_at = s.at_now - (s.at_now - x.created_at) * s.factor,
                       updated_at = s.at_now - (s.at_now - x.updated_at) * s.factor
    FROM scaled s
    WHERE x.organization_id = @organization_id AND x.created_at >= @since::timestamptz
), h AS (
    UPDATE deal_stage_history x SET changed_at = s.at_now - (s.at_now - x.changed_at) * s.factor,
                                    stay_started_at = s.at_now - (s.at_now - x.stay_started_at) * s.factor,
                                    previous_entry_at = s.at_now - (s.at_now - x.previous_entry_at) * s.factor
    FROM scaled s
    WHERE x.organization_id = @organization_id AND x.changed_at >= @since::timestamptz
), a AS (
    UPDATE activities x SET created_at = s.at_now - (s.at_now - x.created_at) * s.factor
    FROM scaled s
    WHERE x.organization_id = @organization_id AND x.created_at >= @since::timestamptz
)
UPDATE tasks x SET created_at = s.at_now - (s.at_now - x.created_at) * s.factor,
                   updated_at = s.at_now - (s.at_now - x.updated_at) * s.factor,
                   completed_at = s.at_now - (s.at_now - x.completed_at) * s.factor
FROM scaled s
WHERE x.organization_id = @organization_id AND x.created_at >= @since::timestamptz;

-- name: DatabaseClock :one
-- The database's clock, which stamped the rows SpreadDemoHistory moves (the program's may differ
-- by microseconds, which the factor would turn into hours).
SELECT clock_timestamp()::timestamptz AS now;
