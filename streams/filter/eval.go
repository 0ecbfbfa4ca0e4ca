package filter

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/theory/jsonpath/spec"
)

// Result is the outcome of [Program.Match].
type Result struct {
	// Matched reports whether the input passes the filter.
	Matched bool `json:"matched"`
	// Failed is the first rule that failed when Matched is false (for an
	// "or", the first rule of the first condition); its Values are not
	// collected. Nil when Matched is true.
	Failed *RuleResult `json:"failed,omitempty"`
	// Reason explains a non-match for webhook.filtered, e.g.
	// `rule 2 ($.data.status equals "paid") did not match`. Empty when
	// Matched is true.
	Reason string `json:"reason,omitempty"`
}

// RuleResult is the outcome of one rule.
type RuleResult struct {
	// Index is the rule's index in RuleSet.Rules, or in its group's Rules.
	Index int `json:"index"`
	// GroupIndex is the index of the rule's group in RuleSet.Groups, -1 for
	// a top-level rule.
	GroupIndex int `json:"groupIndex"`
	// Rule is the rule as configured.
	Rule Rule `json:"rule"`
	// Matched is the rule's result. For a disabled rule (Skipped), the
	// result it would have had.
	Matched bool `json:"matched"`
	// Skipped reports a disabled rule, which took no part in the decision.
	Skipped bool `json:"skipped,omitempty"`
	// Values are the values the field yielded (Explain only).
	Values []any `json:"values"`
	// Error is a diagnostic for rule authors, set when values were found but
	// none had a type the operator can compare with the rule's value (a type
	// mismatch is "no match", not a failure).
	Error string `json:"error,omitempty"`
}

// Reason formats the rule's failure as in [Result.Reason].
func (rr RuleResult) Reason() string { return ruleReason(rr.Index, rr.GroupIndex, rr.Rule) }

func ruleReason(index, group int, r Rule) string {
	id := ""
	if r.ID != "" {
		id = " " + strconv.Quote(r.ID)
	}
	if group < 0 {
		return fmt.Sprintf("rule %d%s (%s) did not match", index, id, describe(r))
	}
	return fmt.Sprintf("group %d rule %d%s (%s) did not match", group, index, id, describe(r))
}

// GroupResult is the outcome of one group.
type GroupResult struct {
	Index   int    `json:"index"`
	Logic   string `json:"logic"`
	Matched bool   `json:"matched"`
	// Skipped reports a group without enabled rules, which took no part in
	// the decision.
	Skipped bool `json:"skipped,omitempty"`
}

// Explanation is the outcome of [Program.Explain].
type Explanation struct {
	// Matched and Reason are as in [Result].
	Matched bool   `json:"matched"`
	Reason  string `json:"reason,omitempty"`
	// Rules holds every rule, disabled ones included: the top-level rules in
	// order, then each group's rules in order.
	Rules []RuleResult `json:"rules"`
	// Groups holds every group, in order.
	Groups []GroupResult `json:"groups"`
}

// Match evaluates the rule set against in. It stops at the first decisive
// rule and collects no values.
func (p *Program) Match(in Input) Result {
	if len(p.terms) == 0 {
		return Result{Matched: true}
	}
	var v visitor
	var first *compiledRule
	for i, t := range p.terms {
		ok, failed, reason := t.eval(&in, &v)
		switch {
		case !p.or && !ok:
			return failure(failed, reason)
		case p.or && ok:
			return Result{Matched: true}
		case i == 0:
			first = failed
		}
	}
	if p.or {
		return failure(first, p.orReason)
	}
	return Result{Matched: true}
}

func failure(cr *compiledRule, reason string) Result {
	return Result{
		Failed: &RuleResult{Index: cr.index, GroupIndex: cr.group, Rule: cr.rule},
		Reason: reason,
	}
}

// Explain evaluates every rule and group against in, disabled ones included,
// collecting the values each field yielded.
func (p *Program) Explain(in Input) Explanation {
	res := p.Match(in)
	ex := Explanation{
		Matched: res.Matched,
		Reason:  res.Reason,
		Rules:   make([]RuleResult, 0, len(p.all)),
		Groups:  make([]GroupResult, 0, len(p.groups)),
	}
	byGroup := make(map[int][]bool)
	for _, cr := range p.all {
		v := visitor{collect: true, values: []any{}}
		matched := cr.eval(&in, &v)
		rr := RuleResult{
			Index:      cr.index,
			GroupIndex: cr.group,
			Rule:       cr.rule,
			Matched:    matched,
			Skipped:    !cr.rule.IsEnabled(),
			Values:     v.values,
		}
		if v.found > 0 && !v.compatible {
			rr.Error = fmt.Sprintf("type mismatch: found %s, want %s", v.firstKind, cr.want())
		}
		ex.Rules = append(ex.Rules, rr)
		if cr.group >= 0 && !rr.Skipped {
			byGroup[cr.group] = append(byGroup[cr.group], matched)
		}
	}
	for _, g := range p.groups {
		results := byGroup[g.index]
		gr := GroupResult{Index: g.index, Logic: g.logic, Skipped: len(results) == 0}
		if g.or {
			gr.Matched = slices.Contains(results, true)
		} else {
			gr.Matched = !slices.Contains(results, false)
		}
		ex.Groups = append(ex.Groups, gr)
	}
	return ex
}

