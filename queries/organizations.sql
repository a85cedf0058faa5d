-- name: CreateOrganization :one
INSERT INTO organizations (id, name)
VALUES (@id, @name)
RETURNING *;

-- name: GetOrganization :one
SELECT * FROM organizations
WHERE id = @organization_id;

-- name: UpdateOrganization :one
UPDATE organizations
SET name             = COALESCE(sqlc.narg(name), name),
    members_see_all  = COALESCE(sqlc.narg(members_see_all), members_see_all),
    default_currency = COALESCE(sqlc.narg(default_currency), default_currency),
    timezone         = COALESCE(sqlc.narg(timezone), timezone),
    stage_probability_qualification = COALESCE(sqlc.narg(stage_probability_qualification), stage_probability_qualification),
    stage_probability_proposal      = COALESCE(sqlc.narg(stage_probability_proposal), stage_probability_proposal),
    stage_probability_negotiation   = COALESCE(sqlc.narg(stage_probability_negotiation), stage_probability_negotiation),
    stage_probability_closed        = COALESCE(sqlc.narg(stage_probability_closed), stage_probability_closed),
    updated_at       = now()
WHERE id = @organization_id
RETURNING *;

-- name: DeleteOrganization :execrows
DELETE FROM organizations
WHERE id = @organization_id;

-- name: ListUserOrganizations :many
SELECT sqlc.embed(o), m.role
FROM organization_members m
JOIN organizations o ON o.id = m.organization_id
WHERE m.user_id = @user_id
ORDER BY m.created_at, o.id;
