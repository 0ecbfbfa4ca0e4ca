package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// IncompatibilityKind classifies an Incompatibility.
type IncompatibilityKind string

// The kinds of backward-incompatible change CheckCompatible reports.
const (
	// KindRequiredAdded: a property is in the new "required" and not the old.
	KindRequiredAdded IncompatibilityKind = "required_added"
	// KindTypeNarrowed: the new "type" accepts fewer JSON types (a type was
	// dropped, "number" became "integer", or a type appeared where any was allowed).
	KindTypeNarrowed IncompatibilityKind = "type_narrowed"
	// KindEnumNarrowed: an "enum" (or "const") value is no longer accepted,
	// or an enum or const appeared where there was none.
	KindEnumNarrowed IncompatibilityKind = "enum_narrowed"
	// KindPropertyRemoved: a property was removed while the new schema refuses
	// undeclared properties ("additionalProperties": false).
	KindPropertyRemoved IncompatibilityKind = "property_removed"
	// KindAdditionalPropertiesClosed: "additionalProperties" became false.
	KindAdditionalPropertiesClosed IncompatibilityKind = "additional_properties_closed"
	// KindConstraintTightened: a bound or assertion got stricter: minimum,
	// maximum, their exclusive forms, minLength/maxLength, minItems/maxItems,
	// minProperties/maxProperties, multipleOf, pattern, format, uniqueItems.
	KindConstraintTightened IncompatibilityKind = "constraint_tightened"
	// KindRefChanged: a "$ref" points elsewhere (its target is not compared).
	KindRefChanged IncompatibilityKind = "ref_changed"
	// KindCompositionChanged: allOf gained a branch, anyOf/oneOf lost or
	// changed one, or not/if/then/else changed.
	KindCompositionChanged IncompatibilityKind = "composition_changed"
	// KindSchemaInvalid: a schema could not be read, so compatibility cannot
	// be shown.
	KindSchemaInvalid IncompatibilityKind = "schema_invalid"
)

// Incompatibility is one change in version n+1 that can make a payload valid
// under version n invalid.
type Incompatibility struct {
	// Path is a JSON Pointer into the new schema (into the old one for
	// removals), e.g. "/properties/customer/required".
	Path    string              `json:"path"`
	Kind    IncompatibilityKind `json:"kind"`
	Message string              `json:"message"`
}

func (i Incompatibility) String() string {
	return fmt.Sprintf("%s at %q: %s", i.Kind, i.Path, i.Message)
}

// CheckCompatible reports what in newSchema (version n+1) can refuse payloads
// that oldSchema (version n) accepts; none means backward compatible.
//
// It walks both schemas in parallel: type, enum/const, required, properties,
// patternProperties (for removed properties), additionalProperties, items,
// prefixItems, numeric, string, array and object bounds, and $defs/definitions
// by name, recursively. It is syntactic and errs on the side of reporting:
// "$ref"s are compared as strings, not followed (the $defs they point at are
// compared by name); combinators are compared branch by branch. A property
// added to an object that allowed undeclared properties is treated as
// compatible, although a producer that already sent that property with
// another type would now fail: this is the usual "additive change" rule of
// schema registries. Unparsable input yields one KindSchemaInvalid.
func CheckCompatible(oldSchema, newSchema json.RawMessage) []Incompatibility {
	o, err := decode(oldSchema)
	if err != nil {
		return []Incompatibility{{Kind: KindSchemaInvalid, Message: fmt.Sprintf("old schema: %v", err)}}
	}
	n, err := decode(newSchema)
	if err != nil {
		return []Incompatibility{{Kind: KindSchemaInvalid, Message: fmt.Sprintf("new schema: %v", err)}}
	}
	var c compat
	c.compare("", o, n, 0)
	return c.out
}

const maxCompatDepth = 64

type compat struct {
	out []Incompatibility
}

func (c *compat) add(path string, k IncompatibilityKind, format string, args ...any) {
	c.out = append(c.out, Incompatibility{Path: path, Kind: k, Message: fmt.Sprintf(format, args...)})
}

