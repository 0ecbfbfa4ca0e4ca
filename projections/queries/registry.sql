-- Configuration stores of the pipeline area (event types, webhook filters,
-- workflows). These are configuration tables, not read models: the API
-- writes them through projections.EventTypes, Filters and Workflows.

-- name: EventTypesLatest
-- Latest version of every core type and of the tenant's own types, with the
-- number of versions.
SELECT DISTINCT ON (et.tenant_id, et.name)
       coalesce(et.tenant_id::text, ''), et.name, et.version, et.schema, et.description, et.examples,
       et.created_at, et.updated_at,
       count(*) OVER (PARTITION BY et.tenant_id, et.name)
FROM event_types et
WHERE et.tenant_id IS NULL OR et.tenant_id = $1
ORDER BY et.tenant_id NULLS FIRST, et.name, et.version DESC;

-- name: EventTypeVersions
-- Every version of one type visible to the tenant (core or its own).
SELECT coalesce(tenant_id::text, ''), name, version, schema, description, examples, created_at, updated_at
FROM event_types
WHERE name = $2 AND (tenant_id IS NULL OR tenant_id = $1)
ORDER BY tenant_id NULLS FIRST, version;

-- name: EventTypeVersion
SELECT coalesce(tenant_id::text, ''), name, version, schema, description, examples, created_at, updated_at
FROM event_types
WHERE name = $2 AND version = $3 AND (tenant_id IS NULL OR tenant_id = $1)
ORDER BY tenant_id NULLS FIRST
LIMIT 1;

-- name: EventTypeLatestVersion
SELECT coalesce(tenant_id::text, ''), name, version, schema, description, examples, created_at, updated_at
FROM event_types
WHERE name = $2 AND (tenant_id IS NULL OR tenant_id = $1)
ORDER BY version DESC, tenant_id NULLS FIRST
LIMIT 1;

-- name: EventTypesResolvable
-- Every version of every type a tenant's schema may "$ref": its own first,
-- then the core types.
SELECT coalesce(tenant_id::text, ''), name, version, schema, description, examples, created_at, updated_at
FROM event_types
WHERE tenant_id IS NULL OR tenant_id = $1
ORDER BY tenant_id NULLS LAST, name, version;

-- name: InsertEventType
INSERT INTO event_types (tenant_id, name, version, schema, description, examples)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING coalesce(tenant_id::text, ''), name, version, schema, description, examples, created_at, updated_at;

-- name: GetFilter
SELECT rule_set, updated_at FROM webhook_filters WHERE tenant_id = $1 AND webhook_id = $2;

-- name: PutFilter
INSERT INTO webhook_filters (webhook_id, tenant_id, rule_set, updated_at)
VALUES ($2, $1, $3, clock_timestamp())
ON CONFLICT (webhook_id) DO UPDATE
    SET rule_set = excluded.rule_set, updated_at = excluded.updated_at
    WHERE webhook_filters.tenant_id = excluded.tenant_id
RETURNING rule_set, updated_at;

-- name: FilterVersions
SELECT webhook_id::text, updated_at FROM webhook_filters WHERE webhook_id = ANY($1::uuid[]);

-- name: AllFilterVersions
-- Every rule set's version: ingest's filter cache polls it (small table,
-- one row per webhook with filters).
SELECT webhook_id::text, updated_at FROM webhook_filters;

-- name: FilterByWebhook
SELECT tenant_id::text, rule_set, updated_at FROM webhook_filters WHERE webhook_id = $1;

-- name: RecentDeliveries
-- The webhook's last received deliveries in the delivery log (rejected
-- requests excluded), newest first.
SELECT id::text, headers, query, body, body_text, metadata, created_at
FROM webhook_events
WHERE tenant_id = $1 AND webhook_id = $2 AND status <> 'rejected'
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: InsertWorkflow
INSERT INTO workflows (id, tenant_id, name, steps, description, retry, timeout_ms, breaker)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id::text, tenant_id::text, name, steps, created_at, updated_at, description, retry, timeout_ms, breaker;

-- name: UpdateWorkflow
UPDATE workflows SET name = $3, steps = $4, description = $5, retry = $6, timeout_ms = $7, breaker = $8,
    updated_at = now()
WHERE tenant_id = $1 AND id = $2
RETURNING id::text, tenant_id::text, name, steps, created_at, updated_at, description, retry, timeout_ms, breaker;

-- name: DeleteWorkflow
DELETE FROM workflows WHERE tenant_id = $1 AND id = $2;

-- name: GetWorkflow
SELECT id::text, tenant_id::text, name, steps, created_at, updated_at, description, retry, timeout_ms, breaker
FROM workflows WHERE tenant_id = $1 AND id = $2;

-- name: ListWorkflows
-- Keyset pagination on id (UUIDv7, time-ordered), newest first; $2 is the
-- cursor (the last id of the previous page) or NULL.
SELECT id::text, tenant_id::text, name, steps, created_at, updated_at, description, retry, timeout_ms, breaker
FROM workflows
WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid)
ORDER BY id DESC
LIMIT $3;
