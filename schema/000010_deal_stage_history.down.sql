ALTER TABLE organizations
    DROP COLUMN IF EXISTS stage_probability_qualification,
    DROP COLUMN IF EXISTS stage_probability_proposal,
    DROP COLUMN IF EXISTS stage_probability_negotiation,
    DROP COLUMN IF EXISTS stage_probability_closed;
DROP TABLE IF EXISTS deal_stage_history;
DROP INDEX IF EXISTS deals_org_created_idx;
CREATE INDEX deals_org_created_idx ON deals (organization_id, created_at, id);
