-- name: WebhookStats
SELECT w.id::text, coalesce(s.trigger_count, 0), s.last_triggered_at,
    coalesce(h.errors, 0), coalesce(h.total, 0), coalesce(d.errors, 0), coalesce(d.total, 0)
FROM unnest($2::uuid[]) AS w(id)
LEFT JOIN webhook_stats s ON s.webhook_id = w.id AND s.tenant_id = $1
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status IN ('rejected', 'failed')) AS errors, count(*) AS total
    FROM webhook_events e WHERE e.tenant_id = $1 AND e.webhook_id = w.id AND e.created_at >= $3 AND NOT e.test
) h ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status IN ('rejected', 'failed')) AS errors, count(*) AS total
    FROM webhook_events e WHERE e.tenant_id = $1 AND e.webhook_id = w.id AND e.created_at >= $4 AND NOT e.test
) d ON true;

-- name: WebhookKnown
SELECT EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = $1 AND id = $2)
    OR EXISTS (SELECT 1 FROM webhook_stats WHERE tenant_id = $1 AND webhook_id = $2);

-- name: WebhookStatusCounts
SELECT status, count(*) FROM webhook_events WHERE tenant_id = $1 AND webhook_id = $2 AND NOT test GROUP BY status;
