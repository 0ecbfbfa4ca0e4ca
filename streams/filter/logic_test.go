package filter_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/filter"
)

var (
	yes = filter.Rule{Field: "$.str", Operator: "equals", Value: "hello world"}
	no  = filter.Rule{Field: "$.num", Operator: "equals", Value: 7}
)

func TestLogic(t *testing.T) {
	t.Parallel()

	off := func(r filter.Rule) filter.Rule { r.Enabled = ptr(false); return r }
	on := func(r filter.Rule) filter.Rule { r.Enabled = ptr(true); return r }

	tests := []struct {
		name string
		rs   filter.RuleSet
		want bool
	}{
		{"empty rule set", filter.RuleSet{}, true},
		{"empty or", filter.RuleSet{Logic: "or"}, true},
		{"and all true", filter.RuleSet{Rules: []filter.Rule{yes, yes}}, true},
		{"and one false", filter.RuleSet{Logic: "and", Rules: []filter.Rule{yes, no}}, false},
		{"or one true", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no, yes}}, true},
		{"or all false", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no, no}}, false},
		{"disabled false rule skipped", filter.RuleSet{Rules: []filter.Rule{yes, off(no)}}, true},
		{"explicitly enabled", filter.RuleSet{Rules: []filter.Rule{on(yes), on(no)}}, false},
		{"only disabled rules", filter.RuleSet{Rules: []filter.Rule{off(no)}}, true},
		{"or with disabled true rule", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no, off(yes)}}, false},
		{"and group true", filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Rules: []filter.Rule{yes, yes}}}}, true},
		{"and group false", filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Logic: "and", Rules: []filter.Rule{yes, no}}}}, false},
		{"or group true", filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Logic: "or", Rules: []filter.Rule{no, yes}}}}, true},
		{"or group false", filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Logic: "or", Rules: []filter.Rule{no, no}}}}, false},
		{"top or, group true", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no}, Groups: []filter.Group{{Rules: []filter.Rule{yes}}}}, true},
		{"top or, all false", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no}, Groups: []filter.Group{{Rules: []filter.Rule{yes, no}}, {Logic: "or", Rules: []filter.Rule{no}}}}, false},
		{"groups only", filter.RuleSet{Groups: []filter.Group{{Logic: "or", Rules: []filter.Rule{no, yes}}, {Rules: []filter.Rule{yes}}}}, true},
		{"group of disabled rules skipped under and", filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Rules: []filter.Rule{off(no)}}}}, true},
		{"group of disabled rules skipped under or", filter.RuleSet{Logic: "or", Rules: []filter.Rule{no}, Groups: []filter.Group{{Rules: []filter.Rule{off(yes)}}}}, false},
		{"empty group", filter.RuleSet{Groups: []filter.Group{{Logic: "or"}}}, true},
	}
	in := testInputs(t)["float64"]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			require.Equal(t, tt.want, matchBoth(t, compile(t, tt.rs), in))
		})
	}
}

func TestMatchReason(t *testing.T) {
	t.Parallel()

	in := testInputs(t)["float64"]
	status := filter.Rule{ID: "paid-only", Field: "$.data.status", Operator: "equals", Value: "paid"}

	tests := []struct {
		name       string
		rs         filter.RuleSet
		index      int
		groupIndex int
		reason     string
	}{
		{
			name:       "top-level and",
			rs:         filter.RuleSet{Rules: []filter.Rule{yes, yes, {Field: "$.data.status", Operator: "equals", Value: "paid"}}},
			index:      2,
			groupIndex: -1,
			reason:     `rule 2 ($.data.status equals "paid") did not match`,
		},
		{
			name:       "with id",
			rs:         filter.RuleSet{Rules: []filter.Rule{status}},
			index:      0,
			groupIndex: -1,
			reason:     `rule 0 "paid-only" ($.data.status equals "paid") did not match`,
		},
		{
			name:       "and group",
			rs:         filter.RuleSet{Rules: []filter.Rule{yes}, Groups: []filter.Group{{Rules: []filter.Rule{yes}}, {Rules: []filter.Rule{yes, {Field: "headers.X-Event", Operator: "exists", Enabled: ptr(false)}, no}}}},
			index:      2,
			groupIndex: 1,
			reason:     `group 1 rule 2 ($.num equals 7) did not match`,
		},
		{
			name:       "or group",
			rs:         filter.RuleSet{Groups: []filter.Group{{Logic: "or", Rules: []filter.Rule{no, {Field: "$.missing", Operator: "exists"}}}}},
			index:      0,
			groupIndex: 0,
			reason:     `group 0: none of its 2 rules matched (logic or); first: group 0 rule 0 ($.num equals 7) did not match`,
		},
		{
			name:       "top-level or",
			rs:         filter.RuleSet{Logic: "or", Rules: []filter.Rule{no, no}},
			index:      0,
			groupIndex: -1,
			reason:     `none of 2 conditions matched (logic or); first: rule 0 ($.num equals 7) did not match`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			res := compile(t, tt.rs).Match(in)
			require.False(t, res.Matched)
			require.Equal(t, tt.reason, res.Reason)
			require.NotNil(t, res.Failed)
			require.Equal(t, tt.index, res.Failed.Index)
			require.Equal(t, tt.groupIndex, res.Failed.GroupIndex)
			require.False(t, res.Failed.Matched)
			require.Contains(t, tt.reason, res.Failed.Reason())
		})
	}
}

