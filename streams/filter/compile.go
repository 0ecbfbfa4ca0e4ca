package filter

import (
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"
)

// op is an operator stripped of its negation: not_equals is equals negated.
type op uint8

const (
	opExists op = iota + 1
	opEquals
	opContains
	opStartsWith
	opEndsWith
	opRegexMatch
	opGreaterThan
	opGreaterThanOrEqual
	opLessThan
	opLessThanOrEqual
	opIn
)

// operators maps operator names to the base op and whether it is negated.
var operators = map[string]struct {
	op     op
	negate bool
}{
	OperatorEquals:             {opEquals, false},
	OperatorNotEquals:          {opEquals, true},
	OperatorContains:           {opContains, false},
	OperatorNotContains:        {opContains, true},
	OperatorStartsWith:         {opStartsWith, false},
	OperatorEndsWith:           {opEndsWith, false},
	OperatorRegexMatch:         {opRegexMatch, false},
	OperatorGreaterThan:        {opGreaterThan, false},
	OperatorGreaterThanOrEqual: {opGreaterThanOrEqual, false},
	OperatorLessThan:           {opLessThan, false},
	OperatorLessThanOrEqual:    {opLessThanOrEqual, false},
	OperatorIn:                 {opIn, false},
	OperatorNotIn:              {opIn, true},
	OperatorExists:             {opExists, false},
	OperatorNotExists:          {opExists, true},
}

type sourceKind uint8

const (
	sourceBody sourceKind = iota + 1
	sourceHeader
	sourceQuery
	sourceMetadata
)

// source is a compiled field.
type source struct {
	kind sourceKind
	// segs is the parsed JSONPath of a body field.
	segs []*spec.Segment
	// name is the canonical header name, the query parameter or the
	// metadata key.
	name string
	// rawName is the header name as written, for case-insensitive lookups
	// in non-canonical header maps.
	rawName string
}

// operand is a compiled rule value.
type operand struct {
	kind kind
	s    string
	n    num
	b    bool
	v    any // arrays and objects, for deep equality
}

type compiledRule struct {
	index  int
	group  int // -1 for top-level rules
	rule   Rule
	src    source
	op     op
	negate bool
	val    operand
	list   []operand      // in, not_in
	re     *regexp.Regexp // regex_match
	reason string
}

type compiledGroup struct {
	index  int
	logic  string
	or     bool
	rules  []*compiledRule // enabled only
	reason string          // when an "or" group fails
}

// term is one operand of the top-level logic: a rule or a group.
type term struct {
	rule  *compiledRule
	group *compiledGroup
}

// Program is a compiled [RuleSet]. It is immutable and safe for concurrent
// use.
type Program struct {
	ruleSet  RuleSet
	or       bool
	terms    []term          // enabled rules, then non-empty groups
	all      []*compiledRule // every rule, for Explain
	groups   []*compiledGroup
	orReason string // when the top-level "or" fails
}

// RuleSet returns the rule set p was compiled from.
func (p *Program) RuleSet() RuleSet { return p.ruleSet }

// Compile validates rs and compiles it. It returns a *[ValidationError]
// listing every problem when rs is invalid.
func Compile(rs RuleSet) (*Program, error) {
	verr := &ValidationError{}
	total := len(rs.Rules)
	for _, g := range rs.Groups {
		total += len(g.Rules)
	}
	if total > MaxRules {
		verr.add("rules", fmt.Sprintf("too many rules: %d (at most %d, groups included)", total, MaxRules))
		return nil, verr
	}

	p := &Program{ruleSet: rs}
	p.or = checkLogic(verr, "logic", rs.Logic)
	for i, r := range rs.Rules {
		cr := compileRule(verr, fmt.Sprintf("rules[%d]", i), r)
		if cr == nil {
			continue
		}
		cr.index, cr.group = i, -1
		cr.reason = ruleReason(i, -1, r)
		p.all = append(p.all, cr)
		if r.IsEnabled() {
			p.terms = append(p.terms, term{rule: cr})
		}
	}
	for gi, g := range rs.Groups {
		prefix := fmt.Sprintf("groups[%d]", gi)
		cg := &compiledGroup{index: gi, logic: g.Logic}
		cg.or = checkLogic(verr, prefix+".logic", g.Logic)
		for i, r := range g.Rules {
			cr := compileRule(verr, fmt.Sprintf("%s.rules[%d]", prefix, i), r)
			if cr == nil {
				continue
			}
			cr.index, cr.group = i, gi
			cr.reason = ruleReason(i, gi, r)
			p.all = append(p.all, cr)
			if r.IsEnabled() {
				cg.rules = append(cg.rules, cr)
			}
		}
		p.groups = append(p.groups, cg)
		if len(cg.rules) > 0 {
			if cg.or {
				cg.reason = fmt.Sprintf("group %d: none of its %d rules matched (logic or); first: %s",
					gi, len(cg.rules), cg.rules[0].reason)
			}
			p.terms = append(p.terms, term{group: cg})
		}
	}
	if len(verr.Errors) > 0 {
		return nil, verr
	}
	if p.or && len(p.terms) > 0 {
		p.orReason = fmt.Sprintf("none of %d conditions matched (logic or); first: %s",
			len(p.terms), p.terms[0].failReason())
	}
	return p, nil
}

func (t term) failReason() string {
	if t.rule != nil {
		return t.rule.reason
	}
	if t.group.or {
		return t.group.reason
	}
	return t.group.rules[0].reason
}

func checkLogic(verr *ValidationError, field, logic string) (or bool) {
	switch logic {
	case "", LogicAnd:
		return false
	case LogicOr:
		return true
	}
	verr.add(field, fmt.Sprintf("unknown logic %q: want %q or %q", logic, LogicAnd, LogicOr))
	return false
}

