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
FOR NO KEY UPDATE;

-- The task list by due date, the undated last (coalesce to 'infinity': the order of the index,
-- without NULLs a keyset can compare), filtered by owner and openness at most; the total comes from
-- task_counts. A filter on deal or due dates goes through FilterTasks instead.
-- name: ListTasks :many
SELECT /* plan: custom */ sqlc.embed(t),
       (SELECT coalesce(sum(k.n), 0) FROM task_counts k
        WHERE k.organization_id = @organization_id
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id))
          AND (@only_open::boolean = false OR k.is_done = false))::bigint AS total
FROM tasks t
WHERE t.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR t.owner_id = sqlc.narg(owner_id))
  AND (@only_open::boolean = false OR t.is_done = false)
  AND (coalesce(t.due_date, 'infinity'::date), t.id) > (coalesce(sqlc.narg(after_key)::text::date, '-infinity'::date), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY coalesce(t.due_date, 'infinity'::date), t.id
LIMIT @page_limit OFFSET @page_offset;

-- name: FilterTasks :many
-- A task list narrowed by deal or due dates: the index on the narrowing column finds the matches,
-- which are sorted. The page is found by offset.
SELECT /* plan: custom */ sqlc.embed(t), count(*) OVER () AS total
FROM tasks t
WHERE t.organization_id = @organization_id
  AND (sqlc.narg(deal_id)::uuid IS NULL OR t.deal_id = sqlc.narg(deal_id))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR t.owner_id = sqlc.narg(owner_id))
  AND (@only_open::boolean = false OR t.is_done = false)
  -- Written on the order's key, so that the due-date index serves the range.
  AND (sqlc.narg(due_before)::date IS NULL OR coalesce(t.due_date, 'infinity'::date) <= sqlc.narg(due_before))
  AND (sqlc.narg(due_after)::date IS NULL OR (coalesce(t.due_date, 'infinity'::date) >= sqlc.narg(due_after) AND t.due_date IS NOT NULL))
ORDER BY coalesce(t.due_date, 'infinity'::date), t.id
LIMIT @page_limit OFFSET @page_offset;

-- name: UpdateTask :one
UPDATE tasks
SET title        = @title,
    description  = sqlc.narg(description),
    due_date     = sqlc.narg(due_date),
    is_done      = @is_done,
    completed_at = sqlc.narg(completed_at),
    owner_id     = @owner_id,
    updated_at   = greatest(now(), updated_at + interval '1 microsecond')
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteTask :execrows
DELETE FROM tasks
WHERE organization_id = @organization_id AND id = @id;
