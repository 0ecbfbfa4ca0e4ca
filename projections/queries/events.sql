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
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding, test

-- name: GetEvent
SELECT id::text, webhook_id::text, workflow_id, execution_id, method, headers, query, body, content_type, status,
    response_status, error_message, processing_time_ms, delivery_id, replay_of::text, replay_count, priority,
    metadata, filtered_reason, duplicate_count, stream_seq, created_at, processed_at, body_encoding, test
FROM webhook_events WHERE tenant_id = $1 AND id = $2;

-- name: ListReplays
-- The replays of a delivery with their audit (replay.requested), as
-- GET /api/v1/events/{id}/replays shows it; the audit columns are NULL
-- until the replay_audit projection has the entry.
SELECT e.id::text, e.status, e.replay_count, e.created_at,
    a.actor_token_id, a.actor_role, a.reason, a.modified, a.original_event_id::text, a.created_at
FROM webhook_events e
LEFT JOIN replay_audit a ON a.tenant_id = e.tenant_id AND a.new_event_id = e.id
WHERE e.tenant_id = $1 AND e.replay_of = $2 ORDER BY e.created_at, e.id;
