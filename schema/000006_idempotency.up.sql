-- Issue 10: idempotency keys (Idempotency-Key on every authenticated POST under /api/v1). A key
-- belongs to the caller (user_id) in an organization (organization_id; the nil UUID for routes that
-- act in none, e.g. creating an organization). A row is a stored answer: it is inserted in the same
-- transaction as the request's effect, so an answer is stored exactly when the effect committed.
-- A request that is running has no row: it holds the key's transaction-level advisory lock (see
-- queries/idempotency.sql), which PostgreSQL releases when its transaction ends, however it ends
-- (commit, rollback, a dead process or connection).
--
-- No foreign keys: a key is a short-lived record of an answer (kept 24 hours, then deleted by the
-- clean-up), and it must not hold locks on users or organizations while a request runs.
CREATE TABLE idempotency_keys (
    organization_id  uuid        NOT NULL,
    user_id          uuid        NOT NULL,
    key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- What the key was first used for: the same key with another method, path or body is refused.
    method           text        NOT NULL,
    path             text        NOT NULL,
    body_sha256      bytea       NOT NULL,
    -- The stored answer.
    status           smallint    NOT NULL,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
