-- name: CheckJSONPath
SELECT $1::jsonpath IS NOT NULL;

-- name: TenantMaskPaths
SELECT id::text, ARRAY(SELECT jsonb_array_elements_text(config->'maskPaths'))
FROM webhooks
WHERE tenant_id = $1 AND jsonb_typeof(config->'maskPaths') = 'array' AND config->'maskPaths' <> '[]'::jsonb;

-- EventColumns is the select list of ListEvents and ExportEvents, whose
-- WHERE clause Events builds from the filters present (see eventQuery).

-- name: EventColumns
id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding

-- name: GetEvent
SELECT id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding
FROM webhook_events WHERE tenant_id = $1 AND id = $2;

-- name: ListReplays
SELECT id::text, status, replay_count, created_at FROM webhook_events
WHERE tenant_id = $1 AND replay_of = $2 ORDER BY created_at, id;
