-- The CRM core. Every table is tenant-owned: organization_id leads the primary key, every index,
-- and every foreign key between tenant tables, so a row can never point into another organization.
-- owner_id and author_id reference the global users table: a member who leaves keeps their records
-- until someone reassigns them.

CREATE TABLE contacts (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    owner_id        uuid        NOT NULL REFERENCES users (id),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email           text        CHECK (length(email) BETWEEN 3 AND 254),
    phone           text        CHECK (length(phone) BETWEEN 1 AND 50),
    company         text        CHECK (length(company) BETWEEN 1 AND 200),
    notes           text        CHECK (length(notes) <= 5000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX contacts_org_email_key ON contacts (organization_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX contacts_org_created_idx ON contacts (organization_id, created_at, id);
CREATE INDEX contacts_org_owner_idx ON contacts (organization_id, owner_id);

CREATE TABLE deals (
    organization_id uuid          NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid          NOT NULL,
    contact_id      uuid          NOT NULL,
    owner_id        uuid          NOT NULL REFERENCES users (id),
    title           text          NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    amount          numeric(14,2) NOT NULL DEFAULT 0 CHECK (amount >= 0),
    currency        char(3)       NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status          text          NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'won', 'lost')),
    stage           text          NOT NULL DEFAULT 'qualification'
                                  CHECK (stage IN ('qualification', 'proposal', 'negotiation', 'closed')),
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    -- NO ACTION (not RESTRICT) so that deleting the organization cascades through both tables in
    -- one statement, while deleting a contact that still has deals fails even under a race.
    CONSTRAINT deals_contact_fkey FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id),
    CONSTRAINT deals_won_amount_check CHECK (status <> 'won' OR amount > 0)
);
CREATE INDEX deals_org_created_idx ON deals (organization_id, created_at, id);
CREATE INDEX deals_org_contact_idx ON deals (organization_id, contact_id);
CREATE INDEX deals_org_owner_idx ON deals (organization_id, owner_id);
CREATE INDEX deals_org_stage_status_idx ON deals (organization_id, stage, status);

CREATE TABLE tasks (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    deal_id         uuid        NOT NULL,
    owner_id        uuid        NOT NULL REFERENCES users (id),
    title           text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     text        CHECK (length(description) <= 5000),
    due_date        date,
    is_done         boolean     NOT NULL DEFAULT false,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    CONSTRAINT tasks_deal_fkey FOREIGN KEY (organization_id, deal_id) REFERENCES deals (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX tasks_org_due_idx ON tasks (organization_id, due_date, id);
CREATE INDEX tasks_org_deal_idx ON tasks (organization_id, deal_id);
CREATE INDEX tasks_org_owner_idx ON tasks (organization_id, owner_id);

CREATE TABLE activities (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    deal_id         uuid        NOT NULL,
    author_id       uuid        REFERENCES users (id),
    type            text        NOT NULL CHECK (type IN ('comment', 'deal_created', 'status_changed', 'stage_changed',
                                                         'deal_updated', 'task_created', 'task_completed', 'system')),
    payload         jsonb       NOT NULL DEFAULT '{}',
    -- clock_timestamp: several events written by one transaction still get their own, ordered times.
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organization_id, id),
    CONSTRAINT activities_deal_fkey FOREIGN KEY (organization_id, deal_id) REFERENCES deals (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX activities_org_deal_created_idx ON activities (organization_id, deal_id, created_at DESC, id DESC);
