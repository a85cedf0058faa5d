CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (user_id);
DROP INDEX IF EXISTS sessions_user_last_used_idx;
ALTER TABLE sessions
    DROP COLUMN IF EXISTS last_used_at,
    DROP COLUMN IF EXISTS user_agent;
