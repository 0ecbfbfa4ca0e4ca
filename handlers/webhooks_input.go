package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/theory/jsonpath"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// PathPattern is what a webhook path matches (SPEC §3).
var PathPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")

var validMethods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

// Bounds of webhook settings.
const (
	MaxJSONDepthLimit = 1000
	RateLimitMax      = 100000
	textFieldMax      = 256
)

// webhookInput is a create or update request, decoded.
type webhookInput struct {
	webhook hookstream.Webhook
	present map[string]json.RawMessage
	// write-only credentials, nil when absent
	secret, publicKey, basicPassword, apiKey *string
}

// typeError turns a JSON decoding error into a 400 naming the field.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return hookstream.Invalid(hookstream.EINVALID, fmt.Sprintf("%s must be a %s", field, jsonKind(te.Type.Kind().String())),
			hookstream.FieldError{Field: field, Message: "must be a " + jsonKind(te.Type.Kind().String())})
	}
	return hookstream.Errorf(hookstream.EINVALID, "malformed JSON body")
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "float64", "int32", "uint64":
		return "number"
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return k
}

// decodeWebhookInput merges the request over cur (update) or the defaults
// (create) and validates the result.
func decodeWebhookInput(raw []byte, present map[string]json.RawMessage, cur *hookstream.Webhook) (*webhookInput, error) {
	var w hookstream.Webhook
	if cur != nil {
		w = *cur
	} else {
		w = hookstream.Webhook{
			Enabled: true, Priority: hookstream.PriorityNormal, AuthType: hookstream.AuthSignature,
			SignatureScheme: verify.SchemeHMAC, Methods: []string{http.MethodPost}, SchemaMode: hookstream.SchemaOff,
			MaxBodyBytes: hookstream.MaxBodyBytesDefault, MaxJSONDepth: hookstream.MaxJSONDepthDefault,
		}
	}
	keep := w
	for _, k := range []string{"methods", "contentTypes", "allowedCidrs", "maskPaths", "metadataRules", "rateLimit", "hmac", "metadata"} {
		if _, ok := present[k]; ok {
			switch k {
			case "methods":
				w.Methods = nil
			case "contentTypes":
				w.ContentTypes = nil
			case "allowedCidrs":
				w.AllowedCIDRs = nil
			case "maskPaths":
				w.MaskPaths = nil
			case "metadataRules":
				w.MetadataRules = nil
			case "rateLimit":
				w.RateLimit = nil
			case "hmac":
				w.HMAC = nil
			case "metadata":
				w.Metadata = nil
			}
		}
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, typeError(err)
	}
	var cred struct {
		Secret        *string `json:"secret"`
		PublicKey     *string `json:"publicKey"`
		BasicPassword *string `json:"basicPassword"`
		APIKey        *string `json:"apiKey"`
	}
	if err := json.Unmarshal(raw, &cred); err != nil {
		return nil, typeError(err)
	}
	// Immutable and computed fields.
	w.ID, w.TenantID, w.CreatedAt, w.UpdatedAt = keep.ID, keep.TenantID, keep.CreatedAt, keep.UpdatedAt
	w.URL, w.TriggerCount, w.LastTriggeredAt, w.ErrorRate = "", 0, nil, nil
	if cur == nil && w.Path == "" {
		w.Path = "wh-" + strings.ToLower(randomToken(8))
	}
	if w.Name == "" {
		w.Name = w.Path
	}
	for i, m := range w.Methods {
		w.Methods[i] = strings.ToUpper(strings.TrimSpace(m))
	}
	if w.AuthType == hookstream.AuthSignature && w.SignatureScheme == "" {
		w.SignatureScheme = verify.SchemeHMAC
	}
	if w.AuthType != hookstream.AuthSignature {
		w.SignatureScheme, w.HMAC = "", nil
	} else if w.SignatureScheme != verify.SchemeHMAC {
		w.HMAC = nil
	}
	if w.AuthType != hookstream.AuthBasic {
		w.BasicUsername = ""
	}
	if w.AuthType != hookstream.AuthAPIKey {
		w.APIKeyHeader, w.APIKeyQueryParam = "", ""
	}
	if w.SchemaMode == "" {
		w.SchemaMode = hookstream.SchemaOff
	}
	if w.RateLimit != nil && w.RateLimit.Burst == 0 && w.RateLimit.PerSecond > 0 {
		w.RateLimit.Burst = max(1, int(w.RateLimit.PerSecond))
	}
	if w.MaxBodyBytes == 0 {
		w.MaxBodyBytes = hookstream.MaxBodyBytesDefault
	}
	if w.MaxJSONDepth == 0 {
		w.MaxJSONDepth = hookstream.MaxJSONDepthDefault
	}
	in := &webhookInput{webhook: w, present: present, secret: cred.Secret, publicKey: cred.PublicKey, basicPassword: cred.BasicPassword, apiKey: cred.APIKey}
	if fields := validateWebhook(in); len(fields) > 0 {
		return nil, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid webhook: "+fields[0].Field+" "+fields[0].Message, fields...)
	}
	return in, nil
}