// compileRule returns nil after recording the rule's problems in verr.
func compileRule(verr *ValidationError, prefix string, r Rule) *compiledRule {
	before := len(verr.Errors)
	cr := &compiledRule{rule: r}

	src, err := compileField(r.Field)
	if err != nil {
		verr.add(prefix+".field", err.Error())
	}
	cr.src = src

	o, ok := operators[r.Operator]
	if !ok {
		verr.add(prefix+".operator", fmt.Sprintf("unknown operator %q", r.Operator))
	} else {
		cr.op, cr.negate = o.op, o.negate
		if err := cr.compileValue(r.Value); err != nil {
			verr.add(prefix+".value", err.Error())
		}
	}
	if len(verr.Errors) > before {
		return nil
	}
	return cr
}

func (cr *compiledRule) compileValue(v any) error {
	if cr.op == opExists {
		return nil // the value is ignored
	}
	nv, err := normalize(v)
	if err != nil {
		return err
	}
	switch cr.op {
	case opStartsWith, opEndsWith:
		if _, ok := nv.(string); !ok {
			return fmt.Errorf("%s needs a string value, got %s", cr.rule.Operator, kindOf(nv))
		}
	case opRegexMatch:
		pattern, ok := nv.(string)
		if !ok {
			return fmt.Errorf("regex_match needs a string pattern, got %s", kindOf(nv))
		}
		if len(pattern) > MaxPatternLen {
			return fmt.Errorf("pattern is %d bytes long (at most %d)", len(pattern), MaxPatternLen)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return fmt.Errorf("invalid pattern: %w", err)
		}
		cr.re = re
	case opGreaterThan, opGreaterThanOrEqual, opLessThan, opLessThanOrEqual:
		if k := kindOf(nv); k != kindNumber && k != kindString {
			return fmt.Errorf("%s needs a number or string value, got %s", cr.rule.Operator, k)
		}
	case opIn:
		list, ok := nv.([]any)
		if !ok {
			return fmt.Errorf("%s needs an array value, got %s", cr.rule.Operator, kindOf(nv))
		}
		cr.list = make([]operand, len(list))
		for i, e := range list {
			cr.list[i] = newOperand(e)
		}
		return nil
	}
	cr.val = newOperand(nv)
	return nil
}

func newOperand(v any) operand {
	o := operand{kind: kindOf(v), v: v}
	switch o.kind {
	case kindString:
		o.s = v.(string)
	case kindBool:
		o.b = v.(bool)
	case kindNumber:
		o.n, _ = toNum(v)
	}
	return o
}

var (
	errEmptyField = errors.New(`field is empty: want a JSONPath starting with "$" or headers.<Name>, query.<name>, metadata.<key>`)
	errDescendant = errors.New(`the descendant segment ".." is not allowed`)
)

func compileField(field string) (source, error) {
	switch {
	case field == "":
		return source{}, errEmptyField
	case field[0] == '$':
		return compileBodyPath(field)
	case strings.HasPrefix(field, FieldPrefixHeaders):
		name := field[len(FieldPrefixHeaders):]
		if !validHeaderName(name) {
			return source{}, fmt.Errorf("invalid header name %q", name)
		}
		return source{kind: sourceHeader, name: textproto.CanonicalMIMEHeaderKey(name), rawName: name}, nil
	case strings.HasPrefix(field, FieldPrefixQuery):
		name := field[len(FieldPrefixQuery):]
		if name == "" {
			return source{}, errors.New("query parameter name is empty")
		}
		return source{kind: sourceQuery, name: name}, nil
	case strings.HasPrefix(field, FieldPrefixMetadata):
		key := field[len(FieldPrefixMetadata):]
		if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.Contains(key, "..") {
			return source{}, fmt.Errorf("invalid metadata key %q", key)
		}
		return source{kind: sourceMetadata, name: key}, nil
	}
	return source{}, fmt.Errorf(`unknown field %q: want a JSONPath starting with "$" or headers.<Name>, query.<name>, metadata.<key>`, field)
}

func compileBodyPath(field string) (source, error) {
	descendant, regexFunc := scanPath(field)
	if descendant {
		return source{}, errDescendant
	}
	if regexFunc != "" {
		// The jsonpath package compiles their pattern, which may come from
		// the payload, for every node it tests.
		return source{}, fmt.Errorf("%s() is not allowed in fields: use the regex_match operator, whose pattern is compiled once", regexFunc)
	}
	path, err := jsonpath.Parse(field)
	if err != nil {
		return source{}, fmt.Errorf("invalid JSONPath: %w", err)
	}
	segs := path.Query().Segments()
	for _, s := range segs {
		if s.IsDescendant() {
			return source{}, errDescendant
		}
	}
	return source{kind: sourceBody, segs: segs}, nil
}

// scanPath finds, outside string literals, the descendant segment ".." and
// calls of the regex functions match() and search(), in the main query and in
// filter expressions. The jsonpath AST does not expose filter expressions, so
// this is lexical; it runs before parsing and only has to be right for paths
// that parse.
func scanPath(path string) (descendant bool, regexFunc string) {
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\'', c == '"':
			for i++; i < len(path) && path[i] != c; i++ {
				if path[i] == '\\' {
					i++
				}
			}
		case c == '.':
			if i+1 < len(path) && path[i+1] == '.' {
				return true, ""
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			start := i
			for i+1 < len(path) && isNameChar(path[i+1]) {
				i++
			}
			name := path[start : i+1]
			if i+1 < len(path) && path[i+1] == '(' && (name == "match" || name == "search") {
				return false, name
			}
		}
	}
	return false, ""
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
