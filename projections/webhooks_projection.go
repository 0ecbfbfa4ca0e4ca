package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// WebhooksName is the webhooks projection's name.
const WebhooksName = "webhooks"

// Webhooks projects the CONFIG stream (webhook.created, webhook.updated,
// webhook.deleted; data is the webhook's JSON without secrets) into the
// webhooks table. config holds the whole JSON (maskPaths included); the
// trigger statistics come from webhook_stats, whichever projection runs
// first.
type Webhooks struct{}

// Name implements Projection.
func (Webhooks) Name() string { return WebhooksName }

// Stream implements Projection.
func (Webhooks) Stream() string { return eventstore.StreamConfig }

// Reset implements Projection.
func (Webhooks) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, q("ResetWebhooks"))
	return err
}

// Apply implements Projection.
func (Webhooks) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	b := &pgx.Batch{}
	for _, ev := range events {
		switch ev.Type {
		case hookstream.EventWebhookCreated, hookstream.EventWebhookUpdated:
			var w hookstream.Webhook
			if err := json.Unmarshal(ev.Data, &w); err != nil {
				return fmt.Errorf("%w: %s %d: %w", ErrPoison, ev.Type, ev.Sequence, err)
			}
			if w.ID == "" {
				w.ID = ev.WebhookID
			}
			if w.TenantID == "" {
				w.TenantID = ev.TenantID
			}
			if w.TenantID != ev.TenantID {
				return fmt.Errorf("%w: webhook %s names tenant %s in an event of tenant %s", ErrPoison, w.ID, w.TenantID, ev.TenantID)
			}
			created, updated := w.CreatedAt, w.UpdatedAt
			if created.IsZero() {
				created = ev.Time
			}
			if updated.IsZero() {
				updated = ev.Time
			}
			b.Queue(q("UpsertWebhook"), w.ID, w.TenantID, w.WorkflowID, w.NodeID, w.Name, w.Path, w.AuthType,
				w.Enabled, int(w.Priority), string(pgJSON(ev.Data)), created, updated)
		case hookstream.EventWebhookDeleted:
			id := ev.WebhookID
			var w struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(ev.Data, &w) == nil && w.ID != "" {
				id = w.ID
			}
			b.Queue(q("DeleteWebhook"), id, ev.TenantID)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}
