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

-- The clean-up deletes sessions past their expiry.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
