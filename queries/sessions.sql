-- name: CreateSession :exec
INSERT INTO sessions (id, user_id, refresh_jti_hash, expires_at)
VALUES (@id, @user_id, @refresh_jti_hash, @expires_at);

-- name: GetSessionForUpdate :one
SELECT id, user_id, refresh_jti_hash, rotated_at, expires_at, revoked_at
FROM sessions
WHERE id = @id
FOR UPDATE;

-- name: RotateSession :exec
UPDATE sessions
SET refresh_jti_hash = @refresh_jti_hash, rotated_at = @rotated_at
WHERE id = @id;

-- name: RevokeSession :exec
UPDATE sessions
SET revoked_at = now(), revoke_reason = @reason::text
WHERE id = @id AND revoked_at IS NULL;

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
