-- name: CreateTenant
INSERT INTO tenants (name) VALUES ($1)
RETURNING id, name, retention_days, max_replays, created_at;

-- name: EnsureTenant
INSERT INTO tenants (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING id, name, retention_days, max_replays, created_at;

-- name: GetTenant
SELECT id, name, retention_days, max_replays, created_at FROM tenants WHERE id = $1;

-- name: ListTenants
SELECT id, name, retention_days, max_replays, created_at FROM tenants ORDER BY created_at;

-- name: SetRetention
UPDATE tenants SET retention_days = $2 WHERE id = $1
RETURNING id, name, retention_days, max_replays, created_at;

-- name: SetMaxReplays
UPDATE tenants SET max_replays = $2 WHERE id = $1
RETURNING id, name, retention_days, max_replays, created_at;

-- name: CreateToken
INSERT INTO api_tokens (tenant_id, name, role, token_hash) VALUES ($1, $2, $3, $4)
RETURNING id, tenant_id, name, role, created_at, last_used_at;

-- name: EnsureToken
INSERT INTO api_tokens (tenant_id, name, role, token_hash) VALUES ($1, $2, $3, $4)
ON CONFLICT (token_hash) DO NOTHING;

-- name: TokenByHash
SELECT t.id, t.tenant_id, t.role FROM api_tokens t WHERE t.token_hash = $1;

-- name: TouchToken
UPDATE api_tokens SET last_used_at = now() WHERE id = $1;

-- name: ListTokens
SELECT id, tenant_id, name, role, created_at, last_used_at FROM api_tokens
WHERE tenant_id = $1 ORDER BY created_at, id;

-- name: DeleteToken
DELETE FROM api_tokens WHERE tenant_id = $1 AND id = $2;
