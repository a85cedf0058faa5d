-- Issue 11 part 3's performance target: GET /analytics/deals/stages and /velocity read per-day
-- counters kept by triggers (as deal_day_counts does for the summary) instead of every row of the
-- window. Whole UTC days of the window come from the counters; the window's first, partial day
-- (it starts at the instant now() - N days) from indexes over the rows themselves.
--
-- The figures stay the ones of issue 11 part 3, exactly:
--  - entered: deals that entered the stage in the window. A deal has entered the stage in the window
--    when its latest entry into it is in the window, so an entry counts +1 on its day and -1 on the
--    day of the deal's previous entry into the same stage (previous_entry_at), which it supersedes.
--  - exited and the stay sums: every ledger row that ends a stay counts on its day.
--  - won / lost: a deal counts once, on the day of its latest change to won (lost); the won amount
--    and the cycle (creation to that change) are those of the deal as it is now.
-- Counts follow the deal's owner now (a member who sees only their own deals), so an owner's change
-- moves the deal's counts.
--
-- Order of the locks (no deadlock between writers): within a statement the counters are touched in
-- key order; across tables every transaction takes deal_counts, then list_versions (the deals
-- triggers named deals_version_*), then deal_velocity_day_counts, then deal_stage_day_counts: the
-- deals triggers below are named deals_window_* (after deals_version_*), and every statement that
-- changes both counters changes the velocity ones first.

-- The deal's owner on its ledger rows, kept equal to the deal's owner now: the stage counters and
-- the exact median are read per owner from the ledger alone, and a ledger row that goes away with
-- its deal (the cascade runs after the deal is gone) still says whose count it was.
ALTER TABLE deal_stage_history ADD COLUMN owner_id uuid;
UPDATE deal_stage_history h SET owner_id = d.owner_id
FROM deals d WHERE d.organization_id = h.organization_id AND d.id = h.deal_id;
ALTER TABLE deal_stage_history ALTER COLUMN owner_id SET NOT NULL;

-- Per deal, what velocity counts of it: its owner, currency, amount and creation as they are now
-- (copied from the deal by the deals triggers), and its latest changes to won and to lost (from the
-- ledger by its triggers). No foreign key: the deals' deletion trigger removes the rows itself.
CREATE TABLE deal_outcomes (
    organization_id uuid          NOT NULL,
    deal_id         uuid          NOT NULL,
    owner_id        uuid          NOT NULL,
    currency        char(3)       NOT NULL,
    amount          numeric(14,2) NOT NULL,
    created_at      timestamptz   NOT NULL,
    won_at          timestamptz,
    lost_at         timestamptz,
    PRIMARY KEY (organization_id, deal_id)
);
-- The window's first, partial day of velocity.
CREATE INDEX deal_outcomes_org_won_idx ON deal_outcomes (organization_id, won_at)
    INCLUDE (owner_id, currency, amount, created_at) WHERE won_at IS NOT NULL;
CREATE INDEX deal_outcomes_org_lost_idx ON deal_outcomes (organization_id, lost_at)
    INCLUDE (owner_id, currency) WHERE lost_at IS NOT NULL;

-- Counters. No foreign key to organizations (as in 000005): an organization's deletion removes
-- them (organizations_sales_counts_cleanup); deletions only decrement. A counter may stay at 0.
-- Per UTC day and currency: deals created (opened), deals whose latest change to won / lost was
-- that day, their amounts and their cycles in microseconds.
CREATE TABLE deal_velocity_day_counts (
    organization_id uuid    NOT NULL,
    owner_id        uuid    NOT NULL,
    day             date    NOT NULL,
    currency        char(3) NOT NULL,
    opened          bigint  NOT NULL,
    won             bigint  NOT NULL,
    lost            bigint  NOT NULL,
    won_amount      numeric NOT NULL,
    won_cycle_us    numeric NOT NULL,
    PRIMARY KEY (organization_id, owner_id, day, currency)
);
-- Per UTC day and stage: entries (net of the entries they supersede, see above), ended stays and
-- the sum of their lengths in microseconds.
CREATE TABLE deal_stage_day_counts (
    organization_id uuid    NOT NULL,
    owner_id        uuid    NOT NULL,
    day             date    NOT NULL,
    stage           text    NOT NULL,
    entered         bigint  NOT NULL,
    exited          bigint  NOT NULL,
    stay_us         numeric NOT NULL,
    PRIMARY KEY (organization_id, owner_id, day, stage)
);

