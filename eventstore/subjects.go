package eventstore

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/hookstream/hookstream"
)

// Stream names.
const (
	StreamHooks  = "HOOKS"
	StreamExec   = "EXEC"
	StreamConfig = "CONFIG"
)

// Streams lists every stream Open ensures, with its subject prefix.
var Streams = []struct{ Name, Prefix string }{
	{StreamHooks, "hooks"},
	{StreamExec, "exec"},
	{StreamConfig, "config"},
}

// StreamFor returns the stream an event type belongs to.
func StreamFor(t hookstream.EventType) string {
	switch {
	case t == hookstream.EventWebhookCreated, t == hookstream.EventWebhookUpdated,
		t == hookstream.EventWebhookDeleted, t == hookstream.EventWebhookSecretRotated:
		return StreamConfig
	case strings.HasPrefix(t, "execution."), strings.HasPrefix(t, "step."):
		return StreamExec
	default:
		return StreamHooks
	}
}

func prefixOf(stream string) string {
	for _, s := range Streams {
		if s.Name == stream {
			return s.Prefix
		}
	}
	return "hooks"
}

// Subject returns the subject of an event (see the package doc).
func Subject(ev *hookstream.Event) string {
	stream := StreamFor(ev.Type)
	entity := ev.WebhookID
	if stream == StreamExec {
		entity = ev.WorkflowID
	}
	if entity == "" {
		entity = "_"
	}
	return prefixOf(stream) + "." + ev.TenantID + "." + entity + "." + ev.Type
}

// SubjectFilter builds a subject filter for a stream. Empty arguments are
// wildcards; an empty eventType matches every type.
func SubjectFilter(stream, tenantID, entityID, eventType string) string {
	t, e := "*", "*"
	if tenantID != "" {
		t = tenantID
	}
	if entityID != "" {
		e = entityID
	}
	if eventType == "" {
		return prefixOf(stream) + "." + t + "." + e + ".>"
	}
	return prefixOf(stream) + "." + t + "." + e + "." + eventType
}

// MsgIDForDelivery derives the Nats-Msg-Id of a webhook.received event from
// the sender's delivery id, so a redelivery inside the duplicate window is
// recognised: hash(tenant, webhook, delivery id).
func MsgIDForDelivery(tenantID, webhookID, deliveryID string) string {
	h := sha256.New()
	h.Write([]byte(tenantID))
	h.Write([]byte{0})
	h.Write([]byte(webhookID))
	h.Write([]byte{0})
	h.Write([]byte(deliveryID))
	return "d-" + hex.EncodeToString(h.Sum(nil)[:20])
}
