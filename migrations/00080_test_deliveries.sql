-- Test-console deliveries are marked in the delivery log (SPEC §9: shown
-- with a badge, left out of statistics). webhook.received carries
-- data.test; webhook.rejected carries data.metadata.test.

-- +goose Up
ALTER TABLE webhook_events ADD COLUMN test boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE webhook_events DROP COLUMN test;
