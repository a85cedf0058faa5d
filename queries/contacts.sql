-- name: CreateContact :one
INSERT INTO contacts (organization_id, id, owner_id, name, email, phone, company, notes)
VALUES (@organization_id, @id, @owner_id, @name, sqlc.narg(email), sqlc.narg(phone), sqlc.narg(company), sqlc.narg(notes))
RETURNING *;

-- name: GetContact :one
SELECT * FROM contacts
WHERE organization_id = @organization_id AND id = @id;

-- name: GetContactForUpdate :one
SELECT * FROM contacts
WHERE organization_id = @organization_id AND id = @id
FOR UPDATE;

-- name: FindContactByEmail :one
SELECT id, owner_id FROM contacts
WHERE organization_id = @organization_id AND lower(email) = lower(@email);

-- name: ListContacts :many
-- search is matched as a literal substring: the caller escapes % and _ (see crm.likePattern).
SELECT sqlc.embed(c), count(*) OVER () AS total
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (sqlc.narg(search)::text IS NULL
       OR c.name ILIKE sqlc.narg(search) OR c.email ILIKE sqlc.narg(search) OR c.phone ILIKE sqlc.narg(search))
ORDER BY
  CASE WHEN @order_by::text = 'name' AND @descending::boolean = false THEN lower(c.name) END ASC,
  CASE WHEN @order_by::text = 'name' AND @descending::boolean = true THEN lower(c.name) END DESC,
  CASE WHEN @order_by::text = 'created_at' AND @descending::boolean = false THEN c.created_at END ASC,
  CASE WHEN @order_by::text = 'created_at' AND @descending::boolean = true THEN c.created_at END DESC,
  CASE WHEN @descending::boolean = false THEN c.id END ASC,
  CASE WHEN @descending::boolean = true THEN c.id END DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: UpdateContact :one
UPDATE contacts
SET name       = @name,
    email      = sqlc.narg(email),
    phone      = sqlc.narg(phone),
    company    = sqlc.narg(company),
    notes      = sqlc.narg(notes),
    owner_id   = @owner_id,
    updated_at = now()
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteContact :execrows
DELETE FROM contacts
WHERE organization_id = @organization_id AND id = @id;

-- name: IsMember :one
SELECT EXISTS (
    SELECT 1 FROM organization_members WHERE organization_id = @organization_id AND user_id = @user_id
);
