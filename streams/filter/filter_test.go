package filter_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/filter"
)

const testBody = `{
	"str": "hello world",
	"empty": "",
	"num": 42,
	"float": 2.5,
	"bool": true,
	"null": null,
	"arr": ["a", "b", 3],
	"obj": {"k": "v", "n": 1},
	"items": [
		{"sku": "A1", "price": 10},
		{"sku": "B2", "price": 25},
		{"sku": "C3", "price": 30}
	],
	"big": 9007199254740993
}`

// testInputs returns the test input twice: numbers decoded as float64 and as
// json.Number.
func testInputs(t *testing.T) map[string]filter.Input {
	t.Helper()

	var plain any
	require.NoError(t, json.Unmarshal([]byte(testBody), &plain))
	dec := json.NewDecoder(strings.NewReader(testBody))
	dec.UseNumber()
	var numbers any
	require.NoError(t, dec.Decode(&numbers))

	in := func(body any) filter.Input {
		return filter.Input{
			Body: body,
			Headers: http.Header{
				"X-Event": {"order.paid"},
				"X-Multi": {"a", "b"},
				"X-Num":   {"42"},
			},
			Query: url.Values{"topic": {"orders"}, "tag": {"x", "y"}, "n": {"5"}},
			Metadata: map[string]any{
				"source":      "github",
				"count":       3,
				"flag":        true,
				"nil":         nil,
				"tags":        []any{"x", "y"},
				"geo.country": "US",
				"userAgent":   map[string]any{"browser": "Firefox", "os": map[string]any{"name": "Linux"}},
				"labels":      map[string]string{"team": "core"},
			},
		}
	}
	return map[string]filter.Input{"float64": in(plain), "json.Number": in(numbers)}
}

func ptr[T any](v T) *T { return &v }

func compile(t *testing.T, rs filter.RuleSet) *filter.Program {
	t.Helper()
	p, err := filter.Compile(rs)
	require.NoError(t, err)
	return p
}

// matchBoth runs Match and Explain and checks that they agree.
func matchBoth(t *testing.T, p *filter.Program, in filter.Input) bool {
	t.Helper()
	res := p.Match(in)
	ex := p.Explain(in)
	require.Equal(t, res.Matched, ex.Matched, "Match and Explain disagree")
	require.Equal(t, res.Reason, ex.Reason)
	if res.Matched {
		require.Nil(t, res.Failed)
		require.Empty(t, res.Reason)
	} else {
		require.NotNil(t, res.Failed)
		require.NotEmpty(t, res.Reason)
	}
	return res.Matched
}

