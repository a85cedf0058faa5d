-- name: CreateWebhookEndpoint :one
INSERT INTO webhook_endpoints (organization_id, id, url, events, description, secret)
VALUES (@organization_id, @id, @url, @events::text[], sqlc.narg(description), @secret)
RETURNING *;

-- name: GetWebhookEndpoint :one
SELECT * FROM webhook_endpoints
WHERE organization_id = @organization_id AND id = @id;

-- name: GetWebhookEndpointForUpdate :one
SELECT * FROM webhook_endpoints
WHERE organization_id = @organization_id AND id = @id
FOR UPDATE;

-- name: ListWebhookEndpoints :many
-- Oldest first, from the keyset position on (the start when NULL), in the index
-- (organization_id, created_at, id).
SELECT e.*, (SELECT count(*) FROM webhook_endpoints x WHERE x.organization_id = @organization_id)::bigint AS total
FROM webhook_endpoints e
WHERE e.organization_id = @organization_id
  AND (e.created_at, e.id) > (coalesce(sqlc.narg(after_key)::text::timestamptz, '-infinity'), coalesce(sqlc.narg(after_id)::uuid, '00000000-0000-0000-0000-000000000000'))
ORDER BY e.created_at, e.id
LIMIT @page_limit OFFSET @page_offset;

-- name: UpdateWebhookEndpoint :one
-- Reactivating an endpoint restarts its failure count.
UPDATE webhook_endpoints
SET url           = @url,
    events        = @events::text[],
    description   = sqlc.narg(description),
    failing_since = CASE WHEN @active::boolean AND NOT active THEN NULL ELSE failing_since END,
    active        = @active::boolean,
    updated_at    = greatest(now(), updated_at + interval '1 microsecond')
WHERE organization_id = @organization_id AND id = @id
RETURNING *;

-- name: DeleteWebhookEndpoint :execrows
DELETE FROM webhook_endpoints
WHERE organization_id = @organization_id AND id = @id;

-- name: ListSubscribedWebhookEndpoints :many
-- The active endpoints that receive events of this type.
SELECT id FROM webhook_endpoints
WHERE organization_id = @organization_id AND active
  AND (events @> ARRAY[@event_type::text] OR events @> ARRAY['*'])
ORDER BY id;

-- name: CreateWebhookEvent :exec
INSERT INTO webhook_events (organization_id, id, type, body, created_at)
VALUES (@organization_id, @id, @type, @body, @created_at);

-- name: CreateWebhookDelivery :one
INSERT INTO webhook_deliveries (organization_id, id, endpoint_id, event_id, next_attempt_at, created_at)
VALUES (@organization_id, @id, @endpoint_id, @event_id, @created_at::timestamptz, @created_at::timestamptz)
RETURNING *;

-- name: GetWebhookDelivery :one
-- A delivery of the endpoint, with its event's type.
SELECT d.*, e.type AS event_type
FROM webhook_deliveries d
JOIN webhook_events e ON e.organization_id = d.organization_id AND e.id = d.event_id
WHERE d.organization_id = @organization_id AND d.endpoint_id = @endpoint_id AND d.id = @id;

-- name: ListWebhookDeliveries :many
-- Newest first, from the keyset position on (the start when NULL), in the index
-- (organization_id, endpoint_id, created_at DESC, id DESC).
SELECT /* plan: custom */ d.*, e.type AS event_type,
       (SELECT count(*) FROM webhook_deliveries x WHERE x.organization_id = @organization_id AND x.endpoint_id = @endpoint_id)::bigint AS total
FROM webhook_deliveries d
JOIN webhook_events e ON e.organization_id = d.organization_id AND e.id = d.event_id
WHERE d.organization_id = @organization_id AND d.endpoint_id = @endpoint_id
  AND (d.created_at, d.id) < (coalesce(sqlc.narg(after_key)::text::timestamptz, 'infinity'), coalesce(sqlc.narg(after_id)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
ORDER BY d.created_at DESC, d.id DESC
LIMIT @page_limit OFFSET @page_offset;

-- name: GetWebhookDeliveryToSend :one
-- What the worker sends: the delivery, its event's body and its endpoint's URL and secret.
SELECT d.status, d.attempts, ev.id AS event_id, ev.body, ep.url, ep.secret
FROM webhook_deliveries d
JOIN webhook_events ev ON ev.organization_id = d.organization_id AND ev.id = d.event_id
JOIN webhook_endpoints ep ON ep.organization_id = d.organization_id AND ep.id = d.endpoint_id
WHERE d.organization_id = @organization_id AND d.id = @id;

-- name: RecordWebhookAttempt :one
-- One attempt's outcome. status is succeeded, pending (next_attempt_at is the retry) or failed.
UPDATE webhook_deliveries
SET attempts         = attempts + 1,
    status           = @status,
    last_status_code = sqlc.narg(last_status_code),
    last_error       = sqlc.narg(last_error),
    next_attempt_at  = sqlc.narg(next_attempt_at),
    delivered_at     = CASE WHEN @status = 'succeeded' THEN @attempted_at::timestamptz ELSE delivered_at END
WHERE organization_id = @organization_id AND id = @id
RETURNING endpoint_id;

-- name: MarkWebhookEndpointSucceeded :exec
UPDATE webhook_endpoints
SET failing_since = NULL
WHERE organization_id = @organization_id AND id = @id AND failing_since IS NOT NULL;

-- name: MarkWebhookEndpointFailed :one
-- Starts the failure count of the endpoint (or continues it), and deactivates the endpoint when
-- every attempt to it has failed since @failing_before or earlier. Returns whether it is active.
UPDATE webhook_endpoints
SET failing_since = coalesce(failing_since, @attempted_at::timestamptz),
    active        = active AND coalesce(failing_since, @attempted_at::timestamptz) > @failing_before::timestamptz
WHERE organization_id = @organization_id AND id = @id
RETURNING active;
