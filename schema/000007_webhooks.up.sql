-- Issue 10: webhooks. An organization's owners and admins subscribe endpoints to its events; a
-- change records its event and one delivery per matching active endpoint in the change's own
-- transaction, and River (its own schema, applied beside these migrations) works the deliveries.
-- Every table is tenant-owned: organization_id leads every key, index and foreign key.

CREATE TABLE webhook_endpoints (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    url             text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    -- Event types, or '*' for all of them.
    events          text[]      NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 20),
    description     text        CHECK (length(description) <= 500),
    -- The Standard Webhooks signing secret (whsec_...); answered once, at creation.
    secret          text        NOT NULL,
    active          boolean     NOT NULL DEFAULT true,
    -- Since when every attempt to the endpoint has failed (NULL: the last one succeeded, or none
    -- failed since it was activated); three days of it make the endpoint inactive.
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX webhook_endpoints_org_created_idx ON webhook_endpoints (organization_id, created_at, id);

-- An event as it is sent: the body is kept byte for byte (json, not jsonb), so that every retry
-- and redelivery sends, and signs, the same body.
CREATE TABLE webhook_events (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    type            text        NOT NULL,
    body            json        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE webhook_deliveries (
    organization_id  uuid        NOT NULL,
    id               uuid        NOT NULL,
    endpoint_id      uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (organization_id, id),
    CONSTRAINT webhook_deliveries_endpoint_fkey FOREIGN KEY (organization_id, endpoint_id)
        REFERENCES webhook_endpoints (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_event_fkey FOREIGN KEY (organization_id, event_id)
        REFERENCES webhook_events (organization_id, id) ON DELETE CASCADE
);
-- The deliveries list of an endpoint, newest first.
CREATE INDEX webhook_deliveries_org_endpoint_idx ON webhook_deliveries (organization_id, endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_org_event_idx ON webhook_deliveries (organization_id, event_id);
