-- name: CheckJSONPath
SELECT $1::jsonpath IS NOT NULL;

-- name: TenantMaskPaths
SELECT id::text, ARRAY(SELECT jsonb_array_elements_text(config->'maskPaths'))
FROM webhooks
WHERE tenant_id = $1 AND jsonb_typeof(config->'maskPaths') = 'array' AND jsonb_array_length(config->'maskPaths') > 0;

-- Filters: $1 tenant, $2 webhook, $3 workflow, $4 statuses, $5 from, $6 to,
-- $7 LIKE pattern on body_text (pg_trgm index), $8 jsonpath predicate (@@,
-- jsonb_path_ops index), $9 jsonpath filter (@?). Queries run in
-- QueryExecModeExec, so PostgreSQL plans each with its actual values and
-- the NULL tests fold away: the (tenant_id, status, created_at DESC) index
-- serves status lists, (tenant_id, created_at DESC) the rest.

-- name: ListEvents
SELECT id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding
FROM webhook_events
WHERE tenant_id = $1
  AND ($2::uuid IS NULL OR webhook_id = $2::uuid)
  AND ($3::text IS NULL OR workflow_id = $3::text)
  AND ($4::text[] IS NULL OR status = ANY($4::text[]))
  AND ($5::timestamptz IS NULL OR created_at >= $5::timestamptz)
  AND ($6::timestamptz IS NULL OR created_at < $6::timestamptz)
  AND ($7::text IS NULL OR body_text LIKE $7::text)
  AND ($8::jsonpath IS NULL OR body @@ $8::jsonpath)
  AND ($9::jsonpath IS NULL OR body @? $9::jsonpath)
  AND ($10::timestamptz IS NULL OR (created_at, id) < ($10::timestamptz, $11::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $12;

-- name: ExportEvents
SELECT id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding
FROM webhook_events
WHERE tenant_id = $1
  AND ($2::uuid IS NULL OR webhook_id = $2::uuid)
  AND ($3::text IS NULL OR workflow_id = $3::text)
  AND ($4::text[] IS NULL OR status = ANY($4::text[]))
  AND ($5::timestamptz IS NULL OR created_at >= $5::timestamptz)
  AND ($6::timestamptz IS NULL OR created_at < $6::timestamptz)
  AND ($7::text IS NULL OR body_text LIKE $7::text)
  AND ($8::jsonpath IS NULL OR body @@ $8::jsonpath)
  AND ($9::jsonpath IS NULL OR body @? $9::jsonpath)
ORDER BY created_at DESC, id DESC;

-- name: GetEvent
SELECT id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding
FROM webhook_events WHERE tenant_id = $1 AND id = $2;

-- name: ListReplays
SELECT id::text, status, replay_count, created_at FROM webhook_events
WHERE tenant_id = $1 AND replay_of = $2 ORDER BY created_at, id;
