-- Account security (issue 11 part 2): the sessions list shows where each session was started and
-- when it last got tokens.
--
-- user_agent: the User-Agent of the request that last issued the session's tokens (login,
-- register, refresh), truncated by the service; NULL when the client sent none.
-- last_used_at: when the session last got tokens (login, register, refresh). It is not written per
-- request: an access token lives minutes, so a session in use refreshes at least that often.
ALTER TABLE sessions
    ADD COLUMN user_agent   text CHECK (length(user_agent) <= 256),
    ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now();
-- Sessions started before this migration: their last issue of tokens is their last rotation.
UPDATE sessions SET last_used_at = rotated_at;

-- "The caller's active sessions, most recently used first" (GET /auth/sessions); replaces the
-- plain user index, which it covers.
CREATE INDEX sessions_user_last_used_idx ON sessions (user_id, last_used_at DESC, id DESC);
DROP INDEX sessions_user_idx;
