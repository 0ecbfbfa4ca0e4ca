-- name: EventTypeVersion
-- The tenant's own type wins over a core type of the same name; version 0
-- means the latest.
SELECT name, version, schema, description, examples, coalesce(tenant_id::text, '')
FROM event_types
WHERE name = $2
  AND (tenant_id = $1::uuid OR tenant_id IS NULL)
  AND ($3::int = 0 OR version = $3::int)
ORDER BY (tenant_id IS NULL), version DESC
LIMIT 1;

-- name: TenantRetention
SELECT id::text, retention_days FROM tenants;
