package verify

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme names, the values of a webhook's signatureScheme.
const (
	SchemeHMAC             = "hmac"
	SchemeStandardWebhooks = "standard-webhooks"
	SchemeGitHub           = "github"
	SchemeStripe           = "stripe"
	SchemeShopify          = "shopify"
	SchemeSlack            = "slack"
)

// Schemes lists every supported scheme name, generic hmac first.
func Schemes() []string {
	return []string{SchemeHMAC, SchemeStandardWebhooks, SchemeGitHub, SchemeStripe, SchemeShopify, SchemeSlack}
}

const (
	// MaxSignatures is how many signatures are read from one header; the
	// rest are ignored.
	MaxSignatures = 10

	// ToleranceSecondsDefault is how far (in either direction) a signed
	// timestamp may be from the verifier's clock for Standard Webhooks,
	// Stripe and Slack, and the generic scheme's default when it has a
	// timestamp header.
	ToleranceSecondsDefault = 300

	// SecretPrefix starts Standard Webhooks secrets: "whsec_" + base64(key).
	SecretPrefix = "whsec_"

	// PublicKeyPrefix starts Standard Webhooks v1a public keys:
	// "whpk_" + base64(32-byte Ed25519 public key).
	PublicKeyPrefix = "whpk_"
)

// Header names used by the provider schemes, in canonical form.
const (
	HeaderWebhookID             = "Webhook-Id"
	HeaderWebhookTimestamp      = "Webhook-Timestamp"
	HeaderWebhookSignature      = "Webhook-Signature"
	HeaderSvixID                = "Svix-Id"
	HeaderSvixTimestamp         = "Svix-Timestamp"
	HeaderSvixSignature         = "Svix-Signature"
	HeaderGitHubSignature256    = "X-Hub-Signature-256"
	HeaderGitHubDelivery        = "X-Github-Delivery"
	HeaderStripeSignature       = "Stripe-Signature"
	HeaderShopifyHMAC           = "X-Shopify-Hmac-Sha256"
	HeaderShopifyWebhookID      = "X-Shopify-Webhook-Id"
	HeaderSlackSignature        = "X-Slack-Signature"
	HeaderSlackRequestTimestamp = "X-Slack-Request-Timestamp"
	HeaderIdempotencyKey        = "Idempotency-Key"
)

// Sentinel errors. Every error [Verify] returns wraps exactly one of them;
// test with errors.Is. The first four mean the sender's request failed
// authentication (answer 401); the last two mean the webhook itself is
// misconfigured.
var (
	// ErrNoSignature means the request carries no signature the scheme
	// understands: the signature header is absent, empty, or lists only
	// unknown versions.
	ErrNoSignature = errors.New("no signature")

	// ErrMalformed means a signature, timestamp or id header is present but
	// cannot be parsed (bad encoding, non-numeric timestamp, missing id).
	ErrMalformed = errors.New("malformed signature")

	// ErrMismatch means signatures were read but none matches any secret
	// or public key.
	ErrMismatch = errors.New("signature mismatch")

	// ErrStale means the signed timestamp is further from Request.Now than
	// the scheme's tolerance, in the past or in the future.
	ErrStale = errors.New("timestamp outside tolerance")

	// ErrUnknownScheme means the scheme name is not one of the Scheme
	// constants.
	ErrUnknownScheme = errors.New("unknown signature scheme")

	// ErrInvalidCredentials means the credentials hold no usable secret or
	// public key for the scheme (none given, empty, or undecodable), or the
	// generic scheme's configuration is invalid (then the error also wraps a
	// *FieldError).
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// Request is what verification looks at. It is never modified.
type Request struct {
	// Header holds the request headers with canonical keys, as net/http
	// delivers them.
	Header http.Header
	// Body is the raw body, exactly as received.
	Body []byte
	// Now is the verifier's clock for timestamp tolerance. Default: the zero
	// time means time.Now().
	Now time.Time
}

// Credentials are a webhook's verification material.
type Credentials struct {
	// Secrets are the current secret and, during rotation, the grace
	// secret, as the raw bytes the user gave (for standard-webhooks the
	// "whsec_..." string's bytes; they are decoded here). Empty entries are
	// skipped.
	Secrets [][]byte
	// PublicKeys are "whpk_..." Ed25519 public keys for standard-webhooks v1a.
	PublicKeys []string
	// HMAC configures the generic hmac scheme; ignored by the others.
	HMAC HMACConfig
}

// Verify checks req under scheme and returns nil when any signature it
// carries matches any of creds' secrets or public keys. The empty scheme
// means SchemeHMAC. On failure the error wraps ErrNoSignature, ErrMalformed,
// ErrMismatch or ErrStale (the sender's fault), or ErrUnknownScheme or
// ErrInvalidCredentials (the webhook's configuration). It never panics.
func Verify(scheme string, creds Credentials, req Request) error {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	var err error
	switch scheme {
	case SchemeHMAC, "":
		scheme = SchemeHMAC
		err = verifyHMAC(creds, req)
	case SchemeStandardWebhooks:
		err = verifyStandardWebhooks(creds, req)
	case SchemeGitHub:
		err = verifyGitHub(creds, req)
	case SchemeStripe:
		err = verifyStripe(creds, req)
	case SchemeShopify:
		err = verifyShopify(creds, req)
	case SchemeSlack:
		err = verifySlack(creds, req)
	default:
		return fmt.Errorf("verify: %w", ErrUnknownScheme)
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", scheme, err)
	}
	return nil
}

// Sign produces the headers a sender of scheme would send for body, signed
// with secret (for standard-webhooks the "whsec_..." string's bytes). id is
// the delivery/message id (required for standard-webhooks and for an hmac
// template using {id}; for github and shopify it fills the delivery-id
// header when not empty) and ts the signing time (whole seconds are used).
// hmacCfg is used only by the hmac scheme.
func Sign(scheme string, secret []byte, hmacCfg HMACConfig, id string, ts time.Time, body []byte) (http.Header, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("sign %s: empty secret: %w", scheme, ErrInvalidCredentials)
	}
	if !headerSafe(id) {
		return nil, fmt.Errorf("sign %s: id has control characters or surrounding spaces: %w", scheme, ErrMalformed)
	}
	if ts.Unix() < 0 {
		return nil, fmt.Errorf("sign %s: timestamp before 1970: %w", scheme, ErrMalformed)
	}
	tsStr := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	switch scheme {
	case SchemeHMAC, "":
		return signHMAC(hmacCfg, secret, id, tsStr, body)
	case SchemeStandardWebhooks:
		if id == "" {
			return nil, fmt.Errorf("sign %s: id required: %w", scheme, ErrMalformed)
		}
		key, ok := decodeStandardSecret(secret)
		if !ok {
			return nil, fmt.Errorf("sign %s: secret is not whsec_<base64>: %w", scheme, ErrInvalidCredentials)
		}
		sum := macOf(sha256.New, key, []byte(id), dot, []byte(tsStr), dot, body)
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, tsStr)
		h.Set(HeaderWebhookSignature, "v1,"+base64.StdEncoding.EncodeToString(sum))
	case SchemeGitHub:
		sum := macOf(sha256.New, secret, body)
		h.Set(HeaderGitHubSignature256, "sha256="+hex.EncodeToString(sum))
		if id != "" {
			h.Set(HeaderGitHubDelivery, id)
		}
	case SchemeStripe:
		sum := macOf(sha256.New, secret, []byte(tsStr), dot, body)
		h.Set(HeaderStripeSignature, "t="+tsStr+",v1="+hex.EncodeToString(sum))
	case SchemeShopify:
		sum := macOf(sha256.New, secret, body)
		h.Set(HeaderShopifyHMAC, base64.StdEncoding.EncodeToString(sum))
		if id != "" {
			h.Set(HeaderShopifyWebhookID, id)
		}
	case SchemeSlack:
		sum := macOf(sha256.New, secret, []byte("v0:"+tsStr+":"), body)
		h.Set(HeaderSlackSignature, "v0="+hex.EncodeToString(sum))
		h.Set(HeaderSlackRequestTimestamp, tsStr)
	default:
		return nil, fmt.Errorf("sign: %w", ErrUnknownScheme)
	}
	return h, nil
}

