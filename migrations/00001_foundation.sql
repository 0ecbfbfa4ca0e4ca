-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE tenants (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name           text NOT NULL UNIQUE,
    retention_days int  NOT NULL DEFAULT 30 CHECK (retention_days BETWEEN 1 AND 365),
    max_replays    int  NOT NULL DEFAULT 3 CHECK (max_replays BETWEEN 0 AND 10),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    role         text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX api_tokens_tenant_idx ON api_tokens (tenant_id);

-- webhooks is the read model of the webhook configuration, projected from
-- the config events; the source of truth is the JetStream KV bucket.
CREATE TABLE webhooks (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    workflow_id        text NOT NULL DEFAULT '',
    node_id            text NOT NULL DEFAULT '',
    name               text NOT NULL DEFAULT '',
    path               text NOT NULL UNIQUE,
    auth_type          text NOT NULL,
    enabled            boolean NOT NULL DEFAULT true,
    priority           int NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    config             jsonb NOT NULL DEFAULT '{}',
    last_triggered_at  timestamptz,
    trigger_count      bigint NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_tenant_idx ON webhooks (tenant_id, created_at DESC);

-- webhook_events is the delivery log (SPEC §7), one row per webhook.received
-- or webhook.rejected event, projected from the HOOKS stream.
CREATE TABLE webhook_events (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    webhook_id         uuid NOT NULL,
    workflow_id        text NOT NULL DEFAULT '',
    execution_id       text NOT NULL DEFAULT '',
    method             text NOT NULL DEFAULT '',
    headers            jsonb NOT NULL DEFAULT '{}',
    query              jsonb NOT NULL DEFAULT '{}',
    body               jsonb,
    body_text          text NOT NULL DEFAULT '',
    content_type       text NOT NULL DEFAULT '',
    status             text NOT NULL CHECK (status IN ('received', 'processed', 'filtered', 'failed', 'rejected')),
    response_status    int NOT NULL DEFAULT 0,
    error_message      text NOT NULL DEFAULT '',
    processing_time_ms double precision,
    delivery_id        text NOT NULL DEFAULT '',
    replay_of          uuid,
    replay_count       int NOT NULL DEFAULT 0,
    priority           int NOT NULL DEFAULT 1,
    metadata           jsonb NOT NULL DEFAULT '{}',
    filtered_reason    text NOT NULL DEFAULT '',
    duplicate_count    int NOT NULL DEFAULT 0,
    stream_seq         bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    processed_at       timestamptz
);
CREATE INDEX webhook_events_webhook_idx ON webhook_events (webhook_id);
CREATE INDEX webhook_events_tenant_idx ON webhook_events (tenant_id);
CREATE INDEX webhook_events_status_idx ON webhook_events (status);
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);
CREATE INDEX webhook_events_tenant_created_idx ON webhook_events (tenant_id, created_at DESC, id DESC);
CREATE INDEX webhook_events_tenant_status_created_idx ON webhook_events (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX webhook_events_tenant_webhook_created_idx ON webhook_events (tenant_id, webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_events_replay_of_idx ON webhook_events (replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX webhook_events_delivery_idx ON webhook_events (tenant_id, webhook_id, delivery_id) WHERE delivery_id <> '';
CREATE INDEX webhook_events_body_trgm_idx ON webhook_events USING gin (body_text gin_trgm_ops);
CREATE INDEX webhook_events_body_path_idx ON webhook_events USING gin (body jsonb_path_ops);

CREATE TABLE event_types (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid REFERENCES tenants(id) ON DELETE CASCADE,
    name        text NOT NULL,
    version     int NOT NULL CHECK (version >= 1),
    schema      jsonb NOT NULL,
    description text NOT NULL DEFAULT '',
    examples    jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX event_types_name_version_idx
    ON event_types (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), name, version);

CREATE TABLE webhook_filters (
    webhook_id uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    rule_set   jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflows (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       text NOT NULL,
    steps      jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflows_tenant_idx ON workflows (tenant_id, created_at DESC);

-- projection_checkpoints holds, per projection, the last stream sequence
-- applied; it is written in the same transaction as the projection's rows.
CREATE TABLE projection_checkpoints (
    name       text PRIMARY KEY,
    stream     text NOT NULL,
    last_seq   bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projection_checkpoints;
DROP TABLE workflows;
DROP TABLE webhook_filters;
DROP TABLE event_types;
DROP TABLE webhook_events;
DROP TABLE webhooks;
DROP TABLE api_tokens;
DROP TABLE tenants;
