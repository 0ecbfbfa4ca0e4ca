-- name: ResetDeliveryLog
TRUNCATE webhook_events, webhook_stats;

-- name: ResetWebhookTriggerStats
UPDATE webhooks SET trigger_count = 0, last_triggered_at = NULL
WHERE trigger_count <> 0 OR last_triggered_at IS NOT NULL;

-- name: InsertReceived
INSERT INTO webhook_events (id, tenant_id, webhook_id, workflow_id, method, headers, query, body, body_text,
    content_type, status, delivery_id, replay_of, replay_count, priority, metadata, stream_seq, created_at, body_encoding)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (id) DO NOTHING;

-- name: InsertRejected
INSERT INTO webhook_events (id, tenant_id, webhook_id, workflow_id, method, headers, query, body, body_text,
    status, response_status, error_message, metadata, stream_seq, created_at, priority, replay_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'rejected', $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (id) DO NOTHING;

-- name: MarkFiltered
UPDATE webhook_events SET status = 'filtered', filtered_reason = $3, processed_at = $4,
    processing_time_ms = extract(epoch FROM ($4::timestamptz - created_at)) * 1000
WHERE id = $1 AND tenant_id = $2 AND status = 'received';

-- name: MarkProcessed
UPDATE webhook_events SET status = 'processed',
    execution_id = CASE WHEN $3 = '' THEN execution_id ELSE $3 END,
    workflow_id = CASE WHEN $4 = '' THEN workflow_id ELSE $4 END,
    processed_at = $5,
    processing_time_ms = extract(epoch FROM ($5::timestamptz - created_at)) * 1000,
    error_message = ''
WHERE id = $1 AND tenant_id = $2 AND status IN ('received', 'failed');

-- name: MarkFailed
UPDATE webhook_events SET status = 'failed', error_message = $3, processed_at = $4,
    processing_time_ms = extract(epoch FROM ($4::timestamptz - created_at)) * 1000
WHERE id = $1 AND tenant_id = $2 AND status = 'received';

-- name: CountDuplicate
UPDATE webhook_events SET duplicate_count = duplicate_count + 1 WHERE id = $1 AND tenant_id = $2;

-- name: LinkExecution
UPDATE webhook_events SET
    execution_id = CASE WHEN $3 = '' THEN execution_id ELSE $3 END,
    workflow_id = CASE WHEN $4 = '' OR workflow_id <> '' THEN workflow_id ELSE $4 END
WHERE id = $1 AND tenant_id = $2;

-- name: UpsertWebhookStats
INSERT INTO webhook_stats (webhook_id, tenant_id, trigger_count, last_triggered_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[])
ON CONFLICT (webhook_id) DO UPDATE SET
    trigger_count = webhook_stats.trigger_count + excluded.trigger_count,
    last_triggered_at = GREATEST(webhook_stats.last_triggered_at, excluded.last_triggered_at);

-- name: CopyStatsToWebhooks
UPDATE webhooks w SET trigger_count = s.trigger_count, last_triggered_at = s.last_triggered_at
FROM webhook_stats s WHERE s.webhook_id = w.id AND w.id = ANY($1::uuid[]);