// eval returns whether t holds and, when it does not, the rule to blame.
func (t term) eval(in *Input, v *visitor) (ok bool, failed *compiledRule, reason string) {
	if t.rule != nil {
		if t.rule.eval(in, v) {
			return true, nil, ""
		}
		return false, t.rule, t.rule.reason
	}
	g := t.group
	for _, cr := range g.rules {
		matched := cr.eval(in, v)
		if g.or && matched {
			return true, nil, ""
		}
		if !g.or && !matched {
			return false, cr, cr.reason
		}
	}
	if g.or {
		return false, g.rules[0], g.reason
	}
	return true, nil, ""
}

// visitor receives the values a field yields and tests them against a rule.
type visitor struct {
	r     *compiledRule
	root  any
	found int
	hit   bool

	// Explain only: collect every value instead of stopping at the first hit.
	collect    bool
	values     []any
	compatible bool
	firstKind  kind
}

func (cr *compiledRule) eval(in *Input, v *visitor) bool {
	v.r, v.root, v.found, v.hit = cr, in.Body, 0, false
	switch cr.src.kind {
	case sourceBody:
		v.walk(in.Body, cr.src.segs)
	case sourceHeader:
		v.headers(in.Headers, cr.src)
	case sourceQuery:
		for _, s := range in.Query[cr.src.name] {
			if v.str(s) {
				break
			}
		}
	case sourceMetadata:
		if val, ok := lookupMetadata(in.Metadata, cr.src.name); ok {
			v.value(val)
		}
	}
	return v.hit != cr.negate
}

// value visits one value; it returns true when the walk can stop.
func (v *visitor) value(x any) bool {
	v.found++
	if v.collect {
		v.note(x)
	}
	if v.r.test(x) {
		v.hit = true
		return !v.collect
	}
	return false
}

// str is value for strings, without boxing them when not collecting.
func (v *visitor) str(s string) bool {
	v.found++
	if v.collect {
		v.note(s)
	}
	if v.r.testString(s) {
		v.hit = true
		return !v.collect
	}
	return false
}

func (v *visitor) note(x any) {
	if v.found == 1 {
		v.firstKind = kindOf(x)
	}
	v.values = append(v.values, x)
	if !v.compatible {
		v.compatible = v.r.compatible(x)
	}
}

// walk applies the remaining segments to node and visits what they select.
// Names, indexes and wildcards over decoded JSON are walked here without
// allocating; other selectors (filters, slices, other Go types) go through
// the jsonpath package.
func (v *visitor) walk(node any, segs []*spec.Segment) bool {
	if len(segs) == 0 {
		return v.value(node)
	}
	rest := segs[1:]
	for _, sel := range segs[0].Selectors() {
		switch s := sel.(type) {
		case spec.Name:
			if m, ok := node.(map[string]any); ok {
				if child, ok := m[string(s)]; ok && v.walk(child, rest) {
					return true
				}
				continue
			}
		case spec.Index:
			if a, ok := node.([]any); ok {
				i := int(s)
				if i < 0 {
					i += len(a)
				}
				if i >= 0 && i < len(a) && v.walk(a[i], rest) {
					return true
				}
				continue
			}
		case spec.WildcardSelector:
			switch n := node.(type) {
			case []any:
				for _, child := range n {
					if v.walk(child, rest) {
						return true
					}
				}
				continue
			case map[string]any:
				for _, child := range n {
					if v.walk(child, rest) {
						return true
					}
				}
				continue
			}
		}
		for _, child := range sel.Select(node, v.root) {
			if v.walk(child, rest) {
				return true
			}
		}
	}
	return false
}

func (v *visitor) headers(h http.Header, src source) {
	if vals, ok := h[src.name]; ok {
		for _, s := range vals {
			if v.str(s) {
				return
			}
		}
		return
	}
	// Not canonical: headers built by hand or decoded from JSON.
	for k, vals := range h {
		if !strings.EqualFold(k, src.rawName) {
			continue
		}
		for _, s := range vals {
			if v.str(s) {
				return
			}
		}
	}
}

