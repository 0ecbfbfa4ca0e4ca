-- Read models of executions (SPEC §6): executions, execution_steps and
-- dead_letters, projected from EXEC (projection executions) and from the
-- workflow.triggered events of HOOKS (projection execution_triggers).

-- name: ExecTriggered
INSERT INTO executions (id, tenant_id, workflow_id, webhook_id, event_id, priority, status, redrive_of,
    trigger_data, received_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, 'pending', nullif($7, '')::uuid, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET
    trigger_data = excluded.trigger_data,
    redrive_of = coalesce(executions.redrive_of, excluded.redrive_of),
    webhook_id = CASE WHEN executions.webhook_id = '' THEN excluded.webhook_id ELSE executions.webhook_id END,
    event_id = CASE WHEN executions.event_id = '' THEN excluded.event_id ELSE executions.event_id END,
    received_at = coalesce(executions.received_at, excluded.received_at),
    created_at = least(executions.created_at, excluded.created_at);

-- name: ExecLinkRedrive
-- The dead letter of the failed execution $1 records its latest redrive.
UPDATE dead_letters d SET
    redrive_count = (SELECT count(*) FROM executions e WHERE e.redrive_of = d.execution_id),
    redrive_execution_id = (SELECT e.id FROM executions e WHERE e.redrive_of = d.execution_id ORDER BY e.created_at DESC, e.id DESC LIMIT 1),
    redriven_at = (SELECT e.created_at FROM executions e WHERE e.redrive_of = d.execution_id ORDER BY e.created_at DESC, e.id DESC LIMIT 1)
WHERE d.execution_id = $1;

-- name: ExecStarted
INSERT INTO executions (id, tenant_id, workflow_id, webhook_id, event_id, priority, status, redrive_of,
    step_count, received_at, created_at, started_at)
VALUES ($1, $2, $3, $4, $5, $6, 'running', nullif($7, '')::uuid, $8, $9, $10, $10)
ON CONFLICT (id) DO UPDATE SET
    status = CASE WHEN executions.status IN ('completed', 'failed', 'cancelled') THEN executions.status ELSE 'running' END,
    step_count = excluded.step_count,
    started_at = coalesce(executions.started_at, excluded.started_at),
    received_at = coalesce(executions.received_at, excluded.received_at),
    redrive_of = coalesce(executions.redrive_of, excluded.redrive_of);

-- name: ExecStepsInit
INSERT INTO execution_steps (execution_id, idx, tenant_id, name, type)
SELECT $1, s.i - 1, $2, nullif(s.name, ''), s.type
FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS s(type, name, i)
ON CONFLICT (execution_id, idx) DO UPDATE SET type = excluded.type, name = excluded.name;

-- name: ExecStepStarted
-- $4: the new attempt entry; $5: waiting (delay) or running; $6: resume time.
INSERT INTO execution_steps (execution_id, idx, tenant_id, type, status, started_at, attempts, next_attempt_at)
VALUES ($1, $2, $3, $7, $5, $8, jsonb_build_array($4::jsonb), $6)
ON CONFLICT (execution_id, idx) DO UPDATE SET
    status = $5, started_at = coalesce(execution_steps.started_at, $8),
    attempts = execution_steps.attempts || jsonb_build_array($4::jsonb), next_attempt_at = $6;

-- name: ExecProgress
UPDATE executions SET current_step = greatest(current_step, $2),
    status = CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN status ELSE $3 END
WHERE id = $1;

-- name: ExecStepRetrying
-- A result patches the last attempt; a circuit_open wait is an entry of its own.
UPDATE execution_steps SET status = 'retrying', next_attempt_at = $3,
    attempts = CASE
        WHEN $5 OR jsonb_array_length(attempts) = 0 THEN attempts || jsonb_build_array($4::jsonb)
        ELSE jsonb_set(attempts, ARRAY[(jsonb_array_length(attempts) - 1)::text], (attempts -> -1) || $4::jsonb)
    END
WHERE execution_id = $1 AND idx = $2;

-- name: ExecStepFinished
UPDATE execution_steps SET status = $3, finished_at = $4,
    duration_ms = $5, error = nullif($6, ''), output = $7, next_attempt_at = NULL,
    started_at = coalesce(started_at, $4),
    attempts = CASE
        WHEN jsonb_array_length(attempts) = 0 THEN jsonb_build_array($8::jsonb)
        ELSE jsonb_set(attempts, ARRAY[(jsonb_array_length(attempts) - 1)::text], (attempts -> -1) || $8::jsonb)
    END
WHERE execution_id = $1 AND idx = $2;

-- name: ExecFinished
INSERT INTO executions (id, tenant_id, workflow_id, webhook_id, event_id, priority, status, error,
    created_at, finished_at, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''), $9, $9, $10)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error,
    finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
    current_step = CASE WHEN excluded.status = 'completed' THEN executions.step_count ELSE executions.current_step END;

