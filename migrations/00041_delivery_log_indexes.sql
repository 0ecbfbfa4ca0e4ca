-- +goose Up
-- The delivery log is always read per tenant: the composite indexes
-- (tenant_id, created_at DESC, id DESC), (tenant_id, status, created_at
-- DESC, id DESC) and (tenant_id, webhook_id, created_at DESC, id DESC)
-- serve every query. The foundation's single-column indexes only cost
-- writes (every projected row maintained them) and tempted the planner
-- into scanning created_at across all tenants and filtering (the latest
-- page of one tenant and status at 1M rows).
DROP INDEX IF EXISTS webhook_events_tenant_idx;
DROP INDEX IF EXISTS webhook_events_status_idx;
DROP INDEX IF EXISTS webhook_events_created_idx;
DROP INDEX IF EXISTS webhook_events_webhook_idx;

-- +goose Down
CREATE INDEX IF NOT EXISTS webhook_events_webhook_idx ON webhook_events (webhook_id);
CREATE INDEX IF NOT EXISTS webhook_events_tenant_idx ON webhook_events (tenant_id);
CREATE INDEX IF NOT EXISTS webhook_events_status_idx ON webhook_events (status);
CREATE INDEX IF NOT EXISTS webhook_events_created_idx ON webhook_events (created_at);
