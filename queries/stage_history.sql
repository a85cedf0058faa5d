-- name: RecordDealChange :one
-- What a deal's creation or change writes besides the deal, in one statement and one round trip,
-- in the transaction of the change: its timeline entries (one per id, in the order of the arrays),
-- its row of the stage history ledger when record_history is set, and the ids of the active
-- endpoints subscribed to event_type, for the change's webhook event.
-- The ledger row: from_stage and from_status are NULL for the deal's creation. A row that moves the
-- deal to another stage carries the start of the stay it ends: the deal's latest stage-entering
-- row, read under the deal's row lock that the change holds. A row that enters a stage carries the
-- deal's previous entry into it. The service gives the deal's owner (the change holds the deal),
-- so that the ledger's owner trigger does not look the deal up again; NULL leaves it to the
-- trigger.
WITH timeline AS (
    INSERT INTO activities (organization_id, id, deal_id, author_id, type, payload)
    SELECT @organization_id::uuid, (@activity_ids::uuid[])[i], @deal_id::uuid, @changed_by::uuid,
           (@activity_types::text[])[i], (@activity_payloads::jsonb[])[i]
    FROM generate_subscripts(@activity_ids::uuid[], 1) AS i
), history AS (
    INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status,
                                    changed_at, changed_by, owner_id, stay_started_at, previous_entry_at)
    SELECT @organization_id::uuid, @history_id::uuid, @deal_id::uuid, sqlc.narg(from_stage)::text, @to_stage::text,
           sqlc.narg(from_status)::text, @to_status::text, @changed_at::timestamptz, @changed_by::uuid, sqlc.narg(owner_id)::uuid,
           CASE WHEN sqlc.narg(from_stage)::text <> @to_stage::text THEN
               (SELECT max(p.changed_at) FROM deal_stage_history p
                WHERE p.organization_id = @organization_id::uuid AND p.deal_id = @deal_id::uuid
                  AND p.from_stage IS DISTINCT FROM p.to_stage)
           END,
           CASE WHEN sqlc.narg(from_stage)::text <> @to_stage::text THEN
               (SELECT max(p.changed_at) FROM deal_stage_history p
                WHERE p.organization_id = @organization_id::uuid AND p.deal_id = @deal_id::uuid
                  AND p.to_stage = @to_stage::text AND p.from_stage IS DISTINCT FROM p.to_stage)
           END
    WHERE @record_history::boolean
)
SELECT ARRAY(
    SELECT w.id FROM webhook_endpoints w
    WHERE w.organization_id = @organization_id::uuid AND w.active
      AND (w.events @> ARRAY[@event_type::text] OR w.events @> ARRAY['*'])
    ORDER BY w.id
)::uuid[] AS endpoint_ids;
