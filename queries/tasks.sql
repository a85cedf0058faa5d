-- name: CreateTask :one
INSERT INTO tasks (organization_id, id, deal_id, owner_id, title, description, due_date)
VALUES (@organization_id, @id, @deal_id, @owner_id, @title, sqlc.narg(description), sqlc.narg(due_date))
RETURNING *;

-- name: GetTask :one
SELECT * FROM tasks
WHERE organization_id = @organization_id AND id = @id;

-- name: GetTaskForUpdate :one
SELECT * FROM tasks
WHERE organization_id = @organization_id AND id = @id
FOR UPDATE;

-- name: ListTasks :many
SELECT sqlc.embed(t), count(*) OVER () AS total
FROM tasks t
WHERE t.organization_id = @organization_id
  AND (sqlc.narg(deal_id)::uuid IS NULL OR t.deal_id = sqlc.narg(deal_id))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR t.owner_id = sqlc.narg(owner_id))
  AND (@only_open::boolean = false OR t.is_done = false)
  AND (sqlc.narg(due_before)::date IS NULL OR t.due_date <= sqlc.narg(due_before))
  AND (sqlc.narg(due_after)::date IS NULL OR t.due_date >= sqlc.narg(due_after))
ORDER BY t.due_date ASC NULLS LAST, t.id ASC
LIMIT @page_limit OFFSET @page_offset;

-- name: UpdateTask :one
UPDATE tasks
SET title        = @title,
    description  = sqlc.narg(description),
    due_date     = sqlc.narg(due_date),
    is_done      = @is_done,
    completed_at = sqlc.narg(completed_at),
    owner_id     = @owner_id,
    updated_at   = now()
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteTask :execrows
DELETE FROM tasks
WHERE organization_id = @organization_id AND id = @id;