func validateWebhook(in *webhookInput) []hookstream.FieldError {
	w := in.webhook
	var fs []hookstream.FieldError
	bad := func(field, format string, args ...any) {
		fs = append(fs, hookstream.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !PathPattern.MatchString(w.Path) {
		bad("path", "must match [a-z0-9][a-z0-9._-]{0,127}")
	}
	if len(w.Name) > textFieldMax {
		bad("name", "must be at most %d characters", textFieldMax)
	}
	if len(w.WorkflowID) > textFieldMax || strings.ContainsAny(w.WorkflowID, ".*> ") {
		bad("workflowId", "must be at most %d characters without '.', '*', '>' or spaces", textFieldMax)
	}
	if len(w.NodeID) > textFieldMax {
		bad("nodeId", "must be at most %d characters", textFieldMax)
	}
	switch w.AuthType {
	case hookstream.AuthNone, hookstream.AuthBasic, hookstream.AuthAPIKey, hookstream.AuthSignature:
	default:
		bad("authType", "must be none, basic, api_key or signature")
	}
	if w.AuthType == hookstream.AuthSignature {
		if !slices.Contains(verify.Schemes(), w.SignatureScheme) {
			bad("signatureScheme", "must be one of %s", strings.Join(verify.Schemes(), ", "))
		} else if in.secret != nil {
			if fe := checkSecret(w.SignatureScheme, *in.secret); fe != nil {
				fs = append(fs, *fe)
			}
		}
		if w.SignatureScheme == verify.SchemeHMAC && w.HMAC != nil {
			var fe *verify.FieldError
			if err := hmacConfig(w.HMAC).Validate(); errors.As(err, &fe) {
				bad(fe.Field, "%s", fe.Message)
			}
		}
		if in.publicKey != nil && *in.publicKey != "" {
			if w.SignatureScheme != verify.SchemeStandardWebhooks {
				bad("publicKey", "is only used by standard-webhooks (v1a)")
			} else if !validPublicKey(*in.publicKey) {
				bad("publicKey", "must be whpk_ followed by the base64 of a 32-byte Ed25519 public key")
			}
		}
	}
	if w.AuthType == hookstream.AuthBasic {
		if w.BasicUsername == "" || strings.Contains(w.BasicUsername, ":") || len(w.BasicUsername) > textFieldMax {
			bad("basicUsername", "is required, without ':'")
		}
		if in.basicPassword != nil && (*in.basicPassword == "" || len(*in.basicPassword) > 1024) {
			bad("basicPassword", "must be 1..1024 characters")
		}
	}
	if w.AuthType == hookstream.AuthAPIKey {
		if w.APIKeyHeader != "" && !headerName.MatchString(w.APIKeyHeader) {
			bad("apiKeyHeader", "must be a header name")
		}
		if len(w.APIKeyQueryParam) > 128 {
			bad("apiKeyQueryParam", "must be at most 128 characters")
		}
		if in.apiKey != nil && (len(*in.apiKey) < 16 || len(*in.apiKey) > 1024) {
			bad("apiKey", "must be 16..1024 characters")
		}
	}
	if w.Priority < hookstream.PriorityLow || w.Priority > hookstream.PriorityCritical {
		bad("priority", "must be 0 (low), 1 (normal), 2 (high) or 3 (critical)")
	}
	if len(w.Methods) == 0 {
		bad("methods", "must list at least one method")
	}
	for i, m := range w.Methods {
		if !validMethods[m] {
			bad(fmt.Sprintf("methods[%d]", i), "must be GET, POST, PUT, PATCH or DELETE")
		}
	}
	for i, ct := range w.ContentTypes {
		if ct == "*/*" || strings.HasSuffix(ct, "/*") && !strings.Contains(strings.TrimSuffix(ct, "/*"), "/") && len(ct) > 2 {
			continue
		}
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !strings.Contains(mt, "/") {
			bad(fmt.Sprintf("contentTypes[%d]", i), "must be a media type such as application/json or text/*")
		}
	}
	switch w.SchemaMode {
	case hookstream.SchemaOff, hookstream.SchemaWarn, hookstream.SchemaEnforce:
	default:
		bad("schemaMode", "must be off, warn or enforce")
	}
	if w.SchemaMode != hookstream.SchemaOff && w.EventType == "" {
		bad("eventType", "is required when schemaMode is %s", w.SchemaMode)
	}
	if w.EventTypeVersion < 0 {
		bad("eventTypeVersion", "must be 0 (latest) or a version number")
	}
	if rl := w.RateLimit; rl != nil {
		if rl.PerSecond <= 0 || rl.PerSecond > RateLimitMax {
			bad("rateLimit.perSecond", "must be > 0 and at most %d (or rateLimit null for no limit)", RateLimitMax)
		}
		if rl.Burst < 1 || rl.Burst > RateLimitMax {
			bad("rateLimit.burst", "must be 1..%d", RateLimitMax)
		}
	}
	if w.MaxBodyBytes < 1 || w.MaxBodyBytes > hookstream.MaxBodyBytesLimit {
		bad("maxBodyBytes", "must be 1..%d (8 MiB)", hookstream.MaxBodyBytesLimit)
	}
	if w.MaxJSONDepth < 1 || w.MaxJSONDepth > MaxJSONDepthLimit {
		bad("maxJsonDepth", "must be 1..%d", MaxJSONDepthLimit)
	}
	for i, c := range w.AllowedCIDRs {
		if _, err := webhooks.ParseCIDR(c); err != nil {
			bad(fmt.Sprintf("allowedCidrs[%d]", i), "must be a CIDR such as 192.0.2.0/24 or an address")
		}
	}
	if w.DedupHeader != "" && !headerName.MatchString(w.DedupHeader) {
		bad("dedupHeader", "must be a header name")
	}
	for i, p := range w.MaskPaths {
		if _, err := jsonpath.Parse(p); err != nil {
			bad(fmt.Sprintf("maskPaths[%d]", i), "must be a JSONPath such as $.card.number")
		}
	}
	for i, r := range w.MetadataRules {
		f := fmt.Sprintf("metadataRules[%d]", i)
		if r.Key == "" || len(r.Key) > 128 {
			bad(f+".key", "is required (at most 128 characters)")
		}
		switch r.Source {
		case "static":
		case "header":
			if !headerName.MatchString(r.From) {
				bad(f+".from", "must be a header name")
			}
		case "query":
			if r.From == "" {
				bad(f+".from", "must name a query parameter")
			}
		case "body":
			if _, err := jsonpath.Parse(r.From); err != nil {
				bad(f+".from", "must be a JSONPath such as $.data.id")
			}
		default:
			bad(f+".source", "must be static, header, query or body")
		}
	}
	return fs
}

// checkSecret validates a user-supplied signing secret for scheme.
func checkSecret(scheme, secret string) *hookstream.FieldError {
	if len(secret) < 8 || len(secret) > 1024 {
		return &hookstream.FieldError{Field: "secret", Message: "must be 8..1024 characters"}
	}
	if scheme == verify.SchemeStandardWebhooks && strings.HasPrefix(secret, verify.SecretPrefix) {
		if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, verify.SecretPrefix)); err != nil {
			return &hookstream.FieldError{Field: "secret", Message: "must be whsec_ followed by base64"}
		}
	}
	return nil
}

