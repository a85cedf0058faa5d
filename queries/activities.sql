-- name: CreateActivity :one
INSERT INTO activities (organization_id, id, deal_id, author_id, type, payload)
VALUES (@organization_id, @id, @deal_id, sqlc.narg(author_id), @type, @payload)
RETURNING *;

-- name: ListActivities :many
-- A deal's timeline, newest first, from the keyset position on (the start when NULL), in the
-- index (organization_id, deal_id, created_at DESC, id DESC). The total counts the deal's entries.
SELECT /* plan: custom */ sqlc.embed(a),
       (SELECT count(*) FROM activities x
        WHERE x.organization_id = @organization_id AND x.deal_id = @deal_id
          AND (sqlc.narg(type)::text IS NULL OR x.type = sqlc.narg(type)))::bigint AS total
FROM activities a
WHERE a.organization_id = @organization_id AND a.deal_id = @deal_id
  AND (sqlc.narg(type)::text IS NULL OR a.type = sqlc.narg(type))
  AND (a.created_at, a.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY a.created_at DESC, a.id DESC
LIMIT @page_limit OFFSET @page_offset;
