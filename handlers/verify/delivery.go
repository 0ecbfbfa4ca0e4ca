package verify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// deliveryHeaders are the provider delivery-id headers, in SPEC §3.4 order.
var deliveryHeaders = []string{
	HeaderWebhookID, HeaderSvixID, HeaderGitHubDelivery, HeaderShopifyWebhookID, HeaderIdempotencyKey,
}

// DeliveryID returns the request's delivery id for deduplication, the first
// non-empty of (SPEC §3.4): the webhook's dedupHeader (when not empty),
// webhook-id, svix-id, X-GitHub-Delivery, X-Shopify-Webhook-Id,
// Idempotency-Key, and for the stripe scheme the body's top-level string
// "id". It returns "" when there is none (the body is then not
// deduplicated), including when a Stripe body is not a JSON object.
func DeliveryID(scheme string, h http.Header, body []byte, dedupHeader string) string {
	if dedupHeader != "" {
		if v := trimOWS(h.Get(dedupHeader)); v != "" {
			return v
		}
	}
	for _, name := range deliveryHeaders {
		if v := trimOWS(h.Get(name)); v != "" {
			return v
		}
	}
	if scheme == SchemeStripe {
		return stripeEventID(body)
	}
	return ""
}

// stripeEventID returns the top-level "id" string of a JSON object, reading
// tokens only as far as that key, or "" when the body is not such an object.
func stripeEventID(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key == "id" {
			val, err := dec.Token()
			if s, ok := val.(string); ok && err == nil {
				return strings.TrimSpace(s)
			}
			return ""
		}
		if !skipValue(dec) {
			return ""
		}
	}
	return ""
}

// skipValue consumes one JSON value.
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return true
		}
	}
}
