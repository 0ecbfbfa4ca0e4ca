-- name: ResetWebhooks
DELETE FROM webhooks;

-- name: UpsertWebhook
INSERT INTO webhooks (id, tenant_id, workflow_id, node_id, name, path, auth_type, enabled, priority, config,
    created_at, updated_at, trigger_count, last_triggered_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
    coalesce(s.trigger_count, 0), s.last_triggered_at
FROM (SELECT 1) one LEFT JOIN webhook_stats s ON s.webhook_id = $1::uuid
ON CONFLICT (id) DO UPDATE SET
    workflow_id = excluded.workflow_id, node_id = excluded.node_id, name = excluded.name,
    path = excluded.path, auth_type = excluded.auth_type, enabled = excluded.enabled,
    priority = excluded.priority, config = excluded.config, updated_at = excluded.updated_at
WHERE webhooks.tenant_id = excluded.tenant_id;

-- name: DeleteWebhook
DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2;
