-- Issue 10: idempotency keys (Idempotency-Key on every authenticated POST under /api/v1). A key
-- belongs to the caller (user_id) in an organization (organization_id; the nil UUID for routes that
-- act in none, e.g. creating an organization). The row is claimed in a statement of its own before
-- the request runs (status NULL: running), and the request's answer is written into it in the same
-- transaction as the request's effect, so an answer is stored exactly when the effect committed.
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
    -- The attempt holding the key: only it may store its answer or release the key.
    claim            uuid        NOT NULL,
    -- When that attempt began; a running claim older than the longest request is abandoned (its
    -- process died) and may be taken over.
    locked_at        timestamptz NOT NULL,
    -- The stored answer; status is NULL while the first request is still running.
    status           smallint,
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
