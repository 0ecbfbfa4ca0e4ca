package schema_test

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/schema"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestURLAndParseRef(t *testing.T) {
	t.Parallel()

	require.Equal(t, "https://hookstream.dev/schemas/order.created/v2", schema.URL("order.created", 2))
	tests := []struct {
		ref     string
		name    string
		version int
		ok      bool
	}{
		{"https://hookstream.dev/schemas/order.created/v2", "order.created", 2, true},
		{"https://hookstream.dev/schemas/order.created/v2#/$defs/money", "order.created", 2, true},
		{"https://hookstream.dev/schemas/order.created/v0", "", 0, false},
		{"https://hookstream.dev/schemas/order.created/v02", "", 0, false},
		{"https://hookstream.dev/schemas/order.created", "", 0, false},
		{"https://example.com/schemas/order.created/v1", "", 0, false},
		{"https://hookstream.dev/schemas/a/b/v1", "", 0, false},
	}
	for _, tt := range tests {
		name, version, ok := schema.ParseRef(tt.ref)
		require.Equal(t, tt.ok, ok, tt.ref)
		require.Equal(t, tt.name, name, tt.ref)
		require.Equal(t, tt.version, version, tt.ref)
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()

	customer := schema.Type{Name: "customer", Version: 1, Schema: raw(`{
		"type":"object","properties":{"id":{"type":"string"}},"required":["id"],
		"$defs":{"email":{"type":"string","format":"email"}}}`)}
	resolve := schema.Resolver(customer)

	tests := []struct {
		name     string
		typ      schema.Type
		sentinel error  // nil: compiles
		contains string // in the error message
	}{
		{name: "plain", typ: schema.Type{Name: "order.created", Version: 1, Schema: raw(`{"type":"object"}`)}},
		{name: "boolean schema", typ: schema.Type{Name: "anything", Version: 1, Schema: raw(`true`)}},
		{name: "absolute ref to registered type", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"properties":{"customer":{"$ref":"https://hookstream.dev/schemas/customer/v1"}}}`)}},
		{name: "relative ref with fragment", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"properties":{"email":{"$ref":"../customer/v1#/$defs/email"}}}`)}},
		{name: "local ref", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"$defs":{"id":{"type":"string"}},"properties":{"id":{"$ref":"#/$defs/id"}}}`)}},
		{name: "dangling registry ref", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"properties":{"customer":{"$ref":"https://hookstream.dev/schemas/customer/v7"}}}`)},
			sentinel: schema.ErrDanglingRef, contains: `"https://hookstream.dev/schemas/customer/v7"`},
		{name: "no network", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"$ref":"https://example.com/schema.json"}`)},
			sentinel: schema.ErrDanglingRef, contains: "https://example.com/schema.json"},
		{name: "no files", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"$ref":"file:///etc/passwd"}`)},
			sentinel: schema.ErrDanglingRef, contains: "file:///etc/passwd"},
		{name: "dangling local ref", typ: schema.Type{Name: "order.created", Version: 1,
			Schema: raw(`{"$ref":"#/$defs/missing"}`)}, sentinel: schema.ErrInvalidSchema},
		{name: "not a schema", typ: schema.Type{Name: "order.created", Version: 1, Schema: raw(`{"type":5}`)},
			sentinel: schema.ErrInvalidSchema},
		{name: "bad regex", typ: schema.Type{Name: "order.created", Version: 1, Schema: raw(`{"pattern":"(?<x"}`)},
			sentinel: schema.ErrInvalidSchema},
		{name: "not JSON", typ: schema.Type{Name: "order.created", Version: 1, Schema: raw(`{"type":`)},
			sentinel: schema.ErrInvalidSchema, contains: "not JSON"},
		{name: "array", typ: schema.Type{Name: "order.created", Version: 1, Schema: raw(`[]`)},
			sentinel: schema.ErrInvalidSchema},
		{name: "bad name", typ: schema.Type{Name: "../etc", Version: 1, Schema: raw(`{}`)},
			sentinel: schema.ErrInvalidSchema, contains: "name"},
		{name: "bad version", typ: schema.Type{Name: "order.created", Version: 0, Schema: raw(`{}`)},
			sentinel: schema.ErrInvalidSchema, contains: "version"},
		{name: "example must match", typ: schema.Type{Name: "order.created", Version: 1,
			Schema:   raw(`{"type":"object","required":["id"]}`),
			Examples: []json.RawMessage{raw(`{"id":"o_1"}`), raw(`{}`)}},
			sentinel: schema.ErrInvalidSchema, contains: "example 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			v, err := schema.Compile(tt.typ, resolve)
			if tt.sentinel == nil {
				require.NoError(t, err)
				require.NotNil(t, v)
				require.Equal(t, tt.typ.Name, v.Name())
				require.Equal(t, tt.typ.Version, v.Version())
				return
			}
			require.ErrorIs(t, err, tt.sentinel)
			require.Equal(t, hookstream.EUNPROCESSABLE, hookstream.ErrorCode(err))
			require.Contains(t, hookstream.ErrorMessage(err), tt.contains)
		})
	}
}