// SignV1a signs body the Standard Webhooks v1a way, with an Ed25519 private
// key, and returns the webhook-id, webhook-timestamp and webhook-signature
// headers. The matching public key, as Credentials.PublicKeys expects it, is
// EncodePublicKey(key.Public().(ed25519.PublicKey)).
func SignV1a(key ed25519.PrivateKey, id string, ts time.Time, body []byte) (http.Header, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign v1a: private key is %d bytes, want %d: %w", len(key), ed25519.PrivateKeySize, ErrInvalidCredentials)
	}
	if id == "" || !headerSafe(id) {
		return nil, fmt.Errorf("sign v1a: id empty, or has control characters or surrounding spaces: %w", ErrMalformed)
	}
	if ts.Unix() < 0 {
		return nil, fmt.Errorf("sign v1a: timestamp before 1970: %w", ErrMalformed)
	}
	tsStr := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(key, standardContent(id, tsStr, body))
	h := http.Header{}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, tsStr)
	h.Set(HeaderWebhookSignature, "v1a,"+base64.StdEncoding.EncodeToString(sig))
	return h, nil
}

// EncodePublicKey formats an Ed25519 public key as "whpk_" + base64.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// SignatureHeaders returns the canonical names of the headers that carry
// scheme's signatures, so that callers keep them when redacting stored
// headers. cfg is used only by the hmac scheme. Unknown schemes give nil.
func SignatureHeaders(scheme string, cfg HMACConfig) []string {
	switch scheme {
	case SchemeHMAC, "":
		return []string{http.CanonicalHeaderKey(cfg.WithDefaults().Header)}
	case SchemeStandardWebhooks:
		return []string{HeaderWebhookSignature, HeaderSvixSignature}
	case SchemeGitHub:
		return []string{HeaderGitHubSignature256}
	case SchemeStripe:
		return []string{HeaderStripeSignature}
	case SchemeShopify:
		return []string{HeaderShopifyHMAC}
	case SchemeSlack:
		return []string{HeaderSlackSignature}
	default:
		return nil
	}
}

// headerSafe reports whether s survives as a header value: no control
// characters and no surrounding spaces (which HTTP strips).
func headerSafe(s string) bool {
	return trimOWS(s) == s && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}

// trimOWS trims HTTP optional whitespace (space and tab) only.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}