-- The ledger's indexes for the partial first day and the median, with the owner, read alone:
--  - the moves of the first day (entries and exits): the moves index now carries the owner;
--  - the entries whose superseded previous entry fell on the first day;
--  - the ended stays of a stage in the window, for the exact median.
-- The closes index served the old velocity statement only.
DROP INDEX deal_stage_history_org_moves_idx;
CREATE INDEX deal_stage_history_org_moves_idx ON deal_stage_history (organization_id, changed_at)
    INCLUDE (deal_id, from_stage, to_stage, stay_us, previous_entry_at, owner_id)
    WHERE from_stage IS DISTINCT FROM to_stage;
DROP INDEX deal_stage_history_org_closes_idx;
CREATE INDEX deal_stage_history_org_reentries_idx ON deal_stage_history (organization_id, previous_entry_at)
    INCLUDE (changed_at, to_stage, owner_id)
    WHERE previous_entry_at IS NOT NULL;
CREATE INDEX deal_stage_history_org_stays_idx ON deal_stage_history (organization_id, from_stage, changed_at)
    INCLUDE (stay_us, owner_id)
    WHERE from_stage <> to_stage;

-- A ledger row's owner is its deal's (COPY and direct inserts need not say it).
CREATE FUNCTION stage_history_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner_id IS NULL THEN
        SELECT d.owner_id INTO NEW.owner_id FROM deals d
        WHERE d.organization_id = NEW.organization_id AND d.id = NEW.deal_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER deal_stage_history_owner BEFORE INSERT ON deal_stage_history
    FOR EACH ROW EXECUTE FUNCTION stage_history_owner();

