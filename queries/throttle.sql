-- name: LoginLocks :one
-- The (account, address) lock and the address lock still running at @now (NULL when none), and
-- whether the pair has a counter at all (a successful login has one to clear only then).
SELECT
    (SELECT t.locked_until FROM login_throttle t
     WHERE t.email = @email AND t.address = @address AND t.locked_until > @now::timestamptz) AS pair_locked_until,
    EXISTS (SELECT 1 FROM login_throttle t WHERE t.email = @email AND t.address = @address) AS pair_counted,
    (SELECT a.locked_until FROM login_address_throttle a
     WHERE a.address = @address AND a.locked_until > @now::timestamptz) AS address_locked_until;

-- name: RecordLoginFailure :exec
-- One failed login, counted against its (account, address) pair and its address in one statement
-- (login_throttle_next does the arithmetic, once per row): each row is locked only while the
-- statement runs. The next login's LoginLocks reads the locks it set.
WITH p AS (
    SELECT @now::timestamptz AS now, @win::interval AS win, @lock_base::interval AS lock_base,
           @lock_max::interval AS lock_max, @pair_max_failures::integer AS pair_max,
           @address_max_failures::integer AS address_max
), pair AS (
    INSERT INTO login_throttle AS t (email, address, failures, window_start, locked_until, expires_at)
    SELECT @email, @address, n.next_failures, n.next_window_start, n.next_locked_until, n.next_expires_at
    FROM p, login_throttle_next(0, NULL, p.now, p.win, p.pair_max, p.lock_base, p.lock_max) n
    ON CONFLICT (email, address) DO UPDATE
    SET (failures, window_start, locked_until, expires_at) = (
        SELECT n.next_failures, n.next_window_start, n.next_locked_until, n.next_expires_at
        FROM p, login_throttle_next(t.failures, t.window_start, p.now, p.win, p.pair_max, p.lock_base, p.lock_max) n)
)
INSERT INTO login_address_throttle AS a (address, failures, window_start, locked_until, expires_at)
SELECT @address, n.next_failures, n.next_window_start, n.next_locked_until, n.next_expires_at
FROM p, login_throttle_next(0, NULL, p.now, p.win, p.address_max, p.lock_base, p.lock_max) n
ON CONFLICT (address) DO UPDATE
SET (failures, window_start, locked_until, expires_at) = (
    SELECT n.next_failures, n.next_window_start, n.next_locked_until, n.next_expires_at
    FROM p, login_throttle_next(a.failures, a.window_start, p.now, p.win, p.address_max, p.lock_base, p.lock_max) n);

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
