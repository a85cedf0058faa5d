-- Issues 9 and 13: a list reads only the rows of the page it returns, in an index that matches its
-- order, whatever the size of the organization.
--  - one index per allowed sort (organization_id first, then the sort key, then id: the keyset);
--  - trigram indexes for `search` (a substring match no btree can serve);
--  - exact totals kept by triggers in small counter tables, so that a page's total is a sum over a
--    handful of rows instead of a count over the organization.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- btree_gist lets a GiST index lead with organization_id (uuid equality) before the trigram
-- columns. GiST rather than GIN: PostgreSQL 15 costs such a GIN index as if it held every
-- organization's rows and never picks it (measured by internal/listplans).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A member's own records (owner_id) are listed in every order too, hence the owner indexes; they
-- replace the plain (organization_id, owner_id) ones.
CREATE INDEX contacts_org_name_idx ON contacts (organization_id, lower(name), id);
CREATE INDEX contacts_org_owner_created_idx ON contacts (organization_id, owner_id, created_at, id);
CREATE INDEX contacts_org_owner_name_idx ON contacts (organization_id, owner_id, lower(name), id);
DROP INDEX contacts_org_owner_idx;
CREATE INDEX contacts_search_idx ON contacts
    USING gist (organization_id, name gist_trgm_ops, email gist_trgm_ops, phone gist_trgm_ops);

CREATE INDEX deals_org_title_idx ON deals (organization_id, lower(title), id);
CREATE INDEX deals_org_amount_idx ON deals (organization_id, amount, id);
CREATE INDEX deals_org_updated_idx ON deals (organization_id, updated_at, id);
CREATE INDEX deals_org_owner_created_idx ON deals (organization_id, owner_id, created_at, id);
CREATE INDEX deals_org_owner_updated_idx ON deals (organization_id, owner_id, updated_at, id);
CREATE INDEX deals_org_owner_amount_idx ON deals (organization_id, owner_id, amount, id);
CREATE INDEX deals_org_owner_title_idx ON deals (organization_id, owner_id, lower(title), id);
DROP INDEX deals_org_owner_idx;
CREATE INDEX deals_search_idx ON deals USING gist (organization_id, title gist_trgm_ops);

-- Tasks are listed by due date with the undated last: coalescing to 'infinity' gives that order a
-- key without NULLs, which a keyset cursor can compare.
DROP INDEX tasks_org_due_idx;
CREATE INDEX tasks_org_due_idx ON tasks (organization_id, coalesce(due_date, 'infinity'::date), id);
CREATE INDEX tasks_org_owner_due_idx ON tasks (organization_id, owner_id, coalesce(due_date, 'infinity'::date), id);
DROP INDEX tasks_org_owner_idx;

-- A deal's timeline of one type.
CREATE INDEX activities_org_deal_type_created_idx ON activities (organization_id, deal_id, type, created_at DESC, id DESC);

CREATE INDEX organization_members_org_created_idx ON organization_members (organization_id, created_at, user_id);

-- Counters: one row per combination of the filters a list can answer from them. No foreign key to
-- organizations: deleting an organization cascades into its records, whose triggers then only
-- decrement these rows, and organizations_counts_cleanup removes them. A counter may stay at 0.
CREATE TABLE contact_counts (
    organization_id uuid   NOT NULL,
    owner_id        uuid   NOT NULL,
    n               bigint NOT NULL,
    PRIMARY KEY (organization_id, owner_id)
);
CREATE TABLE deal_counts (
    organization_id uuid    NOT NULL,
    owner_id        uuid    NOT NULL,
    status          text    NOT NULL,
    stage           text    NOT NULL,
    currency        char(3) NOT NULL,
    n               bigint  NOT NULL,
    amount          numeric NOT NULL, -- the sum of the deals' amounts
    PRIMARY KEY (organization_id, owner_id, status, stage, currency)
);
-- Deals created per (UTC) day, so that "new deals in the last N days" is a sum over days plus a
-- count of the first, partial day's deals, however many deals an organization created at once.
CREATE TABLE deal_day_counts (
    organization_id uuid   NOT NULL,
    owner_id        uuid   NOT NULL,
    day             date   NOT NULL,
    n               bigint NOT NULL,
    PRIMARY KEY (organization_id, owner_id, day)
);
CREATE TABLE task_counts (
    organization_id uuid    NOT NULL,
    owner_id        uuid    NOT NULL,
    is_done         boolean NOT NULL,
    n               bigint  NOT NULL,
    PRIMARY KEY (organization_id, owner_id, is_done)
);

