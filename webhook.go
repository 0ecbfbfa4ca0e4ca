package hookstream

import (
	"encoding/json"
	"time"
)

// AuthType is how a webhook authenticates senders (SPEC §3.2).
type AuthType = string

// Authentication types.
const (
	AuthNone      AuthType = "none"
	AuthBasic     AuthType = "basic"
	AuthAPIKey    AuthType = "api_key"
	AuthSignature AuthType = "signature"
)

// Priority of a webhook, carried on every derived event.
type Priority int

// Priorities.
const (
	PriorityLow      Priority = 0
	PriorityNormal   Priority = 1
	PriorityHigh     Priority = 2
	PriorityCritical Priority = 3
)

// SchemaMode says what ingest does with a payload that fails the webhook's
// event-type schema.
type SchemaMode = string

// Schema modes.
const (
	SchemaOff     SchemaMode = "off"
	SchemaWarn    SchemaMode = "warn"
	SchemaEnforce SchemaMode = "enforce"
)

// Limits and defaults of webhooks (SPEC §3.3).
const (
	MaxBodyBytesDefault = 1 << 20 // 1 MiB
	MaxBodyBytesLimit   = 8 << 20 // 8 MiB
	MaxJSONDepthDefault = 64
	GraceSecondsDefault = 24 * 60 * 60
)

// RateLimit is a token bucket.
type RateLimit struct {
	PerSecond float64 `json:"perSecond"`
	Burst     int     `json:"burst"`
}

// MetadataRule copies a value into the event's custom metadata.
// Source is "static" (Value), "header", "query" or "body" (From is a JSONPath).
type MetadataRule struct {
	Key    string `json:"key"`
	Source string `json:"source"`
	From   string `json:"from,omitempty"`
	Value  string `json:"value,omitempty"`
}

// HMACSettings configure the generic hmac signature scheme.
type HMACSettings struct {
	Algorithm        string `json:"algorithm,omitempty"`
	Encoding         string `json:"encoding,omitempty"`
	Header           string `json:"header,omitempty"`
	Prefix           string `json:"prefix,omitempty"`
	SignedContent    string `json:"signedContent,omitempty"`
	IDHeader         string `json:"idHeader,omitempty"`
	TimestampHeader  string `json:"timestampHeader,omitempty"`
	ToleranceSeconds int    `json:"toleranceSeconds,omitempty"`
}

// ErrorRate is the share of failed or rejected deliveries.
type ErrorRate struct {
	LastHour float64 `json:"lastHour"`
	Last24h  float64 `json:"last24h"`
}

// Webhook is a per-tenant receiving endpoint. Secret material never appears
// in this struct's JSON; it lives sealed in WebhookSecrets.
type Webhook struct {
	ID               string          `json:"id"`
	TenantID         string          `json:"tenantId"`
	WorkflowID       string          `json:"workflowId,omitempty"`
	NodeID           string          `json:"nodeId,omitempty"`
	Name             string          `json:"name"`
	Path             string          `json:"path"`
	URL              string          `json:"url,omitempty"`
	AuthType         AuthType        `json:"authType"`
	SignatureScheme  string          `json:"signatureScheme,omitempty"`
	HMAC             *HMACSettings   `json:"hmac,omitempty"`
	BasicUsername    string          `json:"basicUsername,omitempty"`
	APIKeyHeader     string          `json:"apiKeyHeader,omitempty"`
	APIKeyQueryParam string          `json:"apiKeyQueryParam,omitempty"`
	Enabled          bool            `json:"enabled"`
	Priority         Priority        `json:"priority"`
	Methods          []string        `json:"methods"`
	ContentTypes     []string        `json:"contentTypes"`
	EventType        string          `json:"eventType,omitempty"`
	EventTypeVersion int             `json:"eventTypeVersion,omitempty"`
	SchemaMode       SchemaMode      `json:"schemaMode"`
	RateLimit        *RateLimit      `json:"rateLimit"`
	MaxBodyBytes     int64           `json:"maxBodyBytes"`
	MaxJSONDepth     int             `json:"maxJsonDepth"`
	AllowedCIDRs     []string        `json:"allowedCidrs"`
	DedupHeader      string          `json:"dedupHeader,omitempty"`
	MaskPaths        []string        `json:"maskPaths"`
	MetadataRules    []MetadataRule  `json:"metadataRules"`
	Metadata         map[string]any  `json:"metadata,omitempty"`
	TriggerCount     int64           `json:"triggerCount"`
	LastTriggeredAt  *time.Time      `json:"lastTriggeredAt"`
	ErrorRate        *ErrorRate      `json:"errorRate,omitempty"`
	CreatedAt        time.Time       `json:"createdAt"`
	UpdatedAt        time.Time       `json:"updatedAt"`
	Extra            json.RawMessage `json:"-"`
}

// WebhookSecrets is the write-only credential material of a webhook. It is
// stored sealed (AES-GCM under the master key) and never logged.
type WebhookSecrets struct {
	// Secret is the current signing secret; GraceSecret the previous one,
	// valid until GraceUntil.
	Secret      string     `json:"secret,omitempty"`
	GraceSecret string     `json:"graceSecret,omitempty"`
	GraceUntil  *time.Time `json:"graceUntil,omitempty"`
	PublicKey   string     `json:"publicKey,omitempty"`
	// BasicPasswordHash is a salted hash of the basic password.
	BasicPasswordHash string `json:"basicPasswordHash,omitempty"`
	APIKey            string `json:"apiKey,omitempty"`
}