-- The ledger: recompute the latest won / lost of the deals whose closing rows changed (which
-- moves their velocity counts through deal_outcomes' triggers), then the stage counters of the
-- rows themselves, each row counting as described at the top. Every counter a row counts in is
-- created when the row is written, even where the statement's changes add up to zero there (an
-- entry and the one it supersedes on the same day): a later deletion only decrements, and must
-- find it.
CREATE FUNCTION count_stage_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE deal_outcomes o SET won_at = x.won_at, lost_at = x.lost_at
        FROM (SELECT c.organization_id, c.deal_id,
                     max(h.changed_at) FILTER (WHERE h.to_status = 'won' AND h.from_status IS DISTINCT FROM h.to_status) AS won_at,
                     max(h.changed_at) FILTER (WHERE h.to_status = 'lost' AND h.from_status IS DISTINCT FROM h.to_status) AS lost_at
              FROM (SELECT DISTINCT organization_id, deal_id FROM old_rows WHERE to_status IN ('won', 'lost')) c
              LEFT JOIN deal_stage_history h ON h.organization_id = c.organization_id AND h.deal_id = c.deal_id
              GROUP BY 1, 2 ORDER BY 1, 2) x
        WHERE o.organization_id = x.organization_id AND o.deal_id = x.deal_id
          AND (o.won_at IS DISTINCT FROM x.won_at OR o.lost_at IS DISTINCT FROM x.lost_at);
        UPDATE deal_stage_day_counts k SET entered = k.entered - d.entered, exited = k.exited - d.exited, stay_us = k.stay_us - d.stay_us
        FROM (SELECT organization_id, owner_id, day, stage, sum(entered) AS entered, sum(exited) AS exited, sum(stay_us) AS stay_us
              FROM (SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date AS day, to_stage AS stage, 1 AS entered, 0 AS exited, 0 AS stay_us
                    FROM old_rows WHERE from_stage IS DISTINCT FROM to_stage
                    UNION ALL
                    SELECT organization_id, owner_id, (previous_entry_at AT TIME ZONE 'UTC')::date, to_stage, -1, 0, 0
                    FROM old_rows WHERE from_stage IS DISTINCT FROM to_stage AND previous_entry_at IS NOT NULL
                    UNION ALL
                    SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date, from_stage, 0, 1, coalesce(stay_us, 0)
                    FROM old_rows WHERE from_stage <> to_stage) c
              GROUP BY 1, 2, 3, 4) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id AND k.day = d.day AND k.stage = d.stage;
    ELSE
        IF TG_OP = 'INSERT' THEN
            UPDATE deal_outcomes o SET won_at = greatest(o.won_at, x.won_at), lost_at = greatest(o.lost_at, x.lost_at)
            FROM (SELECT organization_id, deal_id,
                         max(changed_at) FILTER (WHERE to_status = 'won') AS won_at,
                         max(changed_at) FILTER (WHERE to_status = 'lost') AS lost_at
                  FROM new_rows WHERE to_status IN ('won', 'lost') AND from_status IS DISTINCT FROM to_status
                  GROUP BY 1, 2 ORDER BY 1, 2) x
            WHERE o.organization_id = x.organization_id AND o.deal_id = x.deal_id
              AND (o.won_at IS DISTINCT FROM greatest(o.won_at, x.won_at) OR o.lost_at IS DISTINCT FROM greatest(o.lost_at, x.lost_at));
        ELSE
            UPDATE deal_outcomes o SET won_at = x.won_at, lost_at = x.lost_at
            FROM (SELECT c.organization_id, c.deal_id,
                         max(h.changed_at) FILTER (WHERE h.to_status = 'won' AND h.from_status IS DISTINCT FROM h.to_status) AS won_at,
                         max(h.changed_at) FILTER (WHERE h.to_status = 'lost' AND h.from_status IS DISTINCT FROM h.to_status) AS lost_at
                  FROM (SELECT organization_id, deal_id FROM old_rows WHERE to_status IN ('won', 'lost')
                        UNION
                        SELECT organization_id, deal_id FROM new_rows WHERE to_status IN ('won', 'lost')) c
                  LEFT JOIN deal_stage_history h ON h.organization_id = c.organization_id AND h.deal_id = c.deal_id
                  GROUP BY 1, 2 ORDER BY 1, 2) x
            WHERE o.organization_id = x.organization_id AND o.deal_id = x.deal_id
              AND (o.won_at IS DISTINCT FROM x.won_at OR o.lost_at IS DISTINCT FROM x.lost_at);
        END IF;
        IF TG_OP = 'INSERT' THEN
            INSERT INTO deal_stage_day_counts AS k (organization_id, owner_id, day, stage, entered, exited, stay_us)
            SELECT organization_id, owner_id, day, stage, sum(entered), sum(exited), sum(stay_us)
            FROM (SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date AS day, to_stage AS stage, 1 AS entered, 0 AS exited, 0 AS stay_us
                  FROM new_rows WHERE from_stage IS DISTINCT FROM to_stage
                  UNION ALL
                  SELECT organization_id, owner_id, (previous_entry_at AT TIME ZONE 'UTC')::date, to_stage, -1, 0, 0
                  FROM new_rows WHERE from_stage IS DISTINCT FROM to_stage AND previous_entry_at IS NOT NULL
                  UNION ALL
                  SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date, from_stage, 0, 1, coalesce(stay_us, 0)
                  FROM new_rows WHERE from_stage <> to_stage) c
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (organization_id, owner_id, day, stage)
            DO UPDATE SET entered = k.entered + excluded.entered, exited = k.exited + excluded.exited, stay_us = k.stay_us + excluded.stay_us;
        ELSE
            -- What the old rows counted goes away, what the new ones count comes.
            INSERT INTO deal_stage_day_counts AS k (organization_id, owner_id, day, stage, entered, exited, stay_us)
            SELECT organization_id, owner_id, day, stage, sum(entered), sum(exited), sum(stay_us)
            FROM (SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date AS day, to_stage AS stage, 1 AS entered, 0 AS exited, 0 AS stay_us
                  FROM new_rows WHERE from_stage IS DISTINCT FROM to_stage
                  UNION ALL
                  SELECT organization_id, owner_id, (previous_entry_at AT TIME ZONE 'UTC')::date, to_stage, -1, 0, 0
                  FROM new_rows WHERE from_stage IS DISTINCT FROM to_stage AND previous_entry_at IS NOT NULL
                  UNION ALL
                  SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date, from_stage, 0, 1, coalesce(stay_us, 0)
                  FROM new_rows WHERE from_stage <> to_stage
                  UNION ALL
                  SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date AS day, to_stage AS stage, -1 AS entered, 0 AS exited, 0 AS stay_us
                  FROM old_rows WHERE from_stage IS DISTINCT FROM to_stage
                  UNION ALL
                  SELECT organization_id, owner_id, (previous_entry_at AT TIME ZONE 'UTC')::date, to_stage, 1, 0, 0
                  FROM old_rows WHERE from_stage IS DISTINCT FROM to_stage AND previous_entry_at IS NOT NULL
                  UNION ALL
                  SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date, from_stage, 0, -1, -coalesce(stay_us, 0)
                  FROM old_rows WHERE from_stage <> to_stage) c
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (organization_id, owner_id, day, stage)
            DO UPDATE SET entered = k.entered + excluded.entered, exited = k.exited + excluded.exited, stay_us = k.stay_us + excluded.stay_us;
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- deal_outcomes into the velocity counters: a deal counts opened on its creation's day, won on its
-- latest change to won's day (with its amount and cycle), lost on its latest change to lost's day.
CREATE FUNCTION count_deal_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE deal_velocity_day_counts k SET opened = k.opened - d.opened, won = k.won - d.won, lost = k.lost - d.lost,
                                              won_amount = k.won_amount - d.won_amount, won_cycle_us = k.won_cycle_us - d.won_cycle_us
        FROM (SELECT organization_id, owner_id, day, currency, sum(opened) AS opened, sum(won) AS won, sum(lost) AS lost,
                     sum(won_amount) AS won_amount, sum(won_cycle_us) AS won_cycle_us
              FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
                           1 AS opened, 0 AS won, 0 AS lost, 0::numeric AS won_amount, 0::numeric AS won_cycle_us
                    FROM old_rows
                    UNION ALL
                    SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency,
                           0, 1, 0, amount, extract(epoch FROM won_at - created_at) * 1000000
                    FROM old_rows WHERE won_at IS NOT NULL
                    UNION ALL
                    SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 1, 0, 0
                    FROM old_rows WHERE lost_at IS NOT NULL) c
              GROUP BY 1, 2, 3, 4) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id AND k.day = d.day AND k.currency = d.currency;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO deal_velocity_day_counts AS k (organization_id, owner_id, day, currency, opened, won, lost, won_amount, won_cycle_us)
        SELECT organization_id, owner_id, day, currency, sum(opened), sum(won), sum(lost), sum(won_amount), sum(won_cycle_us)
        FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
                     1 AS opened, 0 AS won, 0 AS lost, 0::numeric AS won_amount, 0::numeric AS won_cycle_us
              FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency,
                     0, 1, 0, amount, extract(epoch FROM won_at - created_at) * 1000000
              FROM new_rows WHERE won_at IS NOT NULL
              UNION ALL
              SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 1, 0, 0
              FROM new_rows WHERE lost_at IS NOT NULL) c
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (organization_id, owner_id, day, currency)
        DO UPDATE SET opened = k.opened + excluded.opened, won = k.won + excluded.won, lost = k.lost + excluded.lost,
                      won_amount = k.won_amount + excluded.won_amount, won_cycle_us = k.won_cycle_us + excluded.won_cycle_us;
    ELSE
        INSERT INTO deal_velocity_day_counts AS k (organization_id, owner_id, day, currency, opened, won, lost, won_amount, won_cycle_us)
        SELECT organization_id, owner_id, day, currency, sum(opened), sum(won), sum(lost), sum(won_amount), sum(won_cycle_us)
        FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
                     1 AS opened, 0 AS won, 0 AS lost, 0::numeric AS won_amount, 0::numeric AS won_cycle_us
              FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency,
                     0, 1, 0, amount, extract(epoch FROM won_at - created_at) * 1000000
              FROM new_rows WHERE won_at IS NOT NULL
              UNION ALL
              SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 1, 0, 0
              FROM new_rows WHERE lost_at IS NOT NULL
              UNION ALL
              SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date, currency, -1, 0, 0, 0, 0
              FROM old_rows
              UNION ALL
              SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency,
                     0, -1, 0, -amount, -(extract(epoch FROM won_at - created_at) * 1000000)
              FROM old_rows WHERE won_at IS NOT NULL
              UNION ALL
              SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, -1, 0, 0
              FROM old_rows WHERE lost_at IS NOT NULL) c
        GROUP BY 1, 2, 3, 4
        HAVING sum(opened) <> 0 OR sum(won) <> 0 OR sum(lost) <> 0 OR sum(won_amount) <> 0 OR sum(won_cycle_us) <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (organization_id, owner_id, day, currency)
        DO UPDATE SET opened = k.opened + excluded.opened, won = k.won + excluded.won, lost = k.lost + excluded.lost,
                      won_amount = k.won_amount + excluded.won_amount, won_cycle_us = k.won_cycle_us + excluded.won_cycle_us;
    END IF;
    RETURN NULL;