func TestCompileNilResolve(t *testing.T) {
	t.Parallel()

	_, err := schema.Compile(schema.Type{Name: "x", Version: 1,
		Schema: raw(`{"$ref":"https://hookstream.dev/schemas/y/v1"}`)}, nil)
	require.ErrorIs(t, err, schema.ErrDanglingRef)

	// The official meta-schemas are built in: no resolve needed.
	_, err = schema.Compile(schema.Type{Name: "x", Version: 1,
		Schema: raw(`{"$ref":"https://json-schema.org/draft/2020-12/schema"}`)}, nil)
	require.NoError(t, err)
}

const orderSchema = `{
	"type":"object",
	"properties":{
		"data":{
			"type":"object",
			"properties":{
				"amount":{"type":"integer","minimum":1},
				"currency":{"enum":["usd","eur"]},
				"email":{"type":"string","format":"email"},
				"at":{"type":"string","format":"date-time"},
				"tags":{"type":"array","items":{"type":"string","maxLength":3}},
				"a/b~c":{"type":"boolean"},
				"big":{"type":"integer","maximum":9007199254740992},
				"ref":{"oneOf":[{"type":"string"},{"type":"integer"}]}
			},
			"required":["amount","currency"],
			"additionalProperties":false
		}
	},
	"required":["data"]
}`

