package schema_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/schema"
)

// SPEC §2: the core event types.
var coreNames = []string{
	"webhook.received", "webhook.rejected", "webhook.filtered", "webhook.processed", "webhook.failed",
	"workflow.triggered", "execution.started", "execution.completed", "execution.failed",
	"execution.cancelled", "step.started", "step.completed", "step.failed", "step.retrying",
	"replay.requested",
}

func compileCore(tb testing.TB) map[string]*schema.Validator {
	tb.Helper()
	core := schema.Core()
	resolve := schema.Resolver(core...)
	vs := make(map[string]*schema.Validator, len(core))
	for _, ct := range core {
		v, err := schema.Compile(ct, resolve) // also validates the examples
		require.NoError(tb, err, ct.Name)
		vs[ct.Name] = v
	}
	return vs
}

func TestCore(t *testing.T) {
	t.Parallel()

	core := schema.Core()
	names := make([]string, 0, len(core))
	for _, ct := range core {
		names = append(names, ct.Name)
		require.Equal(t, schema.CoreVersion, ct.Version)
		require.Empty(t, ct.TenantID)
		require.NotEmpty(t, ct.Description, ct.Name)
		require.NotEmpty(t, ct.Examples, ct.Name)

		var doc map[string]any
		require.NoError(t, json.Unmarshal(ct.Schema, &doc))
		require.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc["$schema"], ct.Name)
		require.Equal(t, "object", doc["type"], ct.Name)
		require.Equal(t, false, doc["additionalProperties"], ct.Name)
	}
	require.ElementsMatch(t, coreNames, names)

	// Core returns a copy.
	core[0].Name = "changed"
	require.NotEqual(t, "changed", schema.Core()[0].Name)
}

