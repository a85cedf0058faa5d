-- name: IsMemberByEmail :one
-- Whether a registered user with this (lower-cased) email is a member of the organization.
SELECT EXISTS (
    SELECT 1
    FROM organization_members m
    JOIN users u ON u.id = m.user_id
    WHERE m.organization_id = @organization_id AND lower(u.email) = @email::text
)::boolean AS member;

-- name: UpsertInvitation :one
-- Inviting an email that has a pending invitation replaces it: new id, token, role and expiry, so
-- the old token stops working. One statement, so two concurrent invitations of one email leave one.
-- A pending owner invitation is replaced only when may_replace_owner (the caller is an owner): no row
-- comes back otherwise.
INSERT INTO invitations (organization_id, id, email, role, token_hash, invited_by, expires_at)
VALUES (@organization_id, @id, @email, @role, @token_hash, @invited_by, now() + interval '7 days')
ON CONFLICT (organization_id, email) WHERE status = 'pending'
DO UPDATE SET id         = excluded.id,
              role       = excluded.role,
              token_hash = excluded.token_hash,
              invited_by = excluded.invited_by,
              expires_at = excluded.expires_at,
              created_at = now()
WHERE invitations.role <> 'owner' OR @may_replace_owner::boolean
RETURNING id, email, role, status, invited_by, expires_at, created_at;

-- name: ListInvitations :many
-- Newest first, from the keyset position on (the start when NULL), in the index
-- (organization_id, created_at DESC, id DESC), or with a status in (organization_id, status,
-- created_at DESC, id DESC). status: pending, expired, accepted or revoked, or NULL for all;
-- "expired" is a pending invitation past its expiry. The filter is spelled out per status (not as
-- the CASE of the answer's status) so that, with the status known when the query is planned, it is
-- a plain condition on the status column that the index and the statistics serve.
SELECT /* plan: custom */ i.id, i.email, i.role,
       (CASE WHEN i.status = 'pending' AND i.expires_at <= now() THEN 'expired' ELSE i.status END)::text AS status,
       i.invited_by, i.expires_at, i.created_at,
       (SELECT count(*) FROM invitations x
        WHERE x.organization_id = @organization_id
          AND (sqlc.narg(status)::text IS NULL
               OR (sqlc.narg(status)::text IN ('accepted', 'revoked') AND x.status = sqlc.narg(status)::text)
               OR (sqlc.narg(status)::text = 'pending' AND x.status = 'pending' AND x.expires_at > now())
               OR (sqlc.narg(status)::text = 'expired' AND x.status = 'pending' AND x.expires_at <= now())))::bigint AS total
FROM invitations i
WHERE i.organization_id = @organization_id
  AND (sqlc.narg(status)::text IS NULL
       OR (sqlc.narg(status)::text IN ('accepted', 'revoked') AND i.status = sqlc.narg(status)::text)
       OR (sqlc.narg(status)::text = 'pending' AND i.status = 'pending' AND i.expires_at > now())
       OR (sqlc.narg(status)::text = 'expired' AND i.status = 'pending' AND i.expires_at <= now()))
  AND (i.created_at, i.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY i.created_at DESC, i.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: RevokeInvitation :one
-- Revokes a pending invitation (expired included) in one statement: no row when there is none;
-- revoked false when it invites an owner and may_revoke_owner is not set (the caller is no owner),
-- as UpsertInvitation's may_replace_owner.
WITH target AS (
    SELECT i.id, i.role
    FROM invitations i
    WHERE i.organization_id = @organization_id AND i.id = @id AND i.status = 'pending'
    FOR UPDATE
), revoked AS (
    UPDATE invitations i
    SET status = 'revoked', revoked_at = now()
    FROM target t
    WHERE i.organization_id = @organization_id AND i.id = t.id
      AND (t.role <> 'owner' OR @may_revoke_owner::boolean)
    RETURNING i.id
)
SELECT t.role, EXISTS (SELECT 1 FROM revoked) AS revoked
FROM target t;

-- name: LockLiveInvitationByToken :one
-- The pending, unexpired invitation with this token, locked so that it is accepted once. Unknown,
-- revoked, accepted and expired tokens alike find nothing.
SELECT i.id, i.email, i.role, o.name AS organization_name
FROM invitations i
JOIN organizations o ON o.id = i.organization_id
WHERE i.organization_id = @organization_id AND i.token_hash = @token_hash
  AND i.status = 'pending' AND i.expires_at > now()
FOR UPDATE OF i;

-- name: MarkInvitationAccepted :exec
UPDATE invitations
SET status = 'accepted', accepted_by = @user_id, accepted_at = now()
WHERE organization_id = @organization_id AND id = @id;
