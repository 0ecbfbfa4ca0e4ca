-- +goose Up
-- projection_dead_letters parks events a projection could not apply after
-- MaxDeliver attempts (poison events); the projection moves on past them.
CREATE TABLE projection_dead_letters (
    projection  text NOT NULL,
    stream      text NOT NULL,
    stream_seq  bigint NOT NULL,
    event_id    text NOT NULL DEFAULT '',
    event_type  text NOT NULL DEFAULT '',
    tenant_id   text NOT NULL DEFAULT '',
    attempts    int NOT NULL,
    error       text NOT NULL,
    data        bytea,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, stream_seq)
);

-- webhook_stats is the per-webhook trigger statistics, projected from
-- webhook.received with the delivery log. It outlives retention (the
-- delivery log rows do not) and is copied onto webhooks.trigger_count /
-- last_triggered_at whatever order the HOOKS and CONFIG projections run in.
CREATE TABLE webhook_stats (
    webhook_id        uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL,
    trigger_count     bigint NOT NULL DEFAULT 0,
    last_triggered_at timestamptz
);

-- retention_runs records each retention sweep (per tenant) for operators.
CREATE TABLE retention_runs (
    tenant_id  uuid NOT NULL,
    ran_at     timestamptz NOT NULL,
    cutoff     timestamptz NOT NULL,
    deleted    bigint NOT NULL,
    PRIMARY KEY (tenant_id, ran_at)
);

-- body_encoding is "base64" when the body is binary (body then holds the
-- base64 string), "" otherwise.
ALTER TABLE webhook_events ADD COLUMN body_encoding text NOT NULL DEFAULT '';

-- Error-rate windows scan (tenant, webhook, created_at); the foundation's
-- (tenant_id, webhook_id, created_at DESC, id DESC) index serves them.

-- +goose Down
ALTER TABLE webhook_events DROP COLUMN body_encoding;
DROP TABLE retention_runs;
DROP TABLE webhook_stats;
DROP TABLE projection_dead_letters;
