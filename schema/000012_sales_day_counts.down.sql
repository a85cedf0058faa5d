DROP TRIGGER IF EXISTS organizations_sales_counts_cleanup ON organizations;
DROP TRIGGER IF EXISTS deals_window_insert ON deals;
DROP TRIGGER IF EXISTS deals_window_update ON deals;
DROP TRIGGER IF EXISTS deals_window_delete ON deals;
DROP TRIGGER IF EXISTS deal_stage_history_owner ON deal_stage_history;
DROP TRIGGER IF EXISTS deal_stage_history_count_insert ON deal_stage_history;
DROP TRIGGER IF EXISTS deal_stage_history_count_update ON deal_stage_history;
DROP TRIGGER IF EXISTS deal_stage_history_count_delete ON deal_stage_history;
DROP TABLE IF EXISTS deal_outcomes, deal_velocity_day_counts, deal_stage_day_counts;
DROP FUNCTION IF EXISTS forget_organization_sales_counts, sync_deal_outcomes, count_deal_outcomes,
    count_stage_history, stage_history_owner;
DROP INDEX IF EXISTS deal_stage_history_org_stays_idx, deal_stage_history_org_reentries_idx, deal_stage_history_org_moves_idx;
CREATE INDEX deal_stage_history_org_moves_idx ON deal_stage_history (organization_id, changed_at)
    INCLUDE (deal_id, from_stage, to_stage, stay_us, previous_entry_at)
    WHERE from_stage IS DISTINCT FROM to_stage;
CREATE INDEX IF NOT EXISTS deal_stage_history_org_closes_idx ON deal_stage_history (organization_id, changed_at)
    INCLUDE (deal_id, to_status)
    WHERE to_status IN ('won', 'lost') AND from_status IS DISTINCT FROM to_status;
ALTER TABLE deal_stage_history DROP COLUMN IF EXISTS owner_id;