END $$;

-- The deals into deal_outcomes and the ledger's owner. On an update, deal_outcomes first (the
-- velocity counters), then the ledger's owner (the stage counters), the order of the top. A deal's
-- ledger rows and its deal_outcomes row are written under the deal's row lock, which the statement
-- that fires this holds.
CREATE FUNCTION sync_deal_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM deal_outcomes o USING old_rows d WHERE o.organization_id = d.organization_id AND o.deal_id = d.id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO deal_outcomes (organization_id, deal_id, owner_id, currency, amount, created_at)
        SELECT organization_id, id, owner_id, currency, amount, created_at FROM new_rows ORDER BY 1, 2;
    ELSE
        UPDATE deal_outcomes o SET owner_id = d.owner_id, currency = d.currency, amount = d.amount, created_at = d.created_at
        FROM new_rows d
        WHERE o.organization_id = d.organization_id AND o.deal_id = d.id
          AND (o.owner_id, o.currency, o.amount, o.created_at) IS DISTINCT FROM (d.owner_id, d.currency, d.amount, d.created_at);
        UPDATE deal_stage_history h SET owner_id = d.owner_id
        FROM new_rows d
        WHERE h.organization_id = d.organization_id AND h.deal_id = d.id AND h.owner_id <> d.owner_id;
    END IF;
    RETURN NULL;
