-- Idempotency keys (schema/000006): a running request holds its key's advisory lock in its own
-- transaction, and stores its answer in that transaction; the clean-up deletes expired answers.

-- name: TryLockIdempotencyKey :one
-- Takes the key's lock for the rest of the transaction, without waiting; false: another attempt
-- holds it (is running). PostgreSQL releases the lock when the transaction ends, however it ends.
-- The lock is a 64-bit hash of the scope (the UUIDs' text is of fixed length, so the key needs no
-- separator); two scopes that collide (odds of 2^-64) only answer 409 to each other while one runs.
SELECT pg_try_advisory_xact_lock(hashtextextended(
    CAST(@organization_id::uuid AS text) || CAST(@user_id::uuid AS text) || @key::text, 1010));

-- name: GetIdempotencyKey :one
-- The key's stored answer, unless it has expired (the key is then used anew).
SELECT method, path, body_sha256, status, response_headers, response_body
FROM idempotency_keys
WHERE organization_id = @organization_id AND user_id = @user_id AND key = @key AND expires_at > @now;

-- name: StoreIdempotencyKey :execrows
-- Stores an attempt's answer; run it in the transaction that holds the key's lock (that of the
-- request's effect). An expired answer is replaced. No row: the key has a live answer already,
-- which the lock rules out, and the transaction must not commit.
INSERT INTO idempotency_keys AS k (
    organization_id, user_id, key, method, path, body_sha256, status, response_headers,
    response_body, created_at, expires_at
) VALUES (
    @organization_id, @user_id, @key, @method, @path, @body_sha256, @status, @response_headers,
    @response_body, @created_at, @expires_at
)
ON CONFLICT (organization_id, user_id, key) DO UPDATE
SET method = excluded.method, path = excluded.path, body_sha256 = excluded.body_sha256,
    status = excluded.status, response_headers = excluded.response_headers,
    response_body = excluded.response_body, created_at = excluded.created_at,
    expires_at = excluded.expires_at
WHERE k.expires_at <= excluded.created_at;

-- name: DeleteExpiredIdempotencyKeys :execrows
-- The clean-up: keys past their expiry, in batches.
DELETE FROM idempotency_keys
WHERE (organization_id, user_id, key) IN (
    SELECT k.organization_id, k.user_id, k.key FROM idempotency_keys k
    WHERE k.expires_at < @now
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
);
