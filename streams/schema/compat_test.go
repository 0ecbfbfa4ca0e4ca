package schema_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/schema"
)

func TestCheckCompatible(t *testing.T) {
	t.Parallel()

	type want struct {
		path string
		kind schema.IncompatibilityKind
	}
	tests := []struct {
		name     string
		old, new string
		want     []want
	}{
		{name: "identical", old: orderSchema, new: orderSchema},
		{name: "optional property added", old: `{"properties":{"a":{"type":"string"}}}`,
			new: `{"properties":{"a":{"type":"string"},"b":{"type":"integer"}}}`},
		{name: "requirement dropped", old: `{"required":["a","b"]}`, new: `{"required":["a"]}`},

		// A field became required.
		{name: "required added", old: `{"properties":{"a":{}},"required":["a"]}`, new: `{"properties":{"a":{}},"required":["a","b"]}`,
			want: []want{{"/required", schema.KindRequiredAdded}}},
		{name: "nested required added", old: `{"properties":{"data":{"properties":{"x":{}}}}}`,
			new:  `{"properties":{"data":{"properties":{"x":{}},"required":["x"]}}}`,
			want: []want{{"/properties/data/required", schema.KindRequiredAdded}}},

		// A type narrowed.
		{name: "type list to one", old: `{"type":["string","number"]}`, new: `{"type":"string"}`,
			want: []want{{"/type", schema.KindTypeNarrowed}}},
		{name: "number to integer", old: `{"properties":{"n":{"type":"number"}}}`, new: `{"properties":{"n":{"type":"integer"}}}`,
			want: []want{{"/properties/n/type", schema.KindTypeNarrowed}}},
		{name: "type changed", old: `{"type":"string"}`, new: `{"type":"boolean"}`,
			want: []want{{"/type", schema.KindTypeNarrowed}}},
		{name: "type added", old: `{"properties":{"body":{}}}`, new: `{"properties":{"body":{"type":"object"}}}`,
			want: []want{{"/properties/body/type", schema.KindTypeNarrowed}}},
		{name: "type widened", old: `{"type":"integer"}`, new: `{"type":["number","null"]}`},
		{name: "type removed", old: `{"type":"integer"}`, new: `{}`},
		{name: "schema became false", old: `{"properties":{"a":true}}`, new: `{"properties":{"a":false}}`,
			want: []want{{"/properties/a", schema.KindTypeNarrowed}}},
		{name: "array items narrowed", old: `{"items":{"type":["string","integer"]}}`, new: `{"items":{"type":"string"}}`,
			want: []want{{"/items/type", schema.KindTypeNarrowed}}},

		// An enum lost a value.
		{name: "enum lost value", old: `{"enum":["a","b","c"]}`, new: `{"enum":["a","c"]}`,
			want: []want{{"/enum", schema.KindEnumNarrowed}}},
		{name: "enum gained value", old: `{"enum":["a"]}`, new: `{"enum":["a","b"]}`},
		{name: "enum numbers by value", old: `{"enum":[1,2]}`, new: `{"enum":[1.0,2.0,3]}`},
		{name: "enum added", old: `{"type":"string"}`, new: `{"type":"string","enum":["a"]}`,
			want: []want{{"/enum", schema.KindEnumNarrowed}}},
		{name: "enum removed", old: `{"enum":["a"]}`, new: `{}`},
		{name: "const changed", old: `{"const":"a"}`, new: `{"const":"b"}`,
			want: []want{{"/const", schema.KindEnumNarrowed}}},
		{name: "nested enum in defs", old: `{"$defs":{"s":{"enum":["x","y"]}}}`, new: `{"$defs":{"s":{"enum":["x"]}}}`,
			want: []want{{"/$defs/s/enum", schema.KindEnumNarrowed}}},

		// A property was removed while additionalProperties is false.
		{name: "property removed, closed", old: `{"properties":{"a":{},"b":{}},"additionalProperties":false}`,
			new:  `{"properties":{"a":{}},"additionalProperties":false}`,
			want: []want{{"/properties/b", schema.KindPropertyRemoved}}},
		{name: "property removed, open", old: `{"properties":{"a":{},"b":{}}}`, new: `{"properties":{"a":{}}}`},
		{name: "property removed into pattern", old: `{"properties":{"x-a":{"type":"string"}},"additionalProperties":false}`,
			new: `{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}`},
		{name: "property removed into typed additionalProperties", old: `{"properties":{"a":{"type":["string","integer"]}}}`,
			new: `{"additionalProperties":{"type":"string"}}`,
			want: []want{
				{"/properties/a/type", schema.KindTypeNarrowed},         // a's integers now fail
				{"/additionalProperties/type", schema.KindTypeNarrowed}, // undeclared properties were any
			}},
		{name: "additionalProperties closed", old: `{"properties":{"a":{}}}`, new: `{"properties":{"a":{}},"additionalProperties":false}`,
			want: []want{{"/additionalProperties", schema.KindAdditionalPropertiesClosed}}},
		{name: "additionalProperties opened", old: `{"additionalProperties":false}`, new: `{"additionalProperties":true}`},
		{name: "new property against old additionalProperties", old: `{"additionalProperties":{"type":["string","number"]}}`,
			new:  `{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":["string","number"]}}`,
			want: []want{{"/properties/a/type", schema.KindTypeNarrowed}}},

		// Constraints tightened.
		{name: "minimum raised", old: `{"minimum":1}`, new: `{"minimum":2}`, want: []want{{"/minimum", schema.KindConstraintTightened}}},
		{name: "minimum lowered", old: `{"minimum":2}`, new: `{"minimum":1}`},
		{name: "minimum added", old: `{}`, new: `{"type":["number","string","boolean","null","array","object"],"minimum":0}`,
			want: []want{{"/minimum", schema.KindConstraintTightened}}},
		{name: "minimum made exclusive", old: `{"minimum":0}`, new: `{"exclusiveMinimum":0}`,
			want: []want{{"/exclusiveMinimum", schema.KindConstraintTightened}}},
		{name: "exclusive minimum made inclusive", old: `{"exclusiveMinimum":0}`, new: `{"minimum":0}`},
		{name: "maximum lowered", old: `{"maximum":10}`, new: `{"maximum":9.5}`, want: []want{{"/maximum", schema.KindConstraintTightened}}},
		{name: "maxLength lowered", old: `{"properties":{"s":{"maxLength":10}}}`, new: `{"properties":{"s":{"maxLength":5}}}`,
			want: []want{{"/properties/s/maxLength", schema.KindConstraintTightened}}},
		{name: "maxLength raised", old: `{"maxLength":5}`, new: `{"maxLength":10}`},
		{name: "minLength raised", old: `{}`, new: `{"minLength":1}`, want: []want{{"/minLength", schema.KindConstraintTightened}}},
		{name: "minLength zero added", old: `{}`, new: `{"minLength":0}`},
		{name: "maxItems lowered", old: `{"maxItems":3}`, new: `{"maxItems":2}`, want: []want{{"/maxItems", schema.KindConstraintTightened}}},
		{name: "pattern added", old: `{}`, new: `{"pattern":"^a"}`, want: []want{{"/pattern", schema.KindConstraintTightened}}},
		{name: "format added", old: `{}`, new: `{"format":"email"}`, want: []want{{"/format", schema.KindConstraintTightened}}},
		{name: "multipleOf coarser", old: `{"multipleOf":2}`, new: `{"multipleOf":4}`, want: []want{{"/multipleOf", schema.KindConstraintTightened}}},
		{name: "multipleOf finer", old: `{"multipleOf":4}`, new: `{"multipleOf":2}`},

		// $ref and combinators, best effort.
		{name: "ref unchanged", old: `{"$ref":"https://hookstream.dev/schemas/c/v1"}`, new: `{"$ref":"https://hookstream.dev/schemas/c/v1"}`},
		{name: "ref changed", old: `{"$ref":"https://hookstream.dev/schemas/c/v1"}`, new: `{"$ref":"https://hookstream.dev/schemas/c/v2"}`,
			want: []want{{"/$ref", schema.KindRefChanged}}},
		{name: "anyOf branch narrowed", old: `{"anyOf":[{"type":"string"},{"type":"number"}]}`, new: `{"anyOf":[{"type":"string"},{"type":"integer"}]}`,
			want: []want{{"/anyOf/1/type", schema.KindTypeNarrowed}}},
		{name: "anyOf branch removed", old: `{"anyOf":[{"type":"string"},{"type":"number"}]}`, new: `{"anyOf":[{"type":"string"}]}`,
			want: []want{{"/anyOf/1", schema.KindCompositionChanged}}},
		{name: "anyOf branch added", old: `{"anyOf":[{"type":"string"}]}`, new: `{"anyOf":[{"type":"string"},{"type":"null"}]}`},
		{name: "allOf branch added", old: `{}`, new: `{"allOf":[{"required":["a"]}]}`, want: []want{{"/allOf/0", schema.KindCompositionChanged}}},

		// Several at once, in a stable order.
		{name: "several", old: `{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"enum":[1,2]}},"required":["a"]}`,
			new: `{"type":"object","properties":{"a":{"type":"string"},"b":{"enum":[1]}},"required":["a","b"],"additionalProperties":false}`,
			want: []want{
				{"/required", schema.KindRequiredAdded},
				{"/properties/a/type", schema.KindTypeNarrowed},
				{"/properties/b/enum", schema.KindEnumNarrowed},
				{"/additionalProperties", schema.KindAdditionalPropertiesClosed},
			}},

		{name: "invalid old", old: `{`, new: `{}`, want: []want{{"", schema.KindSchemaInvalid}}},
		{name: "invalid new", old: `{}`, new: `nope`, want: []want{{"", schema.KindSchemaInvalid}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got := schema.CheckCompatible(raw(tt.old), raw(tt.new))
			require.Len(t, got, len(tt.want), "%v", got)
			for i, w := range tt.want {
				require.Equal(t, w.path, got[i].Path, "%v", got)
				require.Equal(t, w.kind, got[i].Kind, "%v", got)
				require.NotEmpty(t, got[i].Message)
			}
		})
	}
}

// Every core type is compatible with itself, and narrowing one is caught.
func TestCheckCompatibleCore(t *testing.T) {
	t.Parallel()

	for _, ct := range schema.Core() {
		require.Empty(t, schema.CheckCompatible(ct.Schema, ct.Schema), ct.Name)
	}
}