func TestRuleString(t *testing.T) {
	t.Parallel()

	require.Equal(t, `$.a equals "x"`, filter.Rule{Field: "$.a", Operator: "equals", Value: "x"}.String())
	require.Equal(t, `$.a in [1,"b"]`, filter.Rule{Field: "$.a", Operator: "in", Value: []any{1, "b"}}.String())
	require.Equal(t, `headers.X exists`, filter.Rule{Field: "headers.X", Operator: "exists"}.String())
	long := filter.Rule{Field: "$.a", Operator: "equals", Value: strings.Repeat("é", 200)}.String()
	require.Less(t, len(long), 140)
	require.True(t, strings.HasSuffix(long, "…"))
}

func TestExplain(t *testing.T) {
	t.Parallel()

	in := testInputs(t)["float64"]
	p := compile(t, filter.RuleSet{
		Rules: []filter.Rule{
			{Field: "$.items[*].sku", Operator: "equals", Value: "B2"},
			{Field: "$.num", Operator: "equals", Value: "42"},
			{Field: "headers.X-Multi", Operator: "exists", Enabled: ptr(false)},
		},
		Groups: []filter.Group{
			{Logic: "or", Rules: []filter.Rule{no, {Field: "$.missing", Operator: "not_exists"}}},
			{Rules: []filter.Rule{{Field: "$.x", Operator: "exists", Enabled: ptr(false)}}},
		},
	})

	ex := p.Explain(in)
	require.False(t, ex.Matched)
	require.Equal(t, `rule 1 ($.num equals "42") did not match`, ex.Reason)
	require.Len(t, ex.Rules, 6)

	require.Equal(t, filter.RuleResult{
		Index: 0, GroupIndex: -1, Rule: p.RuleSet().Rules[0], Matched: true,
		Values: []any{"A1", "B2", "C3"}, // every value, not only up to the first hit
	}, ex.Rules[0])

	require.False(t, ex.Rules[1].Matched)
	require.Equal(t, []any{42.0}, ex.Rules[1].Values)
	require.Equal(t, "type mismatch: found number, want string", ex.Rules[1].Error)

	require.True(t, ex.Rules[2].Skipped)
	require.True(t, ex.Rules[2].Matched, "disabled rules report what they would have done")
	require.Equal(t, []any{"a", "b"}, ex.Rules[2].Values)

	require.Equal(t, 0, ex.Rules[3].GroupIndex)
	require.False(t, ex.Rules[3].Matched)
	require.Empty(t, ex.Rules[3].Error)
	require.True(t, ex.Rules[4].Matched)
	require.Equal(t, []any{}, ex.Rules[4].Values)
	require.Equal(t, filter.RuleResult{
		Index: 0, GroupIndex: 1, Rule: p.RuleSet().Groups[1].Rules[0], Skipped: true, Values: []any{},
	}, ex.Rules[5])

	require.Equal(t, []filter.GroupResult{
		{Index: 0, Logic: "or", Matched: true},
		{Index: 1, Logic: "", Matched: true, Skipped: true},
	}, ex.Groups)

	// The explanation serializes for the API.
	b, err := json.Marshal(ex)
	require.NoError(t, err)
	require.Contains(t, string(b), `"groupIndex":-1`)
	require.Contains(t, string(b), `"values":["A1","B2","C3"]`)
}

func TestExplainRuleOrder(t *testing.T) {
	t.Parallel()

	p := compile(t, filter.RuleSet{
		Groups: []filter.Group{{Rules: []filter.Rule{yes, no}}},
		Rules:  []filter.Rule{no},
	})
	ex := p.Explain(testInputs(t)["float64"])
	got := make([][2]int, 0, len(ex.Rules))
	for _, rr := range ex.Rules {
		got = append(got, [2]int{rr.GroupIndex, rr.Index})
	}
	require.Equal(t, [][2]int{{-1, 0}, {0, 0}, {0, 1}}, got)
}

func TestProgramIsIndependentOfItsRuleSet(t *testing.T) {
	t.Parallel()

	values := []any{"x", "hello world"}
	p := compile(t, filter.RuleSet{Rules: []filter.Rule{{Field: "$.str", Operator: "in", Value: values}}})
	values[1] = "changed"
	require.True(t, p.Match(testInputs(t)["float64"]).Matched)
}

func TestConcurrentMatch(t *testing.T) {
	t.Parallel()

	p := compile(t, benchRuleSet)
	in := testInputs(t)["json.Number"]
	want := p.Match(in)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := p.Match(in); got.Matched != want.Matched || got.Reason != want.Reason {
					t.Errorf("got %+v, want %+v", got, want)
					return
				}
				_ = p.Explain(in)
			}
		})
	}
	wg.Wait()
}
