-- name: CreateActivity :one
INSERT INTO activities (organization_id, id, deal_id, author_id, type, payload)
VALUES (@organization_id, @id, @deal_id, sqlc.narg(author_id), @type, @payload)
RETURNING *;

-- name: ListActivities :many
SELECT sqlc.embed(a), count(*) OVER () AS total
FROM activities a
WHERE a.organization_id = @organization_id AND a.deal_id = @deal_id
  AND (sqlc.narg(type)::text IS NULL OR a.type = sqlc.narg(type))
ORDER BY a.created_at DESC, a.id DESC
LIMIT @page_limit OFFSET @page_offset;