// compare compares two subschemas (map, bool or nil for absent = true).
func (c *compat) compare(path string, oldS, newS any, depth int) {
	if depth > maxCompatDepth {
		return
	}
	if b, ok := oldS.(bool); ok && !b {
		return // nothing was valid: anything is compatible
	}
	if b, ok := newS.(bool); ok && !b {
		c.add(path, KindTypeNarrowed, "schema became false: nothing is accepted")
		return
	}
	o, _ := oldS.(map[string]any) // nil for true/absent: no constraints
	n, _ := newS.(map[string]any)
	if len(n) == 0 {
		return // new accepts anything
	}

	c.compareRef(path, o, n)
	c.compareType(path, o, n)
	c.compareEnum(path, o, n)
	c.compareBounds(path, o, n)
	c.compareAssertions(path, o, n)
	c.compareObject(path, o, n, depth)
	c.compareArray(path, o, n, depth)
	c.compareComposition(path, o, n, depth)
	for _, defs := range []string{"$defs", "definitions"} {
		od, _ := o[defs].(map[string]any)
		nd, _ := n[defs].(map[string]any)
		for _, name := range sortedKeys(od) {
			if ns, ok := nd[name]; ok {
				c.compare(path+"/"+defs+"/"+escapeToken(name), od[name], ns, depth+1)
			}
		}
	}
}

func (c *compat) compareRef(path string, o, n map[string]any) {
	nr, ok := n["$ref"].(string)
	if !ok {
		return
	}
	if or, _ := o["$ref"].(string); or != nr {
		if or == "" {
			c.add(path+"/$ref", KindRefChanged, "$ref %q added", nr)
		} else {
			c.add(path+"/$ref", KindRefChanged, "$ref changed from %q to %q", or, nr)
		}
	}
}

var allTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

// typeSet returns the types a schema allows; nil when "type" is absent.
func typeSet(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, v := range t {
			if str, ok := v.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func (c *compat) compareType(path string, o, n map[string]any) {
	nt := typeSet(n)
	if nt == nil {
		return
	}
	ot := typeSet(o)
	if ot == nil {
		ot = allTypes
	}
	var lost []string
	for _, t := range ot {
		if slices.Contains(nt, t) || (t == "integer" && slices.Contains(nt, "number")) {
			continue
		}
		if t == "number" && slices.Contains(nt, "integer") {
			lost = append(lost, "non-integer number")
			continue
		}
		lost = append(lost, t)
	}
	if len(lost) > 0 {
		c.add(path+"/type", KindTypeNarrowed, "type narrowed from %s to %s: %s no longer accepted",
			typeString(ot), typeString(nt), strings.Join(lost, ", "))
	}
}

func typeString(ts []string) string {
	if len(ts) == 1 {
		return ts[0]
	}
	if len(ts) == len(allTypes) {
		return "any"
	}
	return "[" + strings.Join(ts, ", ") + "]"
}

// values returns the values an enum/const allows; ok false when unconstrained.
func values(s map[string]any) (vals []any, keyword string, ok bool) {
	if v, has := s["const"]; has {
		return []any{v}, "const", true
	}
	if e, has := s["enum"].([]any); has {
		return e, "enum", true
	}
	return nil, "", false
}

func (c *compat) compareEnum(path string, o, n map[string]any) {
	nv, nk, ok := values(n)
	if !ok {
		return
	}
	ov, _, ok := values(o)
	if !ok {
		c.add(path+"/"+nk, KindEnumNarrowed, "%s added: only %s accepted", nk, jsonString(nv))
		return
	}
	for _, v := range ov {
		if !slices.ContainsFunc(nv, func(w any) bool { return jsonEqual(v, w) }) {
			c.add(path+"/"+nk, KindEnumNarrowed, "value %s no longer accepted", jsonString(v))
		}
	}
}

// bound is a lower or upper limit; nil value means unbounded.
type bound struct {
	v         *big.Rat
	exclusive bool
	keyword   string
}

func ratOf(v any) *big.Rat {
	switch n := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(n.String())
		if ok {
			return r
		}
	case float64:
		return new(big.Rat).SetFloat64(n)
	}
	return nil
}

// effective returns the tighter of the inclusive and exclusive bound.
func effective(s map[string]any, incl, excl string, lower bool) bound {
	b := bound{v: ratOf(s[incl]), keyword: incl}
	if e := ratOf(s[excl]); e != nil {
		cmp := 0
		if b.v != nil {
			cmp = e.Cmp(b.v)
		}
		if b.v == nil || (lower && cmp >= 0) || (!lower && cmp <= 0) {
			b = bound{v: e, exclusive: true, keyword: excl}
		}
	}
	return b
}

// tighter reports whether bound nb excludes values ob allowed.
func tighter(ob, nb bound, lower bool) bool {
	if nb.v == nil {
		return false
	}
	if ob.v == nil {
		return true
	}
	cmp := nb.v.Cmp(ob.v)
	if !lower {
		cmp = -cmp
	}
	return cmp > 0 || (cmp == 0 && nb.exclusive && !ob.exclusive)
}

func (c *compat) compareBounds(path string, o, n map[string]any) {
	for _, lower := range []bool{true, false} {
		incl, excl := "maximum", "exclusiveMaximum"
		if lower {
			incl, excl = "minimum", "exclusiveMinimum"
		}
		ob, nb := effective(o, incl, excl, lower), effective(n, incl, excl, lower)
		if tighter(ob, nb, lower) {
			c.add(path+"/"+nb.keyword, KindConstraintTightened, "%s tightened from %s to %s", incl, boundString(ob), boundString(nb))
		}
	}
	// Counts: an absent min is 0, an absent max is unbounded.
	for _, kw := range []string{"minLength", "minItems", "minProperties", "minContains"} {
		ov, nv := ratOf(o[kw]), ratOf(n[kw])
		if ov == nil {
			ov = new(big.Rat)
		}
		if nv != nil && nv.Cmp(ov) > 0 {
			c.add(path+"/"+kw, KindConstraintTightened, "%s raised from %s to %s", kw, ov.RatString(), nv.RatString())
		}
	}
	for _, kw := range []string{"maxLength", "maxItems", "maxProperties", "maxContains"} {
		ov, nv := ratOf(o[kw]), ratOf(n[kw])
		if nv != nil && (ov == nil || nv.Cmp(ov) < 0) {
			c.add(path+"/"+kw, KindConstraintTightened, "%s lowered from %s to %s", kw, ratString(ov), nv.RatString())
		}
	}
}

func boundString(b bound) string {
	if b.v == nil {
		return "none"
	}
	if b.exclusive {
		return b.v.RatString() + " (exclusive)"
	}
	return b.v.RatString()
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "none"
	}
	return r.RatString()
}

