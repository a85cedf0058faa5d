-- name: ExportContacts :many
-- One batch of the contacts export: the contacts the list's filters select (owner, search as in
-- ListContacts and SearchContacts), oldest first, after the keyset position (after_created_at,
-- after_id). The export reads batch after batch, so that it never holds more than one in memory
-- nor a connection while the client reads.
SELECT /* plan: custom */ *
FROM contacts
WHERE organization_id = @organization_id
  AND (sqlc.narg(owner_id)::uuid IS NULL OR owner_id = sqlc.narg(owner_id))
  AND (sqlc.narg(search)::text IS NULL OR name ILIKE sqlc.narg(search) OR email ILIKE sqlc.narg(search) OR phone ILIKE sqlc.narg(search))
  AND (created_at, id) > (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at, id
LIMIT @batch_size;

-- name: ExportDeals :many
-- One batch of the deals export: the deals the list's filters select (as in ListDeals* and
-- FilterDeals), oldest first, after the keyset position.
SELECT /* plan: custom */ *
FROM deals
WHERE organization_id = @organization_id
  AND (cardinality(@statuses::text[]) = 0 OR status = ANY(@statuses::text[]))
  AND (sqlc.narg(stage)::text IS NULL OR stage = sqlc.narg(stage))
  AND (sqlc.narg(min_amount)::numeric IS NULL OR amount >= sqlc.narg(min_amount))
  AND (sqlc.narg(max_amount)::numeric IS NULL OR amount <= sqlc.narg(max_amount))
  AND (sqlc.narg(owner_id)::uuid IS NULL OR owner_id = sqlc.narg(owner_id))
  AND (sqlc.narg(contact_id)::uuid IS NULL OR contact_id = sqlc.narg(contact_id))
  AND (sqlc.narg(search)::text IS NULL OR title ILIKE sqlc.narg(search))
  AND (created_at, id) > (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY created_at, id
LIMIT @batch_size;

-- name: ImportContacts :execrows
-- Rows of an import (a chunk of them), in file order, as parallel arrays (an empty string for an
-- absent value), owned by the importer. A row whose email (lower-cased, as contacts_org_email_key
-- compares them) a contact of the organization has, or an earlier row has (of this statement or of
-- an earlier chunk of the transaction), is skipped by ON CONFLICT: the same index that refuses a
-- duplicate from POST /contacts decides, concurrent creations included. The number of rows is the
-- number created.
INSERT INTO contacts (organization_id, id, owner_id, name, email, phone, company, notes)
SELECT @organization_id::uuid, r.id, @owner_id::uuid, r.name, nullif(r.email, ''), nullif(r.phone, ''),
       nullif(r.company, ''), nullif(r.notes, '')
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@names::text[]) AS name, unnest(@emails::text[]) AS email,
             unnest(@phones::text[]) AS phone, unnest(@companies::text[]) AS company,
             unnest(@notes::text[]) AS notes, generate_subscripts(@ids::uuid[], 1) AS n) r
ORDER BY r.n
ON CONFLICT (organization_id, lower(email)) WHERE email IS NOT NULL DO NOTHING;

-- name: CountImportableContacts :one
-- How many rows of an import (their emails in file order, an empty string for none) ImportContacts would
-- create, by the same rule, without writing: a row without email, or the first row of its
-- lower-cased email when no contact of the organization has it.
SELECT count(*)::bigint
FROM (SELECT r.email, row_number() OVER (PARTITION BY lower(r.email) ORDER BY r.n) AS k
      FROM unnest(@emails::text[]) WITH ORDINALITY AS r(email, n)) f
WHERE f.email = ''
   OR (f.k = 1 AND NOT EXISTS (SELECT 1 FROM contacts c
                               WHERE c.organization_id = @organization_id AND c.email IS NOT NULL
                                 AND lower(c.email) = lower(f.email)));
