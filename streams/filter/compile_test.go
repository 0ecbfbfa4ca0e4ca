package filter_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/filter"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()

	rule := func(field, op string, value any) filter.RuleSet {
		return filter.RuleSet{Rules: []filter.Rule{yes, {Field: field, Operator: op, Value: value}}}
	}
	tests := []struct {
		name  string
		rs    filter.RuleSet
		field string
		msg   string
	}{
		{"unknown operator", rule("$.a", "matches", "x"), "rules[1].operator", `unknown operator "matches"`},
		{"operator case", rule("$.a", "EQUALS", "x"), "rules[1].operator", "unknown operator"},
		{"empty operator", rule("$.a", "", "x"), "rules[1].operator", "unknown operator"},
		{"descendant", rule("$..a", "exists", nil), "rules[1].field", `".." is not allowed`},
		{"descendant wildcard", rule("$.a..[*]", "exists", nil), "rules[1].field", `".." is not allowed`},
		{"descendant in filter", rule("$.items[?@..price > 1]", "exists", nil), "rules[1].field", `".." is not allowed`},
		{"match function", rule("$.items[?match(@.sku, 'A.*')]", "exists", nil), "rules[1].field", "match() is not allowed in fields: use the regex_match operator"},
		{"search function", rule("$.items[?@.a && search(@.sku, @.pattern)]", "exists", nil), "rules[1].field", "search() is not allowed"},
		{"bad path", rule("$.[", "exists", nil), "rules[1].field", "invalid JSONPath"},
		{"bad path trailing dot", rule("$.a.", "exists", nil), "rules[1].field", "invalid JSONPath"},
		{"relative path", rule("@.a", "exists", nil), "rules[1].field", "unknown field"},
		{"empty field", rule("", "exists", nil), "rules[1].field", "field is empty"},
		{"unknown source", rule("body.a", "exists", nil), "rules[1].field", `unknown field "body.a"`},
		{"empty header", rule("headers.", "exists", nil), "rules[1].field", "invalid header name"},
		{"bad header", rule("headers.X Event", "exists", nil), "rules[1].field", "invalid header name"},
		{"empty query", rule("query.", "exists", nil), "rules[1].field", "query parameter name is empty"},
		{"empty metadata", rule("metadata.", "exists", nil), "rules[1].field", "invalid metadata key"},
		{"metadata double dot", rule("metadata.a..b", "exists", nil), "rules[1].field", "invalid metadata key"},
		{"bad regex", rule("$.a", "regex_match", "(unclosed"), "rules[1].value", "invalid pattern"},
		{"perl regex", rule("$.a", "regex_match", `(?=x)`), "rules[1].value", "invalid pattern"},
		{"long regex", rule("$.a", "regex_match", strings.Repeat("a", filter.MaxPatternLen+1)), "rules[1].value", "pattern is 1025 bytes long (at most 1024)"},
		{"regex not a string", rule("$.a", "regex_match", 1.0), "rules[1].value", "needs a string pattern"},
		{"in with string", rule("$.a", "in", "x"), "rules[1].value", "in needs an array value, got string"},
		{"in with null", rule("$.a", "in", nil), "rules[1].value", "needs an array value, got null"},
		{"not_in with object", rule("$.a", "not_in", map[string]any{}), "rules[1].value", "not_in needs an array value, got object"},
		{"starts_with number", rule("$.a", "starts_with", 1.0), "rules[1].value", "starts_with needs a string value, got number"},
		{"ends_with null", rule("$.a", "ends_with", nil), "rules[1].value", "ends_with needs a string value"},
		{"greater_than bool", rule("$.a", "greater_than", true), "rules[1].value", "needs a number or string value, got boolean"},
		{"less_than array", rule("$.a", "less_than", []any{1}), "rules[1].value", "needs a number or string value, got array"},
		{"invalid json.Number", rule("$.a", "equals", json.Number("12abc")), "rules[1].value", `invalid number "12abc"`},
		{"unsupported type", rule("$.a", "equals", struct{}{}), "rules[1].value", "unsupported value type struct {}"},
		{"nested unsupported type", rule("$.a", "equals", []any{map[string]any{"a": struct{}{}}}), "rules[1].value", "unsupported value type"},
		{"unknown logic", filter.RuleSet{Logic: "xor"}, "logic", `unknown logic "xor"`},
		{"unknown group logic", filter.RuleSet{Groups: []filter.Group{{}, {Logic: "OR"}}}, "groups[1].logic", "unknown logic"},
		{"group rule", filter.RuleSet{Groups: []filter.Group{{Rules: []filter.Rule{yes, {Field: "$.a", Operator: "nope"}}}}}, "groups[0].rules[1].operator", "unknown operator"},
		{"disabled rules are validated", filter.RuleSet{Rules: []filter.Rule{{Field: "$..a", Operator: "exists", Enabled: ptr(false)}}}, "rules[0].field", `".."`},
		{"too many rules", filter.RuleSet{Rules: make([]filter.Rule, 60), Groups: []filter.Group{{Rules: make([]filter.Rule, 41)}}}, "rules", "too many rules: 101 (at most 100, groups included)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			p, err := filter.Compile(tt.rs)
			require.Nil(t, p)
			var verr *filter.ValidationError
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields(), 1, "%v", err)
			require.Equal(t, tt.field, verr.Errors[0].Field)
			require.Contains(t, verr.Errors[0].Message, tt.msg)
			require.ErrorContains(t, tt.rs.Validate(), tt.msg)
		})
	}
}