func TestValidate(t *testing.T) {
	t.Parallel()

	v, err := schema.Compile(schema.Type{Name: "order.created", Version: 1, Schema: raw(orderSchema)}, nil)
	require.NoError(t, err)

	tests := []struct {
		name     string
		instance string
		want     []schema.ValidationError // compared on path and keyword
	}{
		{name: "valid", instance: `{"data":{"amount":5,"currency":"usd","email":"a@example.com","at":"2026-11-28T18:00:00Z","tags":["x"]}}`},
		{name: "missing root", instance: `{}`, want: []schema.ValidationError{{InstancePath: "", Keyword: "required"}}},
		{name: "missing two", instance: `{"data":{}}`, want: []schema.ValidationError{
			{InstancePath: "/data", Keyword: "required"}, {InstancePath: "/data", Keyword: "required"}}},
		{name: "type", instance: `{"data":{"amount":"5","currency":"usd"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/amount", Keyword: "type"}}},
		{name: "integer", instance: `{"data":{"amount":1.5,"currency":"usd"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/amount", Keyword: "type"}}},
		{name: "minimum", instance: `{"data":{"amount":0,"currency":"usd"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/amount", Keyword: "minimum"}}},
		{name: "enum", instance: `{"data":{"amount":1,"currency":"gbp"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/currency", Keyword: "enum"}}},
		{name: "format email asserted", instance: `{"data":{"amount":1,"currency":"usd","email":"nope"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/email", Keyword: "format"}}},
		{name: "format date-time asserted", instance: `{"data":{"amount":1,"currency":"usd","at":"yesterday"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/at", Keyword: "format"}}},
		{name: "array item", instance: `{"data":{"amount":1,"currency":"usd","tags":["ok","toolong"]}}`,
			want: []schema.ValidationError{{InstancePath: "/data/tags/1", Keyword: "maxLength"}}},
		{name: "escaped pointer", instance: `{"data":{"amount":1,"currency":"usd","a/b~c":"x"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/a~1b~0c", Keyword: "type"}}},
		{name: "additional property", instance: `{"data":{"amount":1,"currency":"usd","extra":1}}`,
			want: []schema.ValidationError{{InstancePath: "/data", Keyword: "additionalProperties"}}},
		{name: "oneOf and its branches", instance: `{"data":{"amount":1,"currency":"usd","ref":true}}`,
			want: []schema.ValidationError{
				{InstancePath: "/data/ref", Keyword: "oneOf"},
				{InstancePath: "/data/ref", Keyword: "type"},
				{InstancePath: "/data/ref", Keyword: "type"}}},
		{name: "several at once", instance: `{"data":{"amount":0,"currency":"gbp"}}`,
			want: []schema.ValidationError{{InstancePath: "/data/amount", Keyword: "minimum"}, {InstancePath: "/data/currency", Keyword: "enum"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			// encoding/json's float64 numbers and ValidateJSON's json.Number agree.
			var inst any
			require.NoError(t, json.Unmarshal([]byte(tt.instance), &inst))
			fromAny := v.Validate(inst)
			fromJSON, err := v.ValidateJSON([]byte(tt.instance))
			require.NoError(t, err)

			for _, got := range [][]schema.ValidationError{fromAny, fromJSON} {
				require.Len(t, got, len(tt.want), "%v", got)
				for i, w := range tt.want {
					require.Equal(t, w.InstancePath, got[i].InstancePath, "%v", got)
					require.Equal(t, w.Keyword, got[i].Keyword, "%v", got)
					require.NotEmpty(t, got[i].Message)
				}
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	t.Parallel()

	v, err := schema.Compile(schema.Type{Name: "order.created", Version: 1, Schema: raw(orderSchema)}, nil)
	require.NoError(t, err)
	errs, err := v.ValidateJSON([]byte(`{"data":{"currency":"usd","extra":1}}`))
	require.NoError(t, err)
	require.ElementsMatch(t, []schema.ValidationError{
		{InstancePath: "/data", Keyword: "required", Message: `missing required property "amount"`},
		{InstancePath: "/data", Keyword: "additionalProperties", Message: `property "extra" is not allowed`},
	}, errs)

	b, err := json.Marshal(errs[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"instancePath":"/data","keyword":"required","message":"missing required property \"amount\""}`, string(b))

	fields := schema.FieldErrors(errs)
	require.Len(t, fields, 2)
	require.Equal(t, "/data", fields[0].InstancePath)
}

func TestValidateJSONPrecision(t *testing.T) {
	t.Parallel()

	v, err := schema.Compile(schema.Type{Name: "order.created", Version: 1, Schema: raw(orderSchema)}, nil)
	require.NoError(t, err)
	// 2^53+1 rounds to 2^53 as a float64 and passes "maximum": 2^53; as
	// json.Number it is exact and fails.
	payload := []byte(`{"data":{"amount":1,"currency":"usd","big":9007199254740993}}`)
	errs, err := v.ValidateJSON(payload)
	require.NoError(t, err)
	require.Len(t, errs, 1)
	require.Equal(t, "maximum", errs[0].Keyword)

	_, err = v.ValidateJSON([]byte(`{"data":`))
	require.Error(t, err)
	_, err = v.ValidateJSON([]byte(`{} {}`))
	require.Error(t, err)
}

func TestValidateNonJSONValue(t *testing.T) {
	t.Parallel()

	v, err := schema.Compile(schema.Type{Name: "x", Version: 1, Schema: raw(`{"type":"object"}`)}, nil)
	require.NoError(t, err)
	errs := v.Validate(struct{}{})
	require.Len(t, errs, 1)
	require.Equal(t, "type", errs[0].Keyword)
}

func TestCache(t *testing.T) {
	t.Parallel()

	c := schema.NewCache()
	key := schema.Key("tenant-1", "order.created", 3)
	require.Equal(t, "tenant-1:order.created:3", key)

	var builds atomic.Int32
	build := func() (*schema.Validator, error) {
		builds.Add(1)
		return schema.Compile(schema.Type{Name: "order.created", Version: 3, Schema: raw(orderSchema)}, nil)
	}
	var wg sync.WaitGroup
	got := make([]*schema.Validator, 64)
	for i := range got {
		wg.Go(func() {
			v, err := c.Get(key, build)
			require.NoError(t, err)
			got[i] = v
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), builds.Load())
	for _, v := range got {
		require.Same(t, got[0], v)
	}
	require.Equal(t, 1, c.Len())

	// Errors are returned, not cached.
	boom := errors.New("postgres down")
	failKey := schema.Key("", "other", 1)
	_, err := c.Get(failKey, func() (*schema.Validator, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, c.Len())
	v, err := c.Get(failKey, build)
	require.NoError(t, err)
	require.NotNil(t, v)

	c.Delete(failKey)
	require.Equal(t, 1, c.Len())
}

func TestCachePanicNotCached(t *testing.T) {
	t.Parallel()

	c := schema.NewCache()
	require.Panics(t, func() {
		_, _ = c.Get("k", func() (*schema.Validator, error) { panic("boom") })
	})
	require.Equal(t, 0, c.Len())
}
