-- name: AddMember :one
INSERT INTO organization_members (organization_id, user_id, role)
VALUES (@organization_id, @user_id, @role)
ON CONFLICT (organization_id, user_id) DO NOTHING
RETURNING created_at;

-- name: GetMember :one
SELECT m.user_id, u.email, u.name, m.role, m.created_at
FROM organization_members m
JOIN users u ON u.id = m.user_id
WHERE m.organization_id = @organization_id AND m.user_id = @user_id;

-- name: GetMemberForUpdate :one
SELECT role
FROM organization_members
WHERE organization_id = @organization_id AND user_id = @user_id
FOR UPDATE;

-- name: ListMembers :many
-- Oldest membership first, from the keyset position on (the start when NULL), in the index
-- (organization_id, created_at, user_id).
SELECT /* plan: custom */ m.user_id, u.email, u.name, m.role, m.created_at,
       (SELECT count(*) FROM organization_members x WHERE x.organization_id = @organization_id)::bigint AS total
FROM organization_members m
JOIN users u ON u.id = m.user_id
WHERE m.organization_id = @organization_id
  AND (m.created_at, m.user_id) > (coalesce(sqlc.narg(after_key)::text::timestamptz, '-infinity'), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY m.created_at, m.user_id
LIMIT @page_limit OFFSET @page_offset;

-- name: LockOwners :many
-- Locks the owner rows (in a fixed order) so two concurrent demotions cannot both pass the
-- "another owner remains" check.
SELECT user_id
FROM organization_members
WHERE organization_id = @organization_id AND role = 'owner'
ORDER BY user_id
FOR UPDATE;

-- name: UpdateMemberRole :exec
UPDATE organization_members
SET role = @role
WHERE organization_id = @organization_id AND user_id = @user_id;

-- name: RemoveMember :execrows
DELETE FROM organization_members
WHERE organization_id = @organization_id AND user_id = @user_id;

-- name: ListUserMemberships :many
SELECT m.organization_id, o.name AS organization_name, m.role
FROM organization_members m
JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = @user_id
ORDER BY m.created_at, m.organization_id;