func (c *compat) compareAssertions(path string, o, n map[string]any) {
	if nm := ratOf(n["multipleOf"]); nm != nil {
		om := ratOf(o["multipleOf"])
		// Every multiple of om is a multiple of nm iff om/nm is an integer.
		if om == nil || nm.Sign() == 0 || !new(big.Rat).Quo(om, nm).IsInt() {
			c.add(path+"/multipleOf", KindConstraintTightened, "multipleOf changed from %s to %s", ratString(om), nm.RatString())
		}
	}
	for _, kw := range []string{"pattern", "format"} {
		if nv, ok := n[kw].(string); ok {
			if ov, _ := o[kw].(string); ov != nv {
				c.add(path+"/"+kw, KindConstraintTightened, "%s changed from %q to %q", kw, ov, nv)
			}
		}
	}
	if nu, _ := n["uniqueItems"].(bool); nu {
		if ou, _ := o["uniqueItems"].(bool); !ou {
			c.add(path+"/uniqueItems", KindConstraintTightened, "uniqueItems added")
		}
	}
}

func stringList(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (c *compat) compareObject(path string, o, n map[string]any, depth int) {
	oreq := stringList(o["required"])
	for _, r := range stringList(n["required"]) {
		if !slices.Contains(oreq, r) {
			c.add(path+"/required", KindRequiredAdded, "property %q became required", r)
		}
	}

	oprops, _ := o["properties"].(map[string]any)
	nprops, _ := n["properties"].(map[string]any)
	oap, hasOAP := o["additionalProperties"]
	nap, hasNAP := n["additionalProperties"]
	npat, _ := n["patternProperties"].(map[string]any)

	for _, name := range sortedKeys(oprops) {
		p := path + "/properties/" + escapeToken(name)
		if ns, ok := nprops[name]; ok {
			c.compare(p, oprops[name], ns, depth+1)
			continue
		}
		if ps, ok := matchPattern(npat, name); ok {
			c.compare(p, oprops[name], ps, depth+1)
			continue
		}
		if !hasNAP {
			continue
		}
		if b, ok := nap.(bool); ok && !b {
			c.add(p, KindPropertyRemoved, "property %q removed while additionalProperties is false", name)
			continue
		}
		c.compare(p, oprops[name], nap, depth+1) // now governed by additionalProperties
	}

	// Properties new in n: only checked against an old additionalProperties
	// schema (see CheckCompatible on the additive-change rule).
	if oapSchema, ok := oap.(map[string]any); ok {
		for _, name := range sortedKeys(nprops) {
			if _, had := oprops[name]; !had {
				c.compare(path+"/properties/"+escapeToken(name), oapSchema, nprops[name], depth+1)
			}
		}
	}

	if hasNAP {
		if b, ok := nap.(bool); ok && !b {
			if ob, isBool := oap.(bool); !hasOAP || !isBool || ob {
				c.add(path+"/additionalProperties", KindAdditionalPropertiesClosed, "additionalProperties became false: undeclared properties are refused")
			}
		} else if hasOAP || nap != nil {
			c.compare(path+"/additionalProperties", oap, nap, depth+1)
		}
	}
}

func matchPattern(patterns map[string]any, name string) (any, bool) {
	for _, pat := range sortedKeys(patterns) {
		re, err := regexp.Compile(pat)
		if err == nil && re.MatchString(name) {
			return patterns[pat], true
		}
	}
	return nil, false
}

func (c *compat) compareArray(path string, o, n map[string]any, depth int) {
	switch ni := n["items"].(type) {
	case map[string]any, bool:
		c.compare(path+"/items", o["items"], ni, depth+1)
	case []any: // draft-07 tuple form
		oi, _ := o["items"].([]any)
		for i, s := range ni {
			var os any
			if i < len(oi) {
				os = oi[i]
			}
			c.compare(fmt.Sprintf("%s/items/%d", path, i), os, s, depth+1)
		}
	}
	op, _ := o["prefixItems"].([]any)
	np, _ := n["prefixItems"].([]any)
	for i, s := range np {
		var os any
		if i < len(op) {
			os = op[i]
		} else {
			os = o["items"]
		}
		c.compare(fmt.Sprintf("%s/prefixItems/%d", path, i), os, s, depth+1)
	}
	if nc, ok := n["contains"]; ok && !jsonEqual(o["contains"], nc) {
		c.add(path+"/contains", KindConstraintTightened, "contains changed")
	}
}

func (c *compat) compareComposition(path string, o, n map[string]any, depth int) {
	// allOf: every new branch restricts further unless it was there before.
	oa, _ := o["allOf"].([]any)
	na, _ := n["allOf"].([]any)
	if len(oa) == len(na) {
		for i := range na {
			c.compare(fmt.Sprintf("%s/allOf/%d", path, i), oa[i], na[i], depth+1)
		}
	} else {
		for i, b := range na {
			if !slices.ContainsFunc(oa, func(x any) bool { return jsonEqual(x, b) }) {
				c.add(fmt.Sprintf("%s/allOf/%d", path, i), KindCompositionChanged, "allOf gained or changed a branch")
			}
		}
	}
	// anyOf/oneOf: every old branch must still be there.
	for _, kw := range []string{"anyOf", "oneOf"} {
		ob, _ := o[kw].([]any)
		nb, hasN := n[kw].([]any)
		if !hasN {
			continue
		}
		if ob == nil {
			c.add(path+"/"+kw, KindCompositionChanged, "%s added", kw)
			continue
		}
		if len(ob) == len(nb) {
			for i := range nb {
				c.compare(fmt.Sprintf("%s/%s/%d", path, kw, i), ob[i], nb[i], depth+1)
			}
			continue
		}
		for i, b := range ob {
			if !slices.ContainsFunc(nb, func(x any) bool { return jsonEqual(x, b) }) {
				c.add(fmt.Sprintf("%s/%s/%d", path, kw, i), KindCompositionChanged, "%s lost or changed a branch", kw)
			}
		}
	}
	for _, kw := range []string{"not", "if", "then", "else", "dependentRequired", "dependentSchemas"} {
		if nv, ok := n[kw]; ok && !jsonEqual(o[kw], nv) {
			c.add(path+"/"+kw, KindCompositionChanged, "%s added or changed", kw)
		}
	}
}

// jsonEqual compares decoded JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	if ra, rb := ratOf(a), ratOf(b); ra != nil || rb != nil {
		return ra != nil && rb != nil && ra.Cmp(rb) == 0
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !jsonEqual(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !jsonEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func escapeToken(t string) string {
	t = strings.ReplaceAll(t, "~", "~0")
	return strings.ReplaceAll(t, "/", "~1")
}
