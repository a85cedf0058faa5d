-- name: LoginLocks :one
-- The (account, address) lock and the address lock still running at @now (NULL when none).
SELECT
    (SELECT t.locked_until FROM login_throttle t
     WHERE t.email = @email AND t.address = @address AND t.locked_until > @now::timestamptz) AS pair_locked_until,
    (SELECT a.locked_until FROM login_address_throttle a
     WHERE a.address = @address AND a.locked_until > @now::timestamptz) AS address_locked_until;

-- name: LockLoginThrottle :one
-- The (account, address) counter, created empty when missing, locked for the rest of the
-- transaction so that concurrent failures are counted one after the other.
INSERT INTO login_throttle (email, address, failures, window_start, expires_at)
VALUES (@email, @address, 0, @now, @now)
ON CONFLICT (email, address) DO UPDATE SET failures = login_throttle.failures
RETURNING failures, window_start, locked_until;

-- name: SaveLoginThrottle :exec
UPDATE login_throttle
SET failures = @failures, window_start = @window_start, locked_until = sqlc.narg(locked_until),
    expires_at = @expires_at
WHERE email = @email AND address = @address;

-- name: LockLoginAddressThrottle :one
-- The per-address counter, as LockLoginThrottle.
INSERT INTO login_address_throttle (address, failures, window_start, expires_at)
VALUES (@address, 0, @now, @now)
ON CONFLICT (address) DO UPDATE SET failures = login_address_throttle.failures
RETURNING failures, window_start, locked_until;

-- name: SaveLoginAddressThrottle :exec
UPDATE login_address_throttle
SET failures = @failures, window_start = @window_start, locked_until = sqlc.narg(locked_until),
    expires_at = @expires_at
WHERE address = @address;

-- name: ClearLoginFailures :exec
-- A successful login clears its (account, address) counter; the address counter stays.
DELETE FROM login_throttle WHERE email = @email AND address = @address;

-- name: DeleteExpiredLoginThrottles :execrows
DELETE FROM login_throttle
WHERE (email, address) IN (
    SELECT t.email, t.address FROM login_throttle t
    WHERE t.expires_at < @now
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
);

-- name: DeleteExpiredLoginAddressThrottles :execrows
DELETE FROM login_address_throttle
WHERE address IN (
    SELECT a.address FROM login_address_throttle a
    WHERE a.expires_at < @now
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
);

-- name: TryCleanUpLock :one
-- The clean-up runs on one replica at a time: the lock is held until the transaction ends.
SELECT pg_try_advisory_xact_lock(@key::bigint);
