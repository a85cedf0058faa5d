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
FOR NO KEY UPDATE;

-- name: FindContactByEmail :one
SELECT id, owner_id FROM contacts
WHERE organization_id = @organization_id AND lower(email) = lower(@email);

-- The contact lists: one query per allowed order, each read from the index of its sort key
-- (organization_id, key, id) from the keyset position (after_key, after_id) on, or from the start
-- when both are NULL. The total comes from contact_counts (kept by triggers), not from a count of
-- the organization; list_version from list_versions (schema/000011), read in the same snapshot as
-- the page, says whether a remembered page position still holds (paging.Anchors). A search goes
-- through SearchContacts and the trigram index instead.
-- name: ListContactsByCreatedAtAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(c),
       (SELECT coalesce(sum(k.n), 0) FROM contact_counts k
        WHERE k.organization_id = @organization_id AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'contacts')::bigint AS list_version
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (c.created_at, c.id) > (coalesce(sqlc.narg(after_key)::text::timestamptz, '-infinity'), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY c.created_at, c.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListContactsByCreatedAtDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(c),
       (SELECT coalesce(sum(k.n), 0) FROM contact_counts k
        WHERE k.organization_id = @organization_id AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'contacts')::bigint AS list_version
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (c.created_at, c.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY c.created_at DESC, c.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: ListContactsByNameAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(c),
       (SELECT coalesce(sum(k.n), 0) FROM contact_counts k
        WHERE k.organization_id = @organization_id AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'contacts')::bigint AS list_version
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (lower(c.name), c.id) > (coalesce(lower(sqlc.narg(after_key)::text), ''), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY lower(c.name), c.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListContactsByNameDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(c),
       (SELECT coalesce(sum(k.n), 0) FROM contact_counts k
        WHERE k.organization_id = @organization_id AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'contacts')::bigint AS list_version
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (lower(c.name), c.id) < (coalesce(lower(sqlc.narg(after_key)::text), (SELECT max(lower(x.name)) FROM contacts x WHERE x.organization_id = @organization_id)), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY lower(c.name) DESC, c.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: SearchContacts :many
-- A search: the trigram index finds the matches (search is matched as a literal substring: the
-- caller escapes % and _, see crm.likePattern), which are sorted; no btree order helps a substring
-- match. The page is found by offset.
SELECT /* plan: generic, sorting, unless filtered */ sqlc.embed(c), count(*) OVER () AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'contacts')::bigint AS list_version
FROM contacts c
WHERE c.organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR c.owner_id = sqlc.narg(owner_id))
  AND (c.name ILIKE @search OR c.email ILIKE @search OR c.phone ILIKE @search)
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
    updated_at = greatest(now(), updated_at + interval '1 microsecond')
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteContact :execrows
DELETE FROM contacts
WHERE organization_id = @organization_id AND id = @id;

-- name: IsMember :one
SELECT EXISTS (
    SELECT 1 FROM organization_members WHERE organization_id = @organization_id AND user_id = @user_id
);
