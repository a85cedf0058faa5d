-- Issue 8: login failures are counted per (account, client address) and, separately, per client
-- address across all accounts; sessions and throttle rows are deleted by a periodic clean-up.

-- Throttle rows are short-lived counters: the per-account rows of 000003 are dropped, not
-- carried over (an account lock would otherwise survive under a meaningless address).
DELETE FROM login_throttle;
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_pkey;
-- address is the throttle key of the client address: an IPv4 address, or the /64 of an IPv6 one.
ALTER TABLE login_throttle ADD COLUMN address text NOT NULL;
-- expires_at: from then on the row has no effect (its window and any lock are over); the clean-up
-- deletes it.
ALTER TABLE login_throttle ADD COLUMN expires_at timestamptz NOT NULL;
ALTER TABLE login_throttle ADD PRIMARY KEY (email, address);
CREATE INDEX login_throttle_expires_idx ON login_throttle (expires_at);

-- Failed logins per client address across all accounts (credential stuffing).
CREATE TABLE login_address_throttle (
    address      text        PRIMARY KEY,
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX login_address_throttle_expires_idx ON login_address_throttle (expires_at);

-- One more failed login at "at" on a throttle record: the arithmetic of ThrottlePolicy.Next in
-- internal/auth/throttle.go (a window of "win" from the first failure; from max_failures failures
-- on, a lock of lock_base doubling per further failure up to lock_max; expires_at: when window and
-- lock are both over). The upserts of queries/throttle.sql use it so that a failure is counted in
-- one statement: the counter's row, hot under credential stuffing, is locked only while the
-- statement runs. TestThrottle_DatabaseAgreesWithThePolicy checks the two implementations agree.
CREATE FUNCTION login_throttle_next(
    cur_failures integer, cur_window_start timestamptz, at timestamptz,
    win interval, max_failures integer, lock_base interval, lock_max interval,
    OUT next_failures integer, OUT next_window_start timestamptz,
    OUT next_locked_until timestamptz, OUT next_expires_at timestamptz)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT c.f, c.ws, l.lu, greatest(c.ws + win, l.lu)
    FROM (SELECT CASE WHEN fresh THEN 1 ELSE cur_failures + 1 END AS f,
                 CASE WHEN fresh THEN at ELSE cur_window_start END AS ws
          FROM (SELECT cur_failures <= 0 OR at - cur_window_start > win AS fresh) w) c,
         LATERAL (SELECT CASE WHEN c.f >= max_failures
                      THEN at + least(lock_base * power(2, least(c.f - max_failures, 20)), lock_max)
                      END AS lu) l
$$;

-- The clean-up deletes sessions past their expiry.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
