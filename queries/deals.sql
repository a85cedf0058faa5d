-- name: CreateDeal :one
INSERT INTO deals (organization_id, id, contact_id, owner_id, title, amount, currency)
VALUES (@organization_id, @id, @contact_id, @owner_id, @title, @amount, @currency)
RETURNING *;

-- name: GetDeal :one
SELECT * FROM deals
WHERE organization_id = @organization_id AND id = @id;

-- name: GetDealForUpdate :one
-- The row lock serialises concurrent changes of one deal, so that no update is lost and the
-- timeline always agrees with the deal. NO KEY UPDATE (what an UPDATE of the deal's other columns
-- takes anyway): inserting a task or an activity of the deal (whose foreign key takes KEY SHARE on
-- it) does not wait for it, so a transaction holding this lock and waiting for a counter row
-- (schema/000005) can never deadlock with one holding that counter and inserting an activity.
SELECT * FROM deals
WHERE organization_id = @organization_id AND id = @id
FOR NO KEY UPDATE;

-- The deal lists filtered by status, stage and owner at most: one query per allowed order, read from
-- the index of its sort key from the keyset position on; the total comes from deal_counts, and
-- list_version (schema/000011) says whether a remembered page position still holds.
-- A filter on contact, amount or title goes through FilterDeals instead.
-- name: ListDealsByCreatedAtAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.created_at, d.id) > (coalesce(sqlc.narg(after_key)::text::timestamptz, '-infinity'), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY d.created_at, d.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByCreatedAtDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.created_at, d.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY d.created_at DESC, d.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByUpdatedAtAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.updated_at, d.id) > (coalesce(sqlc.narg(after_key)::text::timestamptz, '-infinity'), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY d.updated_at, d.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByUpdatedAtDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.updated_at, d.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY d.updated_at DESC, d.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByAmountAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.amount, d.id) > (coalesce(sqlc.narg(after_key)::text::numeric, '-Infinity'::numeric), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY d.amount, d.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByAmountDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (d.amount, d.id) < (coalesce(sqlc.narg(after_key)::text::numeric, 'Infinity'::numeric), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY d.amount DESC, d.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByTitleAsc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (lower(d.title), d.id) > (coalesce(lower(sqlc.narg(after_key)::text), ''), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY lower(d.title), d.id
LIMIT @page_limit OFFSET @page_offset;

-- name: ListDealsByTitleDesc :many
SELECT /* plan: generic unless filtered */ sqlc.embed(d),
       (SELECT coalesce(sum(k.n), 0) FROM deal_counts k
        WHERE k.organization_id = @organization_id
          AND (cardinality(@statuses::text[]) = 0 OR k.status = ANY(@statuses::text[]))
          AND (sqlc.narg(stage)::text IS NULL OR k.stage = sqlc.narg(stage))
          AND (sqlc.narg(owner_id)::uuid IS NULL OR k.owner_id = sqlc.narg(owner_id)))::bigint AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (lower(d.title), d.id) < (coalesce(lower(sqlc.narg(after_key)::text), (SELECT max(lower(x.title)) FROM deals x WHERE x.organization_id = @organization_id)), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY lower(d.title) DESC, d.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: FilterDeals :many
-- A deal list narrowed by contact, amount or title: an index on the narrowing column (or the
-- trigram index for search) finds the matches, which are sorted. The page is found by offset.
SELECT /* plan: custom */ sqlc.embed(d), count(*) OVER () AS total,
       (SELECT coalesce(max(v.version), 0) FROM list_versions v
        WHERE v.organization_id = @organization_id AND v.list = 'deals')::bigint AS list_version
FROM deals d
WHERE d.organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR d.status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR d.stage = sqlc.narg(stage))
  AND (sqlc.narg(min_amount)::numeric IS NULL OR d.amount >= sqlc.narg(min_amount))
  AND (sqlc.narg(max_amount)::numeric IS NULL OR d.amount <= sqlc.narg(max_amount))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR d.owner_id = sqlc.narg(owner_id))
  AND (sqlc.narg(contact_id)::uuid IS NULL OR d.contact_id = sqlc.narg(contact_id))
  AND (sqlc.narg(search)::text IS NULL OR d.title ILIKE sqlc.narg(search))
ORDER BY
  CASE WHEN @order_by::text = 'title' AND @descending::boolean = false THEN lower(d.title) END ASC,
  CASE WHEN @order_by::text = 'title' AND @descending::boolean = true THEN lower(d.title) END DESC,
  CASE WHEN @order_by::text = 'amount' AND @descending::boolean = false THEN d.amount END ASC,
  CASE WHEN @order_by::text = 'amount' AND @descending::boolean = true THEN d.amount END DESC,
  CASE WHEN @order_by::text = 'updated_at' AND @descending::boolean = false THEN d.updated_at END ASC,
  CASE WHEN @order_by::text = 'updated_at' AND @descending::boolean = true THEN d.updated_at END DESC,
  CASE WHEN @order_by::text = 'created_at' AND @descending::boolean = false THEN d.created_at END ASC,
  CASE WHEN @order_by::text = 'created_at' AND @descending::boolean = true THEN d.created_at END DESC,
  CASE WHEN @descending::boolean = false THEN d.id END ASC,
  CASE WHEN @descending::boolean = true THEN d.id END DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: UpdateDeal :one
UPDATE deals
SET title      = @title,
    amount     = @amount,
    currency   = @currency,
    status     = @status,
    stage      = @stage,
    contact_id = @contact_id,
    owner_id   = @owner_id,
    updated_at = greatest(now(), updated_at + interval '1 microsecond')
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteDeal :execrows
DELETE FROM deals
WHERE organization_id = @organization_id AND id = @id;
