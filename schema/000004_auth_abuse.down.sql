DROP FUNCTION IF EXISTS login_throttle_next;
DROP INDEX IF EXISTS sessions_expires_idx;
DROP TABLE IF EXISTS login_address_throttle;
DELETE FROM login_throttle;
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_pkey;
DROP INDEX IF EXISTS login_throttle_expires_idx;
ALTER TABLE login_throttle DROP COLUMN expires_at;
ALTER TABLE login_throttle DROP COLUMN address;
ALTER TABLE login_throttle ADD PRIMARY KEY (email);