END $$;

-- The counters of a deleted organization (its records' triggers leave them at zero or find none).
CREATE FUNCTION forget_organization_sales_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM deal_velocity_day_counts k USING old_rows o WHERE k.organization_id = o.id;
    DELETE FROM deal_stage_day_counts k USING old_rows o WHERE k.organization_id = o.id;
    DELETE FROM deal_outcomes k USING old_rows o WHERE k.organization_id = o.id;
    RETURN NULL;
END $$;

-- What exists already (before the triggers, which would count it twice).
INSERT INTO deal_outcomes (organization_id, deal_id, owner_id, currency, amount, created_at, won_at, lost_at)
SELECT d.organization_id, d.id, d.owner_id, d.currency, d.amount, d.created_at, h.won_at, h.lost_at
FROM deals d
LEFT JOIN (SELECT organization_id, deal_id,
                  max(changed_at) FILTER (WHERE to_status = 'won') AS won_at,
                  max(changed_at) FILTER (WHERE to_status = 'lost') AS lost_at
           FROM deal_stage_history
           WHERE to_status IN ('won', 'lost') AND from_status IS DISTINCT FROM to_status
           GROUP BY 1, 2) h ON h.organization_id = d.organization_id AND h.deal_id = d.id;
INSERT INTO deal_velocity_day_counts (organization_id, owner_id, day, currency, opened, won, lost, won_amount, won_cycle_us)
SELECT organization_id, owner_id, day, currency, sum(opened), sum(won), sum(lost), sum(won_amount), sum(won_cycle_us)
FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, currency,
             1 AS opened, 0 AS won, 0 AS lost, 0::numeric AS won_amount, 0::numeric AS won_cycle_us
      FROM deal_outcomes
      UNION ALL
      SELECT organization_id, owner_id, (won_at AT TIME ZONE 'UTC')::date, currency,
             0, 1, 0, amount, extract(epoch FROM won_at - created_at) * 1000000
      FROM deal_outcomes WHERE won_at IS NOT NULL
      UNION ALL
      SELECT organization_id, owner_id, (lost_at AT TIME ZONE 'UTC')::date, currency, 0, 0, 1, 0, 0
      FROM deal_outcomes WHERE lost_at IS NOT NULL) c
