-- name: ReplayLocateEvent
SELECT id::text, webhook_id::text, status, stream_seq, created_at
FROM webhook_events WHERE tenant_id = $1 AND id = $2;

-- name: ReplayAuditInsert
INSERT INTO replay_audit (id, tenant_id, webhook_id, root_event_id, original_event_id, new_event_id,
    replay_count, modified, reason, actor_token_id, actor_role, workflow_id, job_id, stream_seq, created_at)
VALUES ($1, $2, nullif($3, '')::uuid, $4, $5, $6, $7, $8, $9, $10, $11, $12, nullif($13, '')::uuid, $14, $15)
ON CONFLICT (id) DO NOTHING;

-- name: ReplayAuditReset
DELETE FROM replay_audit;

-- name: ReplayAuditRoot
-- The root of an event's chain: its audit entry as a replay, its delivery
-- log row's replay_of, or the event itself when it is a root we know of.
SELECT coalesce(
    (SELECT root_event_id FROM replay_audit WHERE tenant_id = $1 AND new_event_id = $2 LIMIT 1),
    (SELECT coalesce(replay_of, id) FROM webhook_events WHERE tenant_id = $1 AND id = $2),
    (SELECT root_event_id FROM replay_audit WHERE tenant_id = $1 AND (root_event_id = $2 OR original_event_id = $2) LIMIT 1)
)::text;

-- name: ReplayAuditList
SELECT id::text, root_event_id::text, original_event_id::text, new_event_id::text, replay_count, modified,
    reason, actor_token_id, actor_role, workflow_id, coalesce(job_id::text, ''), created_at
FROM replay_audit WHERE tenant_id = $1 AND root_event_id = $2
ORDER BY created_at, id;

-- name: ReplaySelectionCount
SELECT count(*), coalesce(min(stream_seq), 0), coalesce(max(stream_seq), 0)
FROM webhook_events
WHERE tenant_id = $1 AND status <> 'rejected'
  AND (cardinality($2::uuid[]) = 0 OR id = ANY($2::uuid[]))
  AND ($3 = '' OR webhook_id = nullif($3, '')::uuid)
  AND ($4 = '' OR status = $4)
  AND ($5::timestamptz IS NULL OR created_at >= $5)
  AND ($6::timestamptz IS NULL OR created_at <= $6);

-- name: ReplayJobInsert
INSERT INTO replay_jobs (id, tenant_id, status, spec, subjects, use_set, start_seq, stop_seq, rate_per_sec,
    reason, workflow_id, actor_token_id, actor_role, matched, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
    CASE WHEN $3 = 'completed' THEN now() END);

-- name: ReplayJobFillSet
INSERT INTO replay_job_events (job_id, event_id)
SELECT $1, id FROM webhook_events
WHERE tenant_id = $2 AND status <> 'rejected'
  AND (cardinality($3::uuid[]) = 0 OR id = ANY($3::uuid[]))
  AND ($4 = '' OR webhook_id = nullif($4, '')::uuid)
  AND ($5 = '' OR status = $5)
  AND ($6::timestamptz IS NULL OR created_at >= $6)
  AND ($7::timestamptz IS NULL OR created_at <= $7)
ON CONFLICT DO NOTHING;

-- name: ReplayJobSetStats
UPDATE replay_jobs j SET matched = s.n, start_seq = s.lo, stop_seq = s.hi,
    status = CASE WHEN s.n = 0 THEN 'completed' ELSE j.status END,
    finished_at = CASE WHEN s.n = 0 THEN now() END
FROM (SELECT count(*) AS n, coalesce(min(e.stream_seq), 0) AS lo, coalesce(max(e.stream_seq), 0) AS hi
      FROM replay_job_events je JOIN webhook_events e ON e.id = je.event_id AND e.tenant_id = $2
      WHERE je.job_id = $1) s
WHERE j.id = $1;

-- name: ReplayJobGet
SELECT id::text, tenant_id::text, status, spec, subjects, use_set, start_seq, stop_seq, rate_per_sec, reason,
    workflow_id, actor_token_id, actor_role, matched, replayed, skipped, failed, position, error,
    created_at, started_at, finished_at
FROM replay_jobs WHERE tenant_id = $1 AND id = $2;

-- name: ReplayJobCancel
UPDATE replay_jobs SET status = 'cancelled', finished_at = now(), updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'running');

-- name: ReplayJobClaim
UPDATE replay_jobs SET status = 'running', lease_owner = $1, lease_until = now() + $2::float8 * interval '1 millisecond',
    started_at = coalesce(started_at, now()), updated_at = now()
WHERE id = (
    SELECT id FROM replay_jobs
    WHERE status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < now())
    ORDER BY created_at, id
    FOR UPDATE SKIP LOCKED
    LIMIT 1)
RETURNING id::text, tenant_id::text, status, spec, subjects, use_set, start_seq, stop_seq, rate_per_sec, reason,
    workflow_id, actor_token_id, actor_role, matched, replayed, skipped, failed, position, error,
    created_at, started_at, finished_at;

-- name: ReplayJobSaveProgress
UPDATE replay_jobs SET position = $3, replayed = $4, skipped = $5, failed = $6,
    lease_until = CASE WHEN status = 'running' THEN now() + $7::float8 * interval '1 millisecond' ELSE lease_until END,
    updated_at = now()
WHERE id = $1 AND lease_owner = $2 AND (status <> 'running' OR lease_until >= now())
RETURNING status;

-- name: ReplayJobFinish
UPDATE replay_jobs SET position = $3, replayed = $4, skipped = $5, failed = $6,
    status = CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE $7 END,
    error = $8, finished_at = coalesce(finished_at, now()), lease_owner = '', lease_until = NULL, updated_at = now()
WHERE id = $1 AND lease_owner = $2;

-- name: ReplayJobRelease
UPDATE replay_jobs SET position = $3, replayed = $4, skipped = $5, failed = $6,
    lease_until = NULL, lease_owner = '', updated_at = now()
WHERE id = $1 AND lease_owner = $2;

-- name: ReplayJobEventIDs
SELECT event_id::text FROM replay_job_events WHERE job_id = $1;

-- name: ReplayJobList
SELECT id::text, tenant_id::text, status, spec, subjects, use_set, start_seq, stop_seq, rate_per_sec, reason,
    workflow_id, actor_token_id, actor_role, matched, replayed, skipped, failed, position, error,
    created_at, started_at, finished_at
FROM replay_jobs WHERE tenant_id = $1
ORDER BY created_at DESC, id DESC
LIMIT $2;
