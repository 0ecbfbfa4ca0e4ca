-- +goose Up
-- Workflows gain their settings (SPEC §6): description, retry, timeout and
-- circuit breaker. NULL settings mean the defaults.
ALTER TABLE workflows
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN retry       jsonb,
    ADD COLUMN timeout_ms  int,
    ADD COLUMN breaker     jsonb;

-- executions is the read model of one execution (projections executions,
-- from EXEC, and execution_triggers, from HOOKS). Both upsert: either may
-- arrive first. received_at starts the SLA clock.
CREATE TABLE executions (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    workflow_id   text NOT NULL DEFAULT '',
    workflow_name text NOT NULL DEFAULT '',
    webhook_id    text NOT NULL DEFAULT '',
    event_id      text NOT NULL DEFAULT '',
    priority      int NOT NULL DEFAULT 1,
    status        text NOT NULL DEFAULT 'pending',
    error         text,
    redrive_of    uuid,
    trigger_data  jsonb,
    step_count    int NOT NULL DEFAULT 0,
    current_step  int NOT NULL DEFAULT 0,
    received_at   timestamptz,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    duration_ms   bigint
);
CREATE INDEX executions_tenant_idx ON executions (tenant_id, created_at DESC, id DESC);
CREATE INDEX executions_workflow_idx ON executions (tenant_id, workflow_id, created_at DESC, id DESC);
CREATE INDEX executions_event_idx ON executions (tenant_id, event_id);
CREATE INDEX executions_started_idx ON executions (tenant_id, started_at) WHERE started_at IS NOT NULL;

-- execution_steps: one row per step of an execution; attempts is the list
-- of attempts (and circuit_open waits) in order.
CREATE TABLE execution_steps (
    execution_id    uuid NOT NULL,
    idx             int NOT NULL,
    tenant_id       uuid NOT NULL,
    name            text,
    type            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'pending',
    started_at      timestamptz,
    finished_at     timestamptz,
    duration_ms     bigint,
    error           text,
    output          jsonb,
    next_attempt_at timestamptz,
    attempts        jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (execution_id, idx)
);

-- dead_letters: one row per failed execution; a redrive records the new
-- execution (redrive_execution_id, the latest) and counts.
CREATE TABLE dead_letters (
    id                   uuid PRIMARY KEY,       -- the execution.failed event id
    tenant_id            uuid NOT NULL,
    execution_id         uuid NOT NULL UNIQUE,
    workflow_id          text NOT NULL DEFAULT '',
    webhook_id           text NOT NULL DEFAULT '',
    event_id             text NOT NULL DEFAULT '',
    priority             int NOT NULL DEFAULT 1,
    error                text NOT NULL DEFAULT '',
    failed_at            timestamptz NOT NULL,
    redriven_at          timestamptz,
    redrive_execution_id uuid,
    redrive_count        int NOT NULL DEFAULT 0
);
CREATE INDEX dead_letters_tenant_idx ON dead_letters (tenant_id, failed_at DESC, id DESC);

-- sla_targets: per tenant SLA targets in ms (configuration, not a read model).
CREATE TABLE sla_targets (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    critical_ms bigint NOT NULL DEFAULT 1000,
    high_ms     bigint NOT NULL DEFAULT 5000,
    normal_ms   bigint NOT NULL DEFAULT 30000,
    low_ms      bigint NOT NULL DEFAULT 300000,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- redrive_jobs: bulk redrives of dead letters, run by one node at a time
-- (lease); redrive_job_items is the set, done marks progress so a job
-- resumes after a restart.
CREATE TABLE redrive_jobs (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('running', 'completed', 'cancelled', 'failed')),
    matched     bigint NOT NULL DEFAULT 0,
    done        bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    lease_owner text NOT NULL DEFAULT '',
    lease_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX redrive_jobs_tenant_idx ON redrive_jobs (tenant_id, created_at DESC);
CREATE TABLE redrive_job_items (
    job_id         uuid NOT NULL REFERENCES redrive_jobs(id) ON DELETE CASCADE,
    dead_letter_id uuid NOT NULL,
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    PRIMARY KEY (job_id, dead_letter_id)
);

-- +goose Down
DROP TABLE redrive_job_items;
DROP TABLE redrive_jobs;
DROP TABLE sla_targets;
DROP TABLE dead_letters;
DROP TABLE execution_steps;
DROP TABLE executions;
ALTER TABLE workflows DROP COLUMN breaker, DROP COLUMN timeout_ms, DROP COLUMN retry, DROP COLUMN description;
