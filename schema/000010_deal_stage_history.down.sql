ALTER TABLE organizations
    DROP COLUMN IF EXISTS stage_probability_qualification,
    DROP COLUMN IF EXISTS stage_probability_proposal,
    DROP COLUMN IF EXISTS stage_probability_negotiation,
    DROP COLUMN IF EXISTS stage_probability_closed;
DROP TABLE IF EXISTS deal_stage_history;