// lookupMetadata finds key in m: an exact key first, then dotted keys
// walking into nested maps (the shortest prefix first).
func lookupMetadata(m map[string]any, key string) (any, bool) {
	if m == nil {
		return nil, false
	}
	if val, ok := m[key]; ok {
		return val, true
	}
	for i := range len(key) {
		if key[i] != '.' {
			continue
		}
		switch child := m[key[:i]].(type) {
		case map[string]any:
			if val, ok := lookupMetadata(child, key[i+1:]); ok {
				return val, true
			}
		case map[string]string:
			if val, ok := child[key[i+1:]]; ok {
				return val, true
			}
		}
	}
	return nil, false
}

// test applies the (non-negated) operator to one value.
func (cr *compiledRule) test(x any) bool {
	if s, ok := x.(string); ok {
		return cr.testString(s)
	}
	switch cr.op {
	case opExists:
		return true
	case opEquals:
		return cr.val.equal(x)
	case opContains:
		if a, ok := x.([]any); ok {
			for _, e := range a {
				if cr.val.equal(e) {
					return true
				}
			}
		}
		return false
	case opGreaterThan, opGreaterThanOrEqual, opLessThan, opLessThanOrEqual:
		if cr.val.kind != kindNumber {
			return false
		}
		n, ok := toNum(x)
		if !ok {
			return false
		}
		c, ok := n.cmp(cr.val.n)
		return ok && ordered(cr.op, c)
	case opIn:
		for i := range cr.list {
			if cr.list[i].equal(x) {
				return true
			}
		}
		return false
	}
	return false // starts_with, ends_with, regex_match: strings only
}

// testString is test for a string value.
func (cr *compiledRule) testString(s string) bool {
	switch cr.op {
	case opExists:
		return true
	case opEquals:
		return cr.val.kind == kindString && s == cr.val.s
	case opContains:
		return cr.val.kind == kindString && strings.Contains(s, cr.val.s)
	case opStartsWith:
		return strings.HasPrefix(s, cr.val.s)
	case opEndsWith:
		return strings.HasSuffix(s, cr.val.s)
	case opRegexMatch:
		return cr.re.MatchString(s)
	case opGreaterThan, opGreaterThanOrEqual, opLessThan, opLessThanOrEqual:
		return cr.val.kind == kindString && ordered(cr.op, strings.Compare(s, cr.val.s))
	case opIn:
		for i := range cr.list {
			if cr.list[i].kind == kindString && cr.list[i].s == s {
				return true
			}
		}
	}
	return false
}

func ordered(o op, c int) bool {
	switch o {
	case opGreaterThan:
		return c > 0
	case opGreaterThanOrEqual:
		return c >= 0
	case opLessThan:
		return c < 0
	case opLessThanOrEqual:
		return c <= 0
	}
	return false
}

func (o *operand) equal(x any) bool {
	switch o.kind {
	case kindNull:
		return x == nil
	case kindBool:
		b, ok := x.(bool)
		return ok && b == o.b
	case kindString:
		s, ok := x.(string)
		return ok && s == o.s
	case kindNumber:
		n, ok := toNum(x)
		if !ok {
			return false
		}
		c, ok := n.cmp(o.n)
		return ok && c == 0
	}
	return jsonEqual(o.v, x)
}

// compatible reports whether the operator can compare x with the rule's value.
func (cr *compiledRule) compatible(x any) bool {
	k := kindOf(x)
	switch cr.op {
	case opExists:
		return true
	case opEquals, opGreaterThan, opGreaterThanOrEqual, opLessThan, opLessThanOrEqual:
		return k == cr.val.kind
	case opContains:
		return k == kindArray || (k == kindString && cr.val.kind == kindString)
	case opStartsWith, opEndsWith, opRegexMatch:
		return k == kindString
	case opIn:
		if len(cr.list) == 0 {
			return true
		}
		for i := range cr.list {
			if cr.list[i].kind == k {
				return true
			}
		}
	}
	return false
}

// want describes the types compatible accepts.
func (cr *compiledRule) want() string {
	switch cr.op {
	case opContains:
		if cr.val.kind == kindString {
			return "string or array"
		}
		return "array"
	case opStartsWith, opEndsWith, opRegexMatch:
		return "string"
	case opIn:
		var kinds []string
		for i := range cr.list {
			if k := cr.list[i].kind.String(); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		return strings.Join(kinds, " or ")
	}
	return cr.val.kind.String()
}