-- name: DeadLetterInsert
INSERT INTO dead_letters (id, tenant_id, execution_id, workflow_id, webhook_id, event_id, priority, error, failed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (execution_id) DO NOTHING;

-- name: ExecutionsReset
DELETE FROM executions WHERE trigger_data IS NULL;
-- name: ExecutionsResetRows
UPDATE executions SET status = 'pending', error = NULL, step_count = 0, current_step = 0,
    started_at = NULL, finished_at = NULL, duration_ms = NULL;
-- name: ExecutionStepsReset
DELETE FROM execution_steps;
-- name: DeadLettersReset
DELETE FROM dead_letters;
-- name: ExecutionTriggersReset
UPDATE executions SET trigger_data = NULL;

-- name: ExecutionsList
SELECT e.id::text, e.workflow_id, coalesce(w.name, ''), e.webhook_id, e.event_id, e.priority, e.status, e.error,
    e.redrive_of::text, e.created_at, e.started_at, e.finished_at, e.duration_ms, e.step_count, e.current_step
FROM executions e LEFT JOIN workflows w ON w.id::text = e.workflow_id AND w.tenant_id = e.tenant_id
WHERE e.tenant_id = $1
  AND ($2 = '' OR e.workflow_id = $2)
  AND ($3 = '' OR e.webhook_id = $3)
  AND ($4 = '' OR e.event_id = $4)
  AND ($5 = '' OR e.status = $5)
  AND ($6::int IS NULL OR e.priority = $6)
  AND ($7::timestamptz IS NULL OR e.created_at >= $7)
  AND ($8::timestamptz IS NULL OR e.created_at <= $8)
  AND ($9::timestamptz IS NULL OR (e.created_at, e.id) < ($9, $10::uuid))
ORDER BY e.created_at DESC, e.id DESC
LIMIT $11;

-- name: ExecutionGet
SELECT e.id::text, e.workflow_id, coalesce(w.name, ''), e.webhook_id, e.event_id, e.priority, e.status, e.error,
    e.redrive_of::text, e.created_at, e.started_at, e.finished_at, e.duration_ms, e.step_count, e.current_step,
    e.trigger_data
FROM executions e LEFT JOIN workflows w ON w.id::text = e.workflow_id AND w.tenant_id = e.tenant_id
WHERE e.tenant_id = $1 AND e.id = $2;

-- name: ExecutionSteps
SELECT idx, name, type, status, started_at, finished_at, duration_ms, error, output, next_attempt_at, attempts
FROM execution_steps WHERE execution_id = $1 AND tenant_id = $2 ORDER BY idx;

-- name: DeadLettersList
SELECT id::text, execution_id::text, workflow_id, webhook_id, event_id, priority, error, failed_at,
    redriven_at, redrive_execution_id::text, redrive_count
FROM dead_letters
WHERE tenant_id = $1
  AND ($2 = '' OR workflow_id = $2)
  AND ($3 = '' OR webhook_id = $3)
  AND ($4::timestamptz IS NULL OR failed_at >= $4)
  AND ($5::timestamptz IS NULL OR failed_at <= $5)
  AND ($6::timestamptz IS NULL OR (failed_at, id) < ($6, $7::uuid))
  AND (cardinality($8::uuid[]) = 0 OR id = ANY($8::uuid[]))
ORDER BY failed_at DESC, id DESC
LIMIT $9;

-- name: DeadLetterGet
SELECT id::text, execution_id::text, workflow_id, webhook_id, event_id, priority, error, failed_at,
    redriven_at, redrive_execution_id::text, redrive_count
FROM dead_letters WHERE tenant_id = $1 AND id = $2;

-- name: ExecutionTrigger
SELECT workflow_id, webhook_id, priority, trigger_data FROM executions WHERE tenant_id = $1 AND id = $2;

-- name: SLATargetsGet
SELECT critical_ms, high_ms, normal_ms, low_ms FROM sla_targets WHERE tenant_id = $1;

-- name: SLATargetsPut
INSERT INTO sla_targets (tenant_id, critical_ms, high_ms, normal_ms, low_ms) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id) DO UPDATE SET critical_ms = $2, high_ms = $3, normal_ms = $4, low_ms = $5, updated_at = now();