// Every example validates; removing any required property, adding an
// undeclared one or breaking a typed field makes it fail.
func TestCoreExamples(t *testing.T) {
	t.Parallel()

	vs := compileCore(t)
	for _, ct := range schema.Core() {
		t.Run(ct.Name, func(t *testing.T) {
			t.Parallel()

			v := vs[ct.Name]
			var doc struct {
				Required   []string       `json:"required"`
				Properties map[string]any `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(ct.Schema, &doc))

			for i, ex := range ct.Examples {
				errs, err := v.ValidateJSON(ex)
				require.NoError(t, err)
				require.Empty(t, errs, "example %d", i)

				for _, req := range doc.Required {
					m := decodeObject(t, ex)
					delete(m, req)
					errs := v.Validate(m)
					require.Equal(t, []schema.ValidationError{{
						InstancePath: "", Keyword: "required", Message: fmt.Sprintf("missing required property %q", req),
					}}, errs, "example %d without %s", i, req)
				}

				m := decodeObject(t, ex)
				m["unexpectedField"] = 1
				errs = v.Validate(m)
				require.Len(t, errs, 1)
				require.Equal(t, "additionalProperties", errs[0].Keyword)

				for name, val := range decodeObject(t, ex) {
					prop, _ := doc.Properties[name].(map[string]any)
					if _, isString := val.(string); !isString || prop["type"] != "string" {
						continue // only fields typed as strings
					}
					m := decodeObject(t, ex)
					m[name] = map[string]any{"not": "a string"}
					errs := v.Validate(m)
					require.NotEmpty(t, errs, "example %d with object %s", i, name)
					require.True(t, strings.HasPrefix(errs[0].InstancePath, "/"+name), "%v", errs)
				}
			}
		})
	}
}

// Targeted mutations of realistic payloads, with the error they must produce.
func TestCoreMutations(t *testing.T) {
	t.Parallel()

	vs := compileCore(t)
	example := func(name string) map[string]any {
		for _, ct := range schema.Core() {
			if ct.Name == name {
				return decodeObject(t, ct.Examples[0])
			}
		}
		t.Fatalf("no core type %s", name)
		return nil
	}
	tests := []struct {
		typ     string
		mutate  func(m map[string]any)
		path    string
		keyword string
	}{
		{"webhook.received", func(m map[string]any) { m["bodyBytes"] = -1 }, "/bodyBytes", "minimum"},
		{"webhook.received", func(m map[string]any) { m["bodyEncoding"] = "gzip" }, "/bodyEncoding", "enum"},
		{"webhook.received", func(m map[string]any) { m["auth"].(map[string]any)["type"] = "oauth" }, "/auth/type", "enum"},
		{"webhook.received", func(m map[string]any) { m["metadata"].(map[string]any)["receivedAt"] = "28/11/2026" }, "/metadata/receivedAt", "format"},
		{"webhook.received", func(m map[string]any) { m["headers"].(map[string]any)["X-Bad"] = 3.0 }, "/headers/X-Bad", "type"},
		{"webhook.received", func(m map[string]any) { m["headers"].(map[string]any)["X-Many"] = []any{"a", 1.0} }, "/headers/X-Many/1", "type"},
		{"webhook.received", func(m map[string]any) { m["metadata"].(map[string]any)["userAgent"].(map[string]any)["bot"] = "yes" }, "/metadata/userAgent/bot", "type"},
		{"webhook.rejected", func(m map[string]any) { m["body"] = strings.Repeat("x", 4097) }, "/body", "maxLength"},
		{"webhook.rejected", func(m map[string]any) { m["metadata"].(map[string]any)["ingestMs"] = -2.0 }, "/metadata/ingestMs", "minimum"},
		{"webhook.filtered", func(m map[string]any) { m["rule"].(map[string]any)["operator"] = "like" }, "/rule/operator", "enum"},
		{"workflow.triggered", func(m map[string]any) { m["priority"] = 4.0 }, "/priority", "maximum"},
		{"workflow.triggered", func(m map[string]any) { m["priority"] = 1.5 }, "/priority", "type"},
		{"workflow.triggered", func(m map[string]any) { delete(m["trigger"].(map[string]any), "webhookId") }, "/trigger", "required"},
		{"step.retrying", func(m map[string]any) { m["nextAttemptAt"] = "soon" }, "/nextAttemptAt", "format"},
		{"step.started", func(m map[string]any) { m["stepType"] = "email" }, "/stepType", "enum"},
		{"step.started", func(m map[string]any) { m["attempt"] = 0.0 }, "/attempt", "minimum"},
		{"replay.requested", func(m map[string]any) { m["replayCount"] = 11.0 }, "/replayCount", "maximum"},
		{"replay.requested", func(m map[string]any) { delete(m["actor"].(map[string]any), "role") }, "/actor", "required"},
		{"execution.completed", func(m map[string]any) { m["durationMs"] = "842ms" }, "/durationMs", "type"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+tt.path, func(t *testing.T) {
			t.Parallel()

			m := example(tt.typ)
			tt.mutate(m)
			errs := vs[tt.typ].Validate(m)
			require.NotEmpty(t, errs)
			require.Contains(t, errs, schema.ValidationError{InstancePath: tt.path, Keyword: tt.keyword, Message: findMessage(errs, tt.path, tt.keyword)}, "%v", errs)
		})
	}
}

func findMessage(errs []schema.ValidationError, path, keyword string) string {
	for _, e := range errs {
		if e.InstancePath == path && e.Keyword == keyword {
			return e.Message
		}
	}
	return ""
}

func decodeObject(tb testing.TB, raw json.RawMessage) map[string]any {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal(raw, &m))
	return m
}

// A tenant type can reference core definitions through the registry.
func TestCoreReferencedByTenantType(t *testing.T) {
	t.Parallel()

	tenant := schema.Type{TenantID: "t1", Name: "shop.order", Version: 1, Schema: raw(`{
		"type":"object",
		"properties":{"meta":{"$ref":"https://hookstream.dev/schemas/webhook.received/v1#/$defs/metadata"}},
		"required":["meta"]}`)}
	v, err := schema.Compile(tenant, schema.Resolver(append([]schema.Type{tenant}, schema.Core()...)...))
	require.NoError(t, err)
	errs, err := v.ValidateJSON([]byte(`{"meta":{"receivedAt":"not a time"}}`))
	require.NoError(t, err)
	require.Equal(t, []schema.ValidationError{{InstancePath: "/meta/receivedAt", Keyword: "format", Message: errs[0].Message}}, errs)
}

func BenchmarkValidate1KB(b *testing.B) {
	vs := compileCore(b)
	v := vs["webhook.received"]
	var ex json.RawMessage
	for _, ct := range schema.Core() {
		if ct.Name == "webhook.received" {
			ex = ct.Examples[0]
		}
	}
	var compact strings.Builder
	m := decodeObject(b, ex)
	data, err := json.Marshal(m)
	require.NoError(b, err)
	compact.Write(data)
	b.Logf("payload: %d bytes", compact.Len())

	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if errs := v.Validate(m); len(errs) > 0 {
				b.Fatal(errs)
			}
		}
	})
	b.Run("ValidateJSON", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			errs, err := v.ValidateJSON(data)
			if err != nil || len(errs) > 0 {
				b.Fatal(err, errs)
			}
		}
	})
	invalid := decodeObject(b, ex)
	invalid["bodyBytes"] = -1.0
	invalid["auth"].(map[string]any)["type"] = "oauth"
	b.Run("invalid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if errs := v.Validate(invalid); len(errs) != 2 {
				b.Fatal(errs)
			}
		}
	})
}

// The vocabulary's data structs marshal to payloads their core types accept.
func TestCoreMatchesVocabulary(t *testing.T) {
	t.Parallel()

	vs := compileCore(t)
	tests := []struct {
		typ  string
		data any
	}{
		{hookstream.EventWebhookReceived, hookstream.ReceivedData{
			Method: "POST", Path: "/api/v1/webhooks/github-ci",
			Headers:     map[string][]string{"Content-Type": {"application/json"}, "X-Github-Event": {"push"}},
			Query:       map[string][]string{"ref": {"main"}},
			Body:        json.RawMessage(`{"ref":"refs/heads/main"}`),
			ContentType: "application/json", BodyBytes: 25,
			Metadata:     map[string]any{"sourceIp": "140.82.115.3", "receivedAt": "2026-11-28T18:00:00Z", "ingestMs": 0.7},
			Auth:         hookstream.AuthResult{Type: hookstream.AuthSignature, Scheme: "github", Verified: true},
			DeliveryID:   "72d3162e-cc78-11e3-81ab-4c9367dc0958",
			SchemaErrors: []hookstream.FieldError{{Field: "/ref", Message: "bad", Keyword: "pattern", InstancePath: "/ref"}},
		}},
		{hookstream.EventWebhookReceived, hookstream.ReceivedData{
			Method: "GET", Path: "/hooks/ping", Headers: map[string][]string{},
			Auth: hookstream.AuthResult{Type: hookstream.AuthNone},
		}},
		{hookstream.EventWebhookRejected, hookstream.RejectedData{
			Status: 413, Code: hookstream.ETOOLARGE, Reason: "body over 1 MiB", Method: "POST", Path: "/api/v1/webhooks/x",
			Headers: map[string][]string{"Content-Length": {"2000000"}}, Body: strings.Repeat("a", hookstream.RejectedBodyMax),
			Truncated: true,
		}},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.data)
		require.NoError(t, err)
		errs, err := vs[tt.typ].ValidateJSON(data)
		require.NoError(t, err)
		require.Empty(t, errs, "%s: %s", tt.typ, data)
	}
}