func TestOperators(t *testing.T) {
	t.Parallel()

	obj := map[string]any{"k": "v", "n": 1}
	tests := []struct {
		field string
		op    string
		value any
		want  bool
	}{
		// equals: every type, every source.
		{"$.str", "equals", "hello world", true},
		{"$.str", "equals", "hello", false},
		{"$.empty", "equals", "", true},
		{"$.num", "equals", 42, true},
		{"$.num", "equals", 42.0, true},
		{"$.num", "equals", json.Number("42"), true},
		{"$.num", "equals", json.Number("42.0"), true},
		{"$.num", "equals", "42", false},
		{"$.num", "equals", 41, false},
		{"$.float", "equals", 2.5, true},
		{"$.bool", "equals", true, true},
		{"$.bool", "equals", false, false},
		{"$.bool", "equals", "true", false},
		{"$.bool", "equals", 1, false},
		{"$.null", "equals", nil, true},
		{"$.null", "equals", "", false},
		{"$.str", "equals", nil, false},
		{"$.missing", "equals", nil, false},
		{"$.missing", "equals", "x", false},
		{"$.arr", "equals", []any{"a", "b", 3}, true},
		{"$.arr", "equals", []any{"a", "b", "3"}, false},
		{"$.arr", "equals", []any{"a", "b"}, false},
		{"$.arr", "equals", "a", false},
		{"$.obj", "equals", obj, true},
		{"$.obj", "equals", map[string]any{"k": "v", "n": 2}, false},
		{"$.obj", "equals", map[string]any{"k": "v"}, false},
		{"$.items[*].sku", "equals", "B2", true},
		{"$.items[*].sku", "equals", "Z9", false},
		{"$.items[?@.price > 20].sku", "equals", "C3", true},
		{"$.items[?@.price > 20].sku", "equals", "A1", false},
		{"$.items[-1].sku", "equals", "C3", true},
		{"$.items[0:2].sku", "equals", "B2", true},
		{"$.items[0:2].sku", "equals", "C3", false},
		{"$['str']", "equals", "hello world", true},
		{"headers.X-Event", "equals", "order.paid", true},
		{"headers.x-event", "equals", "order.paid", true},
		{"headers.X-EVENT", "equals", "order.paid", true},
		{"headers.X-Multi", "equals", "b", true},
		{"headers.X-Num", "equals", 42, false},
		{"headers.Missing", "equals", "x", false},
		{"query.topic", "equals", "orders", true},
		{"query.tag", "equals", "y", true},
		{"query.Topic", "equals", "orders", false},
		{"query.n", "equals", 5, false},
		{"metadata.source", "equals", "github", true},
		{"metadata.count", "equals", 3, true},
		{"metadata.count", "equals", 3.0, true},
		{"metadata.count", "equals", "3", false},
		{"metadata.flag", "equals", true, true},
		{"metadata.nil", "equals", nil, true},
		{"metadata.tags", "equals", []any{"x", "y"}, true},
		{"metadata.userAgent.browser", "equals", "Firefox", true},
		{"metadata.userAgent.os.name", "equals", "Linux", true},
		{"metadata.geo.country", "equals", "US", true},
		{"metadata.labels.team", "equals", "core", true},
		{"metadata.missing", "equals", nil, false},
		{"metadata.userAgent.missing", "equals", "x", false},

		// not_equals: true when no value equals.
		{"$.str", "not_equals", "hello world", false},
		{"$.str", "not_equals", "x", true},
		{"$.num", "not_equals", 42, false},
		{"$.num", "not_equals", "42", true},
		{"$.bool", "not_equals", false, true},
		{"$.null", "not_equals", nil, false},
		{"$.obj", "not_equals", obj, false},
		{"$.arr", "not_equals", []any{"a"}, true},
		{"$.missing", "not_equals", "x", true},
		{"$.items[*].sku", "not_equals", "B2", false},
		{"$.items[*].sku", "not_equals", "Z9", true},
		{"headers.X-Multi", "not_equals", "a", false},
		{"headers.X-Multi", "not_equals", "c", true},
		{"query.tag", "not_equals", "x", false},
		{"metadata.source", "not_equals", "gitlab", true},
		{"metadata.count", "not_equals", 3, false},

		// contains: substring on strings, element on arrays.
		{"$.str", "contains", "o w", true},
		{"$.str", "contains", "xyz", false},
		{"$.arr", "contains", "a", true},
		{"$.arr", "contains", 3, true},
		{"$.arr", "contains", "3", false},
		{"$.arr", "contains", "z", false},
		{"$.items", "contains", map[string]any{"sku": "A1", "price": 10}, true},
		{"$.items", "contains", map[string]any{"sku": "A1"}, false},
		{"$.num", "contains", 4, false},
		{"$.num", "contains", "4", false},
		{"$.obj", "contains", "k", false},
		{"$.bool", "contains", true, false},
		{"$.null", "contains", nil, false},
		{"$.missing", "contains", "a", false},
		{"$.items[*].sku", "contains", "2", true},
		{"headers.X-Event", "contains", "paid", true},
		{"headers.X-Event", "contains", "refund", false},
		{"query.topic", "contains", "der", true},
		{"metadata.tags", "contains", "y", true},
		{"metadata.userAgent.browser", "contains", "fox", true},

		// not_contains.
		{"$.str", "not_contains", "world", false},
		{"$.str", "not_contains", "xyz", true},
		{"$.arr", "not_contains", "a", false},
		{"$.arr", "not_contains", "z", true},
		{"$.items[*].sku", "not_contains", "2", false},
		{"$.items[*].sku", "not_contains", "Z", true},
		{"$.missing", "not_contains", "a", true},
		{"$.num", "not_contains", 4, true},
		{"headers.X-Multi", "not_contains", "a", false},
		{"query.tag", "not_contains", "z", true},
		{"metadata.tags", "not_contains", "x", false},

		// starts_with and ends_with: strings only.
		{"$.str", "starts_with", "hello", true},
		{"$.str", "starts_with", "world", false},
		{"$.empty", "starts_with", "", true},
		{"$.num", "starts_with", "4", false},
		{"$.arr", "starts_with", "a", false},
		{"$.null", "starts_with", "", false},
		{"$.missing", "starts_with", "", false},
		{"$.items[*].sku", "starts_with", "C", true},
		{"headers.X-Event", "starts_with", "order.", true},
		{"query.topic", "starts_with", "ord", true},
		{"metadata.source", "starts_with", "git", true},
		{"metadata.count", "starts_with", "3", false},
		{"$.str", "ends_with", "world", true},
		{"$.str", "ends_with", "hello", false},
		{"$.bool", "ends_with", "e", false},
		{"$.items[*].sku", "ends_with", "3", true},
		{"headers.X-Multi", "ends_with", "b", true},
		{"query.tag", "ends_with", "z", false},
		{"metadata.userAgent.browser", "ends_with", "fox", true},

		// regex_match: strings only.
		{"$.str", "regex_match", `^hello\s+w`, true},
		{"$.str", "regex_match", `^world`, false},
		{"$.empty", "regex_match", `^$`, true},
		{"$.num", "regex_match", `4`, false},
		{"$.bool", "regex_match", `true`, false},
		{"$.null", "regex_match", `.*`, false},
		{"$.arr", "regex_match", `a`, false},
		{"$.missing", "regex_match", `.*`, false},
		{"$.items[*].sku", "regex_match", `^B\d$`, true},
		{"headers.X-Event", "regex_match", `\.paid$`, true},
		{"query.tag", "regex_match", `^y$`, true},
		{"metadata.source", "regex_match", `hub$`, true},

		// Ordering: numbers numerically, strings as strings.
		{"$.num", "greater_than", 41, true},
		{"$.num", "greater_than", 42, false},
		{"$.num", "greater_than", json.Number("41.5"), true},
		{"$.num", "greater_than", "41", false},
		{"$.float", "greater_than", 2, true},
		{"$.items[*].price", "greater_than", 29, true},
		{"$.items[*].price", "greater_than", 30, false},
		{"$.str", "greater_than", "hello", true},
		{"$.str", "greater_than", "i", false},
		{"$.str", "greater_than", 1, false},
		{"$.bool", "greater_than", 0, false},
		{"$.null", "greater_than", -1, false},
		{"$.arr", "greater_than", 0, false},
		{"$.missing", "greater_than", 0, false},
		{"headers.X-Num", "greater_than", 41, false},
		{"headers.X-Num", "greater_than", "41", true},
		{"query.n", "greater_than", "4", true},
		{"metadata.count", "greater_than", 2, true},
		{"metadata.count", "greater_than", 3, false},
		{"$.num", "greater_than_or_equal", 42, true},
		{"$.num", "greater_than_or_equal", 43, false},
		{"$.str", "greater_than_or_equal", "hello world", true},
		{"metadata.count", "greater_than_or_equal", 3, true},
		{"$.num", "less_than", 43, true},
		{"$.num", "less_than", 42, false},
		{"$.items[*].price", "less_than", 11, true},
		{"$.items[*].price", "less_than", 10, false},
		{"$.str", "less_than", "i", true},
		{"headers.X-Num", "less_than", "5", true},
		{"metadata.count", "less_than", 4, true},
		{"$.num", "less_than_or_equal", 42, true},
		{"$.num", "less_than_or_equal", 41, false},
		{"$.float", "less_than_or_equal", 2.5, true},
		{"query.n", "less_than_or_equal", "5", true},

		// in and not_in.
		{"$.str", "in", []any{"x", "hello world"}, true},
		{"$.str", "in", []any{"x"}, false},
		{"$.str", "in", []string{"hello world"}, true},
		{"$.num", "in", []any{1, 42}, true},
		{"$.num", "in", []any{"42"}, false},
		{"$.bool", "in", []any{true}, true},
		{"$.null", "in", []any{nil}, true},
		{"$.obj", "in", []any{obj}, true},
		{"$.arr", "in", []any{[]any{"a", "b", 3}}, true},
		{"$.missing", "in", []any{nil, "x"}, false},
		{"$.str", "in", []any{}, false},
		{"$.items[*].sku", "in", []any{"Z9", "C3"}, true},
		{"headers.X-Multi", "in", []any{"b", "c"}, true},
		{"headers.X-Num", "in", []any{42}, false},
		{"query.topic", "in", []any{"orders"}, true},
		{"metadata.count", "in", []any{3}, true},
		{"metadata.source", "in", []any{"gitlab"}, false},
		{"$.str", "not_in", []any{"x"}, true},
		{"$.str", "not_in", []any{"hello world"}, false},
		{"$.num", "not_in", []any{"42"}, true},
		{"$.missing", "not_in", []any{"x"}, true},
		{"$.items[*].sku", "not_in", []any{"A1"}, false},
		{"$.items[*].sku", "not_in", []any{"Z9"}, true},
		{"headers.X-Multi", "not_in", []any{"c"}, true},
		{"headers.X-Multi", "not_in", []any{"a"}, false},
		{"query.tag", "not_in", []any{"y"}, false},
		{"metadata.source", "not_in", []any{"gitlab"}, true},

		// exists and not_exists: null exists.
		{"$.str", "exists", nil, true},
		{"$.null", "exists", nil, true},
		{"$.empty", "exists", nil, true},
		{"$.missing", "exists", nil, false},
		{"$.obj.k", "exists", nil, true},
		{"$.obj.k.deeper", "exists", nil, false},
		{"$.arr[-1]", "exists", nil, true},
		{"$.arr[5]", "exists", nil, false},
		{"$.items[*].sku", "exists", nil, true},
		{"$.items[?@.price > 100]", "exists", nil, false},
		{"headers.x-event", "exists", nil, true},
		{"headers.Missing", "exists", nil, false},
		{"query.tag", "exists", nil, true},
		{"query.missing", "exists", nil, false},
		{"metadata.nil", "exists", nil, true},
		{"metadata.userAgent.browser", "exists", nil, true},
		{"metadata.missing", "exists", nil, false},
		{"$.str", "not_exists", nil, false},
		{"$.null", "not_exists", nil, false},
		{"$.missing", "not_exists", nil, true},
		{"$.items[?@.price > 100]", "not_exists", nil, true},
		{"headers.Missing", "not_exists", nil, true},
		{"headers.X-Event", "not_exists", nil, false},
		{"query.missing", "not_exists", nil, true},
		{"metadata.missing", "not_exists", nil, true},
		{"metadata.source", "not_exists", nil, false},
	}

	inputs := testInputs(t)
	for _, tt := range tests {
		name := tt.field + " " + tt.op + " " + describeValue(tt.value)
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			p := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: tt.field, Operator: tt.op, Value: tt.value}}})
			for numbers, in := range inputs {
				require.Equal(t, tt.want, matchBoth(t, p, in), "numbers as %s", numbers)
			}
		})
	}
}

func describeValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

func TestLargeIntegersCompareExactly(t *testing.T) {
	t.Parallel()

	in := testInputs(t)["json.Number"]
	exact := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: "$.big", Operator: "equals", Value: json.Number("9007199254740993")}}})
	require.True(t, exact.Match(in).Matched)
	off := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: "$.big", Operator: "equals", Value: json.Number("9007199254740992")}}})
	require.False(t, off.Match(in).Matched)
	gt := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: "$.big", Operator: "greater_than", Value: int64(9007199254740992)}}})
	require.True(t, gt.Match(in).Matched)
}

func TestNonCanonicalHeaders(t *testing.T) {
	t.Parallel()

	p := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: "headers.X-GitHub-Event", Operator: "equals", Value: "push"}}})
	require.True(t, p.Match(filter.Input{Headers: http.Header{"x-github-event": {"push"}}}).Matched)
	require.True(t, p.Match(filter.Input{Headers: http.Header{"X-Github-Event": {"push"}}}).Matched)
	require.False(t, p.Match(filter.Input{Headers: http.Header{"x-github-event": {"pull"}}}).Matched)
	require.False(t, p.Match(filter.Input{}).Matched)
}

func TestEmptyInput(t *testing.T) {
	t.Parallel()

	// Nothing to look at: positive operators fail, negated ones hold.
	for _, tt := range []struct {
		field, op string
		value     any
		want      bool
	}{
		{"$.a", "equals", "x", false},
		{"$.a", "not_equals", "x", true},
		{"$.a", "not_exists", nil, true},
		{"$", "exists", nil, true}, // the whole (null) body
		{"headers.A", "exists", nil, false},
		{"query.a", "not_in", []any{"x"}, true},
		{"metadata.a.b", "exists", nil, false},
	} {
		p := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: tt.field, Operator: tt.op, Value: tt.value}}})
		require.Equal(t, tt.want, matchBoth(t, p, filter.Input{}), "%s %s", tt.field, tt.op)
	}
}