GROUP BY 1, 2, 3, 4;
INSERT INTO deal_stage_day_counts (organization_id, owner_id, day, stage, entered, exited, stay_us)
SELECT organization_id, owner_id, day, stage, sum(entered), sum(exited), sum(stay_us)
FROM (SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date AS day, to_stage AS stage, 1 AS entered, 0 AS exited, 0 AS stay_us
      FROM deal_stage_history WHERE from_stage IS DISTINCT FROM to_stage
      UNION ALL
      SELECT organization_id, owner_id, (previous_entry_at AT TIME ZONE 'UTC')::date, to_stage, -1, 0, 0
      FROM deal_stage_history WHERE from_stage IS DISTINCT FROM to_stage AND previous_entry_at IS NOT NULL
      UNION ALL
      SELECT organization_id, owner_id, (changed_at AT TIME ZONE 'UTC')::date, from_stage, 0, 1, coalesce(stay_us, 0)
      FROM deal_stage_history WHERE from_stage <> to_stage) c
GROUP BY 1, 2, 3, 4;

CREATE TRIGGER deal_stage_history_count_insert AFTER INSERT ON deal_stage_history REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_stage_history();
CREATE TRIGGER deal_stage_history_count_update AFTER UPDATE ON deal_stage_history REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_stage_history();
CREATE TRIGGER deal_stage_history_count_delete AFTER DELETE ON deal_stage_history REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_stage_history();
CREATE TRIGGER deal_outcomes_count_insert AFTER INSERT ON deal_outcomes REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deal_outcomes();
CREATE TRIGGER deal_outcomes_count_update AFTER UPDATE ON deal_outcomes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deal_outcomes();
CREATE TRIGGER deal_outcomes_count_delete AFTER DELETE ON deal_outcomes REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deal_outcomes();
CREATE TRIGGER deals_window_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_deal_outcomes();
CREATE TRIGGER deals_window_update AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_deal_outcomes();
CREATE TRIGGER deals_window_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sync_deal_outcomes();
CREATE TRIGGER organizations_sales_counts_cleanup AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_organization_sales_counts();
