-- name: RetentionTenants
SELECT id::text, retention_days FROM tenants ORDER BY id;

-- name: RetentionDeleteBatch
DELETE FROM webhook_events WHERE id IN (
    SELECT id FROM webhook_events WHERE tenant_id = $1 AND created_at < $2 LIMIT $3
);

-- name: RecordRetentionRun
INSERT INTO retention_runs (tenant_id, ran_at, cutoff, deleted) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, ran_at) DO UPDATE SET deleted = retention_runs.deleted + excluded.deleted;