-- name: SLAStats
-- Per priority over the last hour and day: starts, p50/p95/p99 time to
-- start (ms) and breaches of the targets $2..$5 (critical, high, normal, low).
SELECT priority,
    count(*) FILTER (WHERE started_at >= now() - interval '1 hour'),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY lat) FILTER (WHERE started_at >= now() - interval '1 hour'),
    percentile_cont(0.95) WITHIN GROUP (ORDER BY lat) FILTER (WHERE started_at >= now() - interval '1 hour'),
    percentile_cont(0.99) WITHIN GROUP (ORDER BY lat) FILTER (WHERE started_at >= now() - interval '1 hour'),
    count(*) FILTER (WHERE started_at >= now() - interval '1 hour' AND lat > target),
    count(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY lat),
    percentile_cont(0.95) WITHIN GROUP (ORDER BY lat),
    percentile_cont(0.99) WITHIN GROUP (ORDER BY lat),
    count(*) FILTER (WHERE lat > target)
FROM (
    SELECT priority, started_at,
        greatest(extract(epoch FROM (started_at - coalesce(received_at, created_at))) * 1000, 0) AS lat,
        CASE priority WHEN 3 THEN $2 WHEN 2 THEN $3 WHEN 1 THEN $4 ELSE $5 END::float8 AS target
    FROM executions
    WHERE tenant_id = $1 AND started_at >= now() - interval '1 day' AND redrive_of IS NULL
) s
GROUP BY priority;

-- name: RedriveJobInsert
INSERT INTO redrive_jobs (id, tenant_id, status, matched, finished_at)
VALUES ($1, $2, CASE WHEN $3 = 0 THEN 'completed' ELSE 'running' END, $3, CASE WHEN $3 = 0 THEN now() END);

-- name: RedriveJobItems
INSERT INTO redrive_job_items (job_id, dead_letter_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING;

-- name: RedriveJobGet
SELECT id::text, status, matched, done, failed, created_at, finished_at FROM redrive_jobs WHERE tenant_id = $1 AND id = $2;

-- name: RedriveJobList
SELECT id::text, status, matched, done, failed, created_at, finished_at FROM redrive_jobs
WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100;

-- name: RedriveJobCancel
UPDATE redrive_jobs SET status = 'cancelled', finished_at = now()
WHERE tenant_id = $1 AND id = $2 AND status = 'running';

-- name: RedriveJobClaim
UPDATE redrive_jobs SET lease_owner = $1, lease_until = now() + $2::float8 * interval '1 millisecond'
WHERE id = (
    SELECT id FROM redrive_jobs WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id::text, tenant_id::text;

-- name: RedriveJobPending
SELECT dead_letter_id::text FROM redrive_job_items WHERE job_id = $1 AND state = 'pending'
ORDER BY dead_letter_id LIMIT $2;

-- name: RedriveJobMark
WITH u AS (
    UPDATE redrive_job_items SET state = $3 WHERE job_id = $1 AND dead_letter_id = $2 AND state = 'pending' RETURNING state
)
UPDATE redrive_jobs SET done = done + (SELECT count(*) FROM u WHERE state = 'done'),
    failed = failed + (SELECT count(*) FROM u WHERE state = 'failed'),
    lease_until = now() + $4::float8 * interval '1 millisecond'
WHERE id = $1
RETURNING status;

-- name: RedriveJobFinish
UPDATE redrive_jobs SET status = 'completed', finished_at = now(), lease_until = NULL
WHERE id = $1 AND status = 'running';