func validPublicKey(s string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, verify.PublicKeyPrefix))
	return strings.HasPrefix(s, verify.PublicKeyPrefix) && err == nil && len(raw) == 32
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secrets applies the request's credentials to prev, generating what is
// missing; shown are the values to return once (secret, apiKey).
func (in *webhookInput) secrets(prev hookstream.WebhookSecrets) (hookstream.WebhookSecrets, map[string]string, error) {
	w := in.webhook
	shown := map[string]string{}
	var sec hookstream.WebhookSecrets
	switch w.AuthType {
	case hookstream.AuthSignature:
		sec.Secret, sec.GraceSecret, sec.GraceUntil, sec.PublicKey = prev.Secret, prev.GraceSecret, prev.GraceUntil, prev.PublicKey
		if in.publicKey != nil {
			sec.PublicKey = *in.publicKey
		}
		if in.secret != nil && *in.secret != "" {
			sec.Secret, sec.GraceSecret, sec.GraceUntil = *in.secret, "", nil
			shown["secret"] = sec.Secret
		}
		if sec.Secret == "" && (w.SignatureScheme != verify.SchemeStandardWebhooks || sec.PublicKey == "") {
			s, err := verify.GenerateSecret(w.SignatureScheme)
			if err != nil {
				return sec, nil, err
			}
			sec.Secret = s
			shown["secret"] = s
		}
	case hookstream.AuthBasic:
		sec.BasicPasswordHash = prev.BasicPasswordHash
		if in.basicPassword != nil {
			sec.BasicPasswordHash = webhooks.HashPassword(*in.basicPassword)
		}
		if sec.BasicPasswordHash == "" {
			return sec, nil, hookstream.Invalid(hookstream.EUNPROCESSABLE, "basicPassword is required for basic authentication",
				hookstream.FieldError{Field: "basicPassword", Message: "required"})
		}
	case hookstream.AuthAPIKey:
		sec.APIKey = prev.APIKey
		if in.apiKey != nil && *in.apiKey != "" {
			sec.APIKey = *in.apiKey
			shown["apiKey"] = sec.APIKey
		}
		if sec.APIKey == "" {
			sec.APIKey = "ak_" + randomToken(32)
			shown["apiKey"] = sec.APIKey
		}
	}
	return sec, shown, nil
}