-- Statement-level triggers with transition tables: a COPY or a cascade of 20,000 rows updates each
-- counter once. Rows are added in key order, so two transactions lock counters in the same order
-- and cannot deadlock on them. A deletion only decrements (it never inserts: the organization may
-- be going away in the same statement).
CREATE FUNCTION count_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE contact_counts k SET n = k.n - d.n
        FROM (SELECT organization_id, owner_id, count(*) AS n FROM old_rows GROUP BY 1, 2) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO contact_counts AS k (organization_id, owner_id, n)
        SELECT organization_id, owner_id, count(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (organization_id, owner_id) DO UPDATE SET n = k.n + excluded.n;
    ELSE
        INSERT INTO contact_counts AS k (organization_id, owner_id, n)
        SELECT organization_id, owner_id, sum(delta)
        FROM (SELECT organization_id, owner_id, 1 AS delta FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, -1 FROM old_rows) x
        GROUP BY 1, 2 HAVING sum(delta) <> 0 ORDER BY 1, 2
        ON CONFLICT (organization_id, owner_id) DO UPDATE SET n = k.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;
-- deal_counts also keeps the sum of the amounts, so that the deal summary and the funnel are read
-- from it instead of from every deal of the organization.
CREATE FUNCTION count_deals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE deal_counts k SET n = k.n - d.n, amount = k.amount - d.amount
        FROM (SELECT organization_id, owner_id, status, stage, currency, count(*) AS n, sum(amount) AS amount
              FROM old_rows GROUP BY 1, 2, 3, 4, 5) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id AND k.status = d.status
          AND k.stage = d.stage AND k.currency = d.currency;
        UPDATE deal_day_counts k SET n = k.n - d.n
        FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
              FROM old_rows GROUP BY 1, 2, 3) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id AND k.day = d.day;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO deal_counts AS k (organization_id, owner_id, status, stage, currency, n, amount)
        SELECT organization_id, owner_id, status, stage, currency, count(*), sum(amount)
        FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (organization_id, owner_id, status, stage, currency)
        DO UPDATE SET n = k.n + excluded.n, amount = k.amount + excluded.amount;
        INSERT INTO deal_day_counts AS k (organization_id, owner_id, day, n)
        SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date, count(*)
        FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, owner_id, day) DO UPDATE SET n = k.n + excluded.n;
    ELSE
        INSERT INTO deal_counts AS k (organization_id, owner_id, status, stage, currency, n, amount)
        SELECT organization_id, owner_id, status, stage, currency, sum(n), sum(amount)
        FROM (SELECT organization_id, owner_id, status, stage, currency, 1 AS n, amount FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, status, stage, currency, -1, -amount FROM old_rows) x
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(amount) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (organization_id, owner_id, status, stage, currency)
        DO UPDATE SET n = k.n + excluded.n, amount = k.amount + excluded.amount;
        -- created_at never changes; an owner may.
        INSERT INTO deal_day_counts AS k (organization_id, owner_id, day, n)
        SELECT organization_id, owner_id, day, sum(n)
        FROM (SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date AS day, 1 AS n FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date, -1 FROM old_rows) x
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, owner_id, day) DO UPDATE SET n = k.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION count_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE task_counts k SET n = k.n - d.n
        FROM (SELECT organization_id, owner_id, is_done, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) d
        WHERE k.organization_id = d.organization_id AND k.owner_id = d.owner_id AND k.is_done = d.is_done;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts AS k (organization_id, owner_id, is_done, n)
        SELECT organization_id, owner_id, is_done, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, owner_id, is_done) DO UPDATE SET n = k.n + excluded.n;
    ELSE
        INSERT INTO task_counts AS k (organization_id, owner_id, is_done, n)
        SELECT organization_id, owner_id, is_done, sum(delta)
        FROM (SELECT organization_id, owner_id, is_done, 1 AS delta FROM new_rows
              UNION ALL
              SELECT organization_id, owner_id, is_done, -1 FROM old_rows) x
        GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (organization_id, owner_id, is_done) DO UPDATE SET n = k.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_contacts();
CREATE TRIGGER contacts_count_update AFTER UPDATE ON contacts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_contacts();
CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_contacts();
CREATE TRIGGER deals_count_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deals();
CREATE TRIGGER deals_count_update AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deals();
CREATE TRIGGER deals_count_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_deals();
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_tasks();
CREATE TRIGGER tasks_count_update AFTER UPDATE ON tasks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_tasks();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_tasks();

-- The counters of a deleted organization (its records' triggers left them at zero).
CREATE FUNCTION forget_organization_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_counts k USING old_rows o WHERE k.organization_id = o.id;
    DELETE FROM deal_counts k USING old_rows o WHERE k.organization_id = o.id;
    DELETE FROM deal_day_counts k USING old_rows o WHERE k.organization_id = o.id;
    DELETE FROM task_counts k USING old_rows o WHERE k.organization_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_counts_cleanup AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_organization_counts();

-- The counts of what exists already.
INSERT INTO contact_counts SELECT organization_id, owner_id, count(*) FROM contacts GROUP BY 1, 2;
INSERT INTO deal_counts SELECT organization_id, owner_id, status, stage, currency, count(*), sum(amount) FROM deals GROUP BY 1, 2, 3, 4, 5;
INSERT INTO deal_day_counts SELECT organization_id, owner_id, (created_at AT TIME ZONE 'UTC')::date, count(*) FROM deals GROUP BY 1, 2, 3;
INSERT INTO task_counts SELECT organization_id, owner_id, is_done, count(*) FROM tasks GROUP BY 1, 2, 3;
