-- name: RecordDealStageChange :exec
-- One row of the stage history ledger, written in the transaction of the change. from_stage and
-- from_status are NULL for the deal's creation. A row that moves the deal to another stage carries
-- the start of the stay it ends: the deal's latest stage-entering row, read under the deal's row
-- lock that the change holds. A row that enters a stage carries the deal's previous entry into it.
-- The service gives the deal's owner (the change holds the deal), so that the ledger's owner
-- trigger does not look the deal up again; NULL leaves it to the trigger.
INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status,
                                changed_at, changed_by, owner_id, stay_started_at, previous_entry_at)
SELECT @organization_id::uuid, @id::uuid, @deal_id::uuid, sqlc.narg(from_stage)::text, @to_stage::text,
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
       END;