func TestCompileCollectsEveryError(t *testing.T) {
	t.Parallel()

	_, err := filter.Compile(filter.RuleSet{
		Logic: "nand",
		Rules: []filter.Rule{{Field: "x", Operator: "y", Value: "z"}, yes},
		Groups: []filter.Group{
			{Rules: []filter.Rule{{Field: "$.a", Operator: "in", Value: 1.0}}},
		},
	})
	var verr *filter.ValidationError
	require.True(t, errors.As(err, &verr))
	fields := make([]string, 0, len(verr.Errors))
	for _, fe := range verr.Errors {
		fields = append(fields, fe.Field)
	}
	require.Equal(t, []string{"logic", "rules[0].field", "rules[0].operator", "groups[0].rules[0].value"}, fields)
	require.True(t, strings.HasPrefix(err.Error(), "invalid filter rule set: logic: unknown logic"), err.Error())
}

func TestCompileAccepts(t *testing.T) {
	t.Parallel()

	for _, field := range []string{
		"$",
		"$.a",
		"$['a..b']",   // ".." inside a string literal is a name, not a segment
		`$["a\"..b"]`, // escaped quote inside a literal
		"$.items[?@.name == 'x..y'].sku",
		"$.items[?length(@.sku) == 2]",
		"$.match",
		"$.items[?@.search == 'match(']",
		"$.a[0:10:2]",
		"$.a[*][-1]",
		"headers.X-GitHub-Event",
		"query.a.b",
		"metadata.a.b.c",
	} {
		_, err := filter.Compile(filter.RuleSet{Rules: []filter.Rule{{Field: field, Operator: "exists"}}})
		require.NoError(t, err, field)
	}
	// exists ignores its value; the limit counts exactly.
	_, err := filter.Compile(filter.RuleSet{Rules: []filter.Rule{{Field: "$.a", Operator: "exists", Value: struct{}{}}}})
	require.NoError(t, err)
	rules := make([]filter.Rule, filter.MaxRules)
	for i := range rules {
		rules[i] = yes
	}
	_, err = filter.Compile(filter.RuleSet{Rules: rules})
	require.NoError(t, err)
	_, err = filter.Compile(filter.RuleSet{Rules: []filter.Rule{{Field: "$.a", Operator: "regex_match", Value: strings.Repeat("a", filter.MaxPatternLen)}}})
	require.NoError(t, err)
}

func TestRuleSetJSON(t *testing.T) {
	t.Parallel()

	const doc = `{"logic":"or","rules":[{"id":"r1","field":"$.data.status","operator":"equals","value":"paid","enabled":false}],` +
		`"groups":[{"logic":"and","rules":[{"field":"headers.X-Event","operator":"exists"}]}]}`
	var rs filter.RuleSet
	require.NoError(t, json.Unmarshal([]byte(doc), &rs))
	require.Equal(t, filter.RuleSet{
		Logic:  "or",
		Rules:  []filter.Rule{{ID: "r1", Field: "$.data.status", Operator: "equals", Value: "paid", Enabled: ptr(false)}},
		Groups: []filter.Group{{Logic: "and", Rules: []filter.Rule{{Field: "headers.X-Event", Operator: "exists"}}}},
	}, rs)
	require.False(t, rs.Rules[0].IsEnabled())
	require.True(t, rs.Groups[0].Rules[0].IsEnabled())
	out, err := json.Marshal(rs)
	require.NoError(t, err)
	require.JSONEq(t, doc, string(out))
}

func TestRuleValueNullRoundTrip(t *testing.T) {
	t.Parallel()
	in := `{"logic":"and","rules":[{"field":"$.a","operator":"equals","value":null},{"field":"$.b","operator":"exists"}]}`
	var rs filter.RuleSet
	require.NoError(t, json.Unmarshal([]byte(in), &rs))
	out, err := json.Marshal(rs)
	require.NoError(t, err)
	require.JSONEq(t, in, string(out))
}
