-- Idempotency keys (schema/000006): claimed before a request runs, answered in the request's own
-- transaction, deleted by the clean-up once expired.

-- name: ClaimIdempotencyKey :one
-- Claims the key for a new attempt, in a statement of its own: a new key, one past its expiry, or
-- one whose running attempt was abandoned (began before abandoned_before). No row: the key is held
-- by an attempt that is running or has answered; GetIdempotencyKey says which.
INSERT INTO idempotency_keys AS k (
    organization_id, user_id, key, method, path, body_sha256, claim, locked_at, created_at, expires_at
) VALUES (
    @organization_id, @user_id, @key, @method, @path, @body_sha256, @claim, @now, @now, @expires_at
)
ON CONFLICT (organization_id, user_id, key) DO UPDATE
SET method = excluded.method, path = excluded.path, body_sha256 = excluded.body_sha256,
    claim = excluded.claim, locked_at = excluded.locked_at, status = NULL,
    response_headers = NULL, response_body = NULL, created_at = excluded.created_at,
    expires_at = excluded.expires_at
WHERE k.expires_at <= excluded.created_at OR (k.status IS NULL AND k.locked_at < @abandoned_before)
RETURNING k.claim;

-- name: GetIdempotencyKey :one
SELECT method, path, body_sha256, status, response_headers, response_body
FROM idempotency_keys
WHERE organization_id = @organization_id AND user_id = @user_id AND key = @key;

-- name: CompleteIdempotencyKey :execrows
-- Stores the answer of the attempt that holds the claim; run it in the transaction of the request's
-- effect. No row: the claim was taken over meanwhile, and the transaction must not commit.
UPDATE idempotency_keys
SET status = @status, response_headers = @response_headers, response_body = @response_body
WHERE organization_id = @organization_id AND user_id = @user_id AND key = @key
  AND claim = @claim AND status IS NULL;

-- name: ReleaseIdempotencyKey :execrows
-- Gives the key up after an attempt that stored nothing (its transaction rolled back), so that a
-- retry runs. An answer that did commit is never deleted here.
DELETE FROM idempotency_keys
WHERE organization_id = @organization_id AND user_id = @user_id AND key = @key
  AND claim = @claim AND status IS NULL;

-- name: DeleteExpiredIdempotencyKeys :execrows
-- The clean-up: keys past their expiry, in batches.
DELETE FROM idempotency_keys
WHERE (organization_id, user_id, key) IN (
    SELECT k.organization_id, k.user_id, k.key FROM idempotency_keys k
    WHERE k.expires_at < @now
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
);
