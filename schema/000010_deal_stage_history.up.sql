-- Issue 11 part 3: the stage history ledger of deals and the sales analytics read from it.
--
-- One row per change of a deal's stage or status, written by the service in the transaction of the
-- change; the deal's creation is the row with from_stage and from_status NULL (it enters the
-- initial stage). A row that moves the deal to another stage ends the deal's stay in from_stage;
-- a status change alone ends nothing.
--
-- stay_started_at: on the rows that end a stay, when that stay began (the changed_at of the
-- deal's previous stage-entering row). It is written with the row so that the time spent in a
-- stage is read from the ended stays alone, without walking every deal's history; NULL on the
-- other rows.
-- stay_us: the length of that stay in microseconds, kept by the database: the time statistics sort
-- and add integers instead of intervals.
-- previous_entry_at: on the rows that enter a stage, when the deal last entered that same stage
-- before (NULL: never), so that "deals that entered the stage in the window" is a count of the
-- entries whose previous one is older than the window, without a DISTINCT over the deals.
-- changed_by: NULL on the rows backfilled below, whose author is not known.
CREATE TABLE deal_stage_history (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    deal_id         uuid        NOT NULL,
    from_stage      text        CHECK (from_stage IN ('qualification', 'proposal', 'negotiation', 'closed')),
    to_stage        text        NOT NULL CHECK (to_stage IN ('qualification', 'proposal', 'negotiation', 'closed')),
    from_status     text        CHECK (from_status IN ('new', 'in_progress', 'won', 'lost')),
    to_status       text        NOT NULL CHECK (to_status IN ('new', 'in_progress', 'won', 'lost')),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      uuid        REFERENCES users (id),
    stay_started_at timestamptz,
    stay_us         bigint      GENERATED ALWAYS AS ((extract(epoch FROM changed_at - stay_started_at) * 1000000)::bigint) STORED,
    previous_entry_at timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT deal_stage_history_deal_fkey FOREIGN KEY (organization_id, deal_id)
        REFERENCES deals (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT deal_stage_history_created_check CHECK ((from_stage IS NULL) = (from_status IS NULL)),
    CONSTRAINT deal_stage_history_stay_check CHECK (stay_started_at IS NULL OR from_stage <> to_stage),
    CONSTRAINT deal_stage_history_entry_check CHECK (previous_entry_at IS NULL OR from_stage IS DISTINCT FROM to_stage)
);
-- A deal's history in order: the start of the stay a new row ends, and the cascade of a deletion.
CREATE INDEX deal_stage_history_org_deal_idx ON deal_stage_history (organization_id, deal_id, changed_at);
-- The window of GET /analytics/deals/stages: the rows that enter a stage (creations included),
-- read from the index alone.
CREATE INDEX deal_stage_history_org_moves_idx ON deal_stage_history (organization_id, changed_at)
    INCLUDE (deal_id, from_stage, to_stage, stay_us, previous_entry_at)
    WHERE from_stage IS DISTINCT FROM to_stage;
-- The window of GET /analytics/deals/velocity: the rows where a deal became won or lost.
CREATE INDEX deal_stage_history_org_closes_idx ON deal_stage_history (organization_id, changed_at)
    INCLUDE (deal_id, to_status)
    WHERE to_status IN ('won', 'lost') AND from_status IS DISTINCT FROM to_status;

-- "Deals created in the window, per currency" (GET /analytics/deals/velocity) from the index alone:
-- the created_at index carries the currency and the owner.
DROP INDEX deals_org_created_idx;
CREATE INDEX deals_org_created_idx ON deals (organization_id, created_at, id) INCLUDE (currency, owner_id);

-- Deals created before the ledger: one row at their creation, entering the stage and status they
-- have now (their earlier moves are not known).
INSERT INTO deal_stage_history (organization_id, id, deal_id, from_stage, to_stage, from_status, to_status, changed_at, changed_by)
SELECT d.organization_id, gen_random_uuid(), d.id, NULL, d.stage, NULL, d.status, d.created_at, NULL
FROM deals d;

-- The forecast's weight of each stage, in percent, per organization.
ALTER TABLE organizations
    ADD COLUMN stage_probability_qualification smallint NOT NULL DEFAULT 10
        CHECK (stage_probability_qualification BETWEEN 0 AND 100),
    ADD COLUMN stage_probability_proposal      smallint NOT NULL DEFAULT 30
        CHECK (stage_probability_proposal BETWEEN 0 AND 100),
    ADD COLUMN stage_probability_negotiation   smallint NOT NULL DEFAULT 60
        CHECK (stage_probability_negotiation BETWEEN 0 AND 100),
    ADD COLUMN stage_probability_closed        smallint NOT NULL DEFAULT 90
        CHECK (stage_probability_closed BETWEEN 0 AND 100);
