package webhooks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/schema"
)

// BucketDefault is the KV bucket of webhook configuration.
const BucketDefault = "webhooks"

// TestsKept is how many test-console runs are kept per webhook.
const TestsKept = 10

// Record is the stored configuration of one webhook: the value of key
// wh.<tenantId>.<webhookId> and the data of its config events. Its JSON is
// the webhook's JSON (so a config event decodes as a hookstream.Webhook)
// plus "sealed" and "schema".
type Record struct {
	// Webhook has no statistics and no URL (both are computed when shown).
	hookstream.Webhook
	// Sealed is the JSON of hookstream.WebhookSecrets sealed with the
	// master key, the webhook id as additional data.
	Sealed string `json:"sealed,omitempty"`
	// Schema is the webhook's event type version, copied when saved.
	Schema *schema.Type `json:"schema,omitempty"`
}

func recordKey(tenantID, id string) string { return "wh." + tenantID + "." + id }
func pathKey(path string) string           { return "path." + path }
func testsKey(tenantID, id string) string  { return "tests." + tenantID + "." + id }

// keyIDs splits a wh.<tenant>.<id> key.
func keyIDs(key string) (tenantID, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, "wh.")
	if !ok {
		return "", "", false
	}
	tenantID, id, ok = strings.Cut(rest, ".")
	return tenantID, id, ok && tenantID != "" && id != ""
}

// seal seals secrets for webhook id.
func seal(s *hookstream.Sealer, id string, sec hookstream.WebhookSecrets) (string, error) {
	raw, err := json.Marshal(sec) //nolint:gosec // G117: the JSON is sealed (encrypted) just below and never leaves this function in clear
	if err != nil {
		return "", fmt.Errorf("marshal secrets: %w", err)
	}
	return s.Seal(raw, []byte(id)), nil
}

// open opens the sealed secrets of webhook id.
func open(s *hookstream.Sealer, id, sealed string) (hookstream.WebhookSecrets, error) {
	var sec hookstream.WebhookSecrets
	if sealed == "" {
		return sec, nil
	}
	raw, err := s.Open(sealed, []byte(id))
	if err != nil {
		return sec, fmt.Errorf("open secrets of webhook %s: %w", id, err)
	}
	if err := json.Unmarshal(raw, &sec); err != nil {
		return sec, fmt.Errorf("decode secrets of webhook %s: %w", id, err)
	}
	return sec, nil
}

// TestRun is one test-console run (POST /api/v1/webhooks/{id}/test).
type TestRun struct {
	ID         string              `json:"id"`
	At         string              `json:"at"`
	Request    TestRequest         `json:"request"`
	Status     int                 `json:"status"`
	Headers    map[string][]string `json:"headers"`
	Body       json.RawMessage     `json:"body"`
	DurationMs float64             `json:"durationMs"`
	EventID    string              `json:"eventId,omitempty"`
}

// TestRequest is what a test run sent.
type TestRequest struct {
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
	DryRun  bool              `json:"dryRun,omitempty"`
	Sign    bool              `json:"sign,omitempty"`
}
