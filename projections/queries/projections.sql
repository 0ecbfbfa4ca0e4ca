-- name: TryProjectionLock
SELECT pg_try_advisory_lock($1);

-- name: EnsureCheckpoint
INSERT INTO projection_checkpoints (name, stream) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET stream = excluded.stream
RETURNING last_seq;

-- name: AdvanceCheckpoint
UPDATE projection_checkpoints SET last_seq = $3, updated_at = now()
WHERE name = $1 AND last_seq = $2;

-- name: ResetCheckpoint
UPDATE projection_checkpoints SET last_seq = 0, updated_at = now() WHERE name = $1;

-- name: ProjectionPosition
SELECT coalesce((SELECT last_seq FROM projection_checkpoints WHERE name = $1), 0),
       (SELECT count(*) FROM projection_dead_letters WHERE projection = $1);

-- name: ParkDeadLetter
INSERT INTO projection_dead_letters (projection, stream, stream_seq, event_id, event_type, tenant_id, attempts, error, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (projection, stream_seq) DO UPDATE SET attempts = excluded.attempts, error = excluded.error, parked_at = now();

-- name: DeleteDeadLetters
DELETE FROM projection_dead_letters WHERE projection = $1;

-- name: ListDeadLetters
SELECT projection, stream, stream_seq, event_id, event_type, tenant_id, attempts, error, parked_at
FROM projection_dead_letters WHERE projection = $1 ORDER BY stream_seq;
