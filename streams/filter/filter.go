package filter

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// Logic values of [RuleSet.Logic] and [Group.Logic]. The empty string means
// [LogicAnd].
const (
	LogicAnd = "and"
	LogicOr  = "or"
)

// Operators of [Rule.Operator].
const (
	OperatorEquals             = "equals"
	OperatorNotEquals          = "not_equals"
	OperatorContains           = "contains"
	OperatorNotContains        = "not_contains"
	OperatorStartsWith         = "starts_with"
	OperatorEndsWith           = "ends_with"
	OperatorRegexMatch         = "regex_match"
	OperatorGreaterThan        = "greater_than"
	OperatorGreaterThanOrEqual = "greater_than_or_equal"
	OperatorLessThan           = "less_than"
	OperatorLessThanOrEqual    = "less_than_or_equal"
	OperatorIn                 = "in"
	OperatorNotIn              = "not_in"
	OperatorExists             = "exists"
	OperatorNotExists          = "not_exists"
)

// Field prefixes of the non-body sources of [Rule.Field]. Body fields start
// with "$".
const (
	FieldPrefixHeaders  = "headers."
	FieldPrefixQuery    = "query."
	FieldPrefixMetadata = "metadata."
)

// Limits enforced by [Compile].
const (
	// MaxRules is the maximum number of rules in a rule set, counting the
	// rules of every group and disabled rules.
	MaxRules = 100
	// MaxPatternLen is the maximum length in bytes of a regex_match pattern.
	MaxPatternLen = 1024
)

// RuleSet is a webhook's filter configuration: top-level rules and groups
// combined with Logic.
type RuleSet struct {
	// Logic combines Rules and Groups: "and" (the default when empty) or "or".
	Logic string `json:"logic"`
	// Rules are the top-level rules.
	Rules []Rule `json:"rules"`
	// Groups are nested rule groups, one level deep.
	Groups []Group `json:"groups,omitempty"`
}

// Group is a nested set of rules combined with its own Logic.
type Group struct {
	// Logic combines Rules: "and" (the default when empty) or "or".
	Logic string `json:"logic"`
	// Rules are the group's rules.
	Rules []Rule `json:"rules"`
}

// Rule is one condition: Field Operator Value.
type Rule struct {
	// ID is an optional client-chosen identifier, echoed in results.
	ID string `json:"id,omitempty"`
	// Field is a JSONPath into the body ("$.data.status") or
	// "headers.<Name>", "query.<name>", "metadata.<key>".
	Field string `json:"field"`
	// Operator is one of the Operator constants.
	Operator string `json:"operator"`
	// Value is the operand: a JSON value (string, number, bool, null, array,
	// object) as decoded by encoding/json (float64 or json.Number for
	// numbers); Go integer types and []string are accepted too. Ignored by
	// exists and not_exists; an array for in and not_in; a string for
	// starts_with, ends_with and regex_match; a number or string for the
	// ordering operators.
	Value any `json:"value"`
	// Enabled disables the rule when false. Nil means enabled.
	Enabled *bool `json:"enabled,omitempty"`
}

// IsEnabled reports whether the rule takes part in evaluation.
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// String describes the rule as in reasons: `$.data.status equals "paid"`.
func (r Rule) String() string { return describe(r) }

// Input is what a rule set is evaluated against.
type Input struct {
	// Body is the decoded JSON body (json.Unmarshal into any), numbers as
	// float64 or json.Number. Nil when the body is empty or not JSON.
	Body any
	// Headers are the request headers, looked up case-insensitively.
	Headers http.Header
	// Query is the request's query string.
	Query url.Values
	// Metadata is the event metadata (SPEC §3.5); nested maps are reached
	// with dotted keys.
	Metadata map[string]any
}

// Validate reports whether rs compiles. It returns a *[ValidationError] when
// it does not.
func (rs RuleSet) Validate() error {
	_, err := Compile(rs)
	return err
}

// MarshalJSON writes "value" for every operator that takes one, also when it
// is JSON null (so `equals null` survives a round trip), and leaves it out
// for exists and not_exists.
func (r Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	if r.Operator == OperatorExists || r.Operator == OperatorNotExists {
		return json.Marshal(struct {
			plain
			Value any `json:"value,omitempty"`
		}{plain: plain(r)})
	}
	return json.Marshal(plain(r))
}
