-- name: ResetDeliveryLog
TRUNCATE webhook_events, webhook_stats;

-- name: ResetWebhookTriggerStats
UPDATE webhooks SET trigger_count = 0, last_triggered_at = NULL
WHERE trigger_count <> 0 OR last_triggered_at IS NOT NULL;

-- The delivery log is written set-based, a few statements per batch (see
-- DeliveryLog.Apply): status moves received → filtered | processed |
-- failed, failed → processed, never back; each UPDATE takes a row at most
-- once.

-- name: InsertDeliveryRowsDescribed
-- The rows of a batch, in QueryExecModeCacheDescribe: parameters travel in
-- binary (no text-array quoting of every body), ids as text cast here so
-- that PostgreSQL, not the client, refuses a malformed one (a poison event).
INSERT INTO webhook_events (id, tenant_id, webhook_id, workflow_id, execution_id, method, headers, query, body,
    body_text, content_type, status, response_status, error_message, delivery_id, replay_of, replay_count,
    priority, metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at,
    processing_time_ms, body_encoding, test)
SELECT u.id::uuid, u.tenant_id::uuid, u.webhook_id::uuid, u.workflow_id, u.execution_id, u.method, u.headers::jsonb,
    u.query::jsonb, u.body::jsonb, u.body_text, u.content_type, u.status, u.response_status, u.error_message,
    u.delivery_id, u.replay_of::uuid, u.replay_count, u.priority, u.metadata::jsonb, u.filtered_reason,
    u.duplicate_count, u.stream_seq, u.created_at, u.processed_at,
    extract(epoch FROM (u.processed_at - u.created_at)) * 1000, u.body_encoding, u.test
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::text[], $16::text[],
    $17::int[], $18::int[], $19::text[], $20::text[], $21::int[], $22::bigint[], $23::timestamptz[],
    $24::timestamptz[], $25::text[], $26::bool[])
    AS u(id, tenant_id, webhook_id, workflow_id, execution_id, method, headers, query, body, body_text,
         content_type, status, response_status, error_message, delivery_id, replay_of, replay_count, priority,
         metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding, test)
ON CONFLICT (id) DO NOTHING;

-- name: MarkFilteredBatch
UPDATE webhook_events e SET status = 'filtered', filtered_reason = u.reason, processed_at = u.at,
    processing_time_ms = extract(epoch FROM (u.at - e.created_at)) * 1000
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS u(id, tenant_id, reason, at)
WHERE e.id = u.id AND e.tenant_id = u.tenant_id AND e.status = 'received';

-- name: MarkProcessedBatch
UPDATE webhook_events e SET status = 'processed',
    execution_id = CASE WHEN u.execution_id = '' THEN e.execution_id ELSE u.execution_id END,
    workflow_id = CASE WHEN u.workflow_id = '' THEN e.workflow_id ELSE u.workflow_id END,
    processed_at = u.at,
    processing_time_ms = extract(epoch FROM (u.at - e.created_at)) * 1000,
    error_message = ''
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
    AS u(id, tenant_id, execution_id, workflow_id, at)
WHERE e.id = u.id AND e.tenant_id = u.tenant_id AND e.status IN ('received', 'failed');

-- name: MarkFailedBatch
UPDATE webhook_events e SET status = 'failed', error_message = u.error, processed_at = u.at,
    processing_time_ms = extract(epoch FROM (u.at - e.created_at)) * 1000
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS u(id, tenant_id, error, at)
WHERE e.id = u.id AND e.tenant_id = u.tenant_id AND e.status = 'received';

-- name: CountDuplicatesBatch
UPDATE webhook_events e SET duplicate_count = e.duplicate_count + u.n
FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS u(id, tenant_id, n)
WHERE e.id = u.id AND e.tenant_id = u.tenant_id;

-- name: LinkExecutionBatch
UPDATE webhook_events e SET
    execution_id = CASE WHEN u.execution_id = '' THEN e.execution_id ELSE u.execution_id END,
    workflow_id = CASE WHEN u.workflow_id = '' OR e.workflow_id <> '' THEN e.workflow_id ELSE u.workflow_id END
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS u(id, tenant_id, execution_id, workflow_id)
WHERE e.id = u.id AND e.tenant_id = u.tenant_id;

-- name: UpsertWebhookStats
INSERT INTO webhook_stats (webhook_id, tenant_id, trigger_count, last_triggered_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[])
ON CONFLICT (webhook_id) DO UPDATE SET
    trigger_count = webhook_stats.trigger_count + excluded.trigger_count,
    last_triggered_at = GREATEST(webhook_stats.last_triggered_at, excluded.last_triggered_at);

-- name: CopyStatsToWebhooks
UPDATE webhooks w SET trigger_count = s.trigger_count, last_triggered_at = s.last_triggered_at
FROM webhook_stats s WHERE s.webhook_id = w.id AND w.id = ANY($1::uuid[]);
