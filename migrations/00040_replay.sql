-- +goose Up
-- replay_audit is the read model of replay.requested events (SPEC §7): one
-- row per replay, projected from the HOOKS stream. root_event_id groups a
-- chain (replays of replays count against the same root).
CREATE TABLE replay_audit (
    id                uuid PRIMARY KEY,            -- the replay.requested event id
    tenant_id         uuid NOT NULL,
    webhook_id        uuid,
    root_event_id     uuid NOT NULL,
    original_event_id uuid NOT NULL,
    new_event_id      uuid NOT NULL,
    replay_count      int NOT NULL,
    modified          boolean NOT NULL DEFAULT false,
    reason            text NOT NULL DEFAULT '',
    actor_token_id    text NOT NULL DEFAULT '',
    actor_role        text NOT NULL DEFAULT '',
    workflow_id       text NOT NULL DEFAULT '',
    job_id            uuid,
    stream_seq        bigint NOT NULL,
    created_at        timestamptz NOT NULL
);
CREATE INDEX replay_audit_root_idx ON replay_audit (tenant_id, root_event_id, created_at, id);
CREATE INDEX replay_audit_original_idx ON replay_audit (tenant_id, original_event_id);
CREATE INDEX replay_audit_new_idx ON replay_audit (tenant_id, new_event_id);

-- replay_jobs holds batch replay jobs (SPEC §7). A job is run by one node at
-- a time: the node holding an unexpired lease (lease_owner, lease_until).
-- position is the last stream sequence whose event was fully handled, so a
-- job resumes after a restart from position + 1.
CREATE TABLE replay_jobs (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status        text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'cancelled', 'failed')),
    spec          jsonb NOT NULL,            -- filter / ids as requested
    subjects      text[] NOT NULL,           -- stream subject filter of the re-read
    use_set       boolean NOT NULL DEFAULT false, -- replay only the ids in replay_job_events
    start_seq     bigint NOT NULL,
    stop_seq      bigint NOT NULL,
    to_time       timestamptz,
    rate_per_sec  double precision NOT NULL,
    reason        text NOT NULL DEFAULT '',
    workflow_id   text NOT NULL DEFAULT '',
    actor_token_id text NOT NULL DEFAULT '',
    actor_role    text NOT NULL DEFAULT '',
    matched       bigint NOT NULL DEFAULT 0,
    replayed      bigint NOT NULL DEFAULT 0,
    skipped       bigint NOT NULL DEFAULT 0,
    failed        bigint NOT NULL DEFAULT 0,
    position      bigint NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    lease_owner   text NOT NULL DEFAULT '',
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replay_jobs_tenant_idx ON replay_jobs (tenant_id, created_at DESC);
CREATE INDEX replay_jobs_runnable_idx ON replay_jobs (created_at) WHERE status IN ('pending', 'running');

-- replay_job_events is the id set of a job that replays chosen events
-- (ids, or a status filter matched in the delivery log).
CREATE TABLE replay_job_events (
    job_id   uuid NOT NULL REFERENCES replay_jobs(id) ON DELETE CASCADE,
    event_id uuid NOT NULL,
    PRIMARY KEY (job_id, event_id)
);

-- +goose Down
DROP TABLE replay_job_events;
DROP TABLE replay_jobs;
DROP TABLE replay_audit;
