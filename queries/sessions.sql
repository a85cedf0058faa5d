-- name: CreateSession :exec
INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at, user_agent, last_used_at)
VALUES (@id, @user_id, @refresh_jti_hash, @expires_at, sqlc.narg(user_agent), now());

-- name: GetSessionForUpdate :one
SELECT id, user_id, refresh_jti_hash, rotated_at, expires_at, revoked_at
FROM sessions
WHERE id = @id
FOR UPDATE;

-- name: RotateSession :exec
-- A refresh: the new refresh token's jti, and the session's last issue of tokens (last_used_at)
-- and the client that asked for it.
UPDATE sessions
SET refresh_jti_hash = @refresh_jti_hash, rotated_at = @rotated_at, last_used_at = now(),
    user_agent = sqlc.narg(user_agent)
WHERE id = @id;

-- name: RevokeSession :exec
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE id = @id AND revoked_at IS NULL;

-- name: ListActiveSessions :many
-- The user's sessions that still work (not revoked, not expired), most recently used first.
SELECT id, created_at, expires_at, last_used_at, user_agent
FROM sessions
WHERE user_id = @user_id AND revoked_at IS NULL AND expires_at > now()
ORDER BY last_used_at DESC, id DESC
LIMIT @max_sessions;

-- name: RevokeUserSession :execrows
-- Ends one active session of the user; no row: no such active session of this user.
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL AND expires_at > now();

-- name: RevokeUserSessions :execrows
-- Ends every active session of the user except @keep_id (uuid.Nil keeps none).
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE user_id = @user_id AND id <> @keep_id AND revoked_at IS NULL AND expires_at > now();

-- name: SessionIsActive :one
-- Checks the access token's session is still alive: logout and reuse detection end it at once.
SELECT EXISTS (
    SELECT 1 FROM sessions
    WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL AND expires_at > now()
);

-- name: ResolveMembership :one
-- One round trip per tenant request: is the session alive, which role does the user hold in the
-- organization (NULL when not a member, unknown or deleted organization), and the settings the
-- request's rules need.
SELECT m.role, o.members_see_all, o.default_currency, o.timezone
FROM sessions s
LEFT JOIN organization_members m
       ON m.organization_id = @organization_id AND m.user_id = s.user_id
LEFT JOIN organizations o ON o.id = m.organization_id
WHERE s.id = @session_id AND s.user_id = @user_id AND s.revoked_at IS NULL AND s.expires_at > now();

-- name: DeleteExpiredSessions :execrows
-- The clean-up: sessions past their expiry (revoked or not) in batches. An expired session answers
-- exactly as a missing one, so nothing is lost.
DELETE FROM sessions
WHERE id IN (
    SELECT s.id FROM sessions s
    WHERE s.expires_at < @now
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED
);
