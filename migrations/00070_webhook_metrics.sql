-- +goose Up
-- webhook_metrics_minute is the metrics read model (2.7/7): per tenant,
-- webhook and minute (of the event's time), the deliveries accepted
-- (webhook.received), rejected, filtered, processed and failed, and a
-- histogram of ingest latency (metadata.ingestMs of webhook.received) in
-- fixed log-spaced buckets (projections.LatencyBucketBounds), so p50/p99
-- of any range are read by summing histograms. Fed by the "metrics"
-- projection of the HOOKS stream; rebuildable.
CREATE TABLE webhook_metrics_minute (
    tenant_id    text        NOT NULL,
    webhook_id   text        NOT NULL,
    minute       timestamptz NOT NULL,
    received     bigint      NOT NULL DEFAULT 0,
    rejected     bigint      NOT NULL DEFAULT 0,
    filtered     bigint      NOT NULL DEFAULT 0,
    processed    bigint      NOT NULL DEFAULT 0,
    failed       bigint      NOT NULL DEFAULT 0,
    latency_hist bigint[]    NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, webhook_id, minute)
);
CREATE INDEX webhook_metrics_minute_tenant_idx ON webhook_metrics_minute (tenant_id, minute);

-- +goose Down
DROP TABLE IF EXISTS webhook_metrics_minute;
