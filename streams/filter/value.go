package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// kind is the JSON type of a value.
type kind uint8

const (
	kindUnknown kind = iota
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	case kindObject:
		return "object"
	default:
		return "unsupported type"
	}
}

func kindOf(v any) kind {
	switch v.(type) {
	case nil:
		return kindNull
	case bool:
		return kindBool
	case string:
		return kindString
	case []any:
		return kindArray
	case map[string]any:
		return kindObject
	}
	if _, ok := toNum(v); ok {
		return kindNumber
	}
	return kindUnknown
}

// num is a JSON number: an exact integer when it is one, a float otherwise.
type num struct {
	f     float64
	i     int64
	isInt bool
}

// cmp compares a and b; ok is false when either is NaN.
func (a num) cmp(b num) (c int, ok bool) {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1, true
		case a.i > b.i:
			return 1, true
		}
		return 0, true
	}
	switch {
	case math.IsNaN(a.f) || math.IsNaN(b.f):
		return 0, false
	case a.f < b.f:
		return -1, true
	case a.f > b.f:
		return 1, true
	}
	return 0, true
}

func intNum(i int64) num { return num{f: float64(i), i: i, isInt: true} }

// toNum converts the numeric types found in decoded JSON and Go metadata. It
// does not allocate.
func toNum(v any) (num, bool) {
	switch x := v.(type) {
	case float64:
		return num{f: x}, true
	case json.Number:
		return parseNumber(string(x))
	case int:
		return intNum(int64(x)), true
	case int64:
		return intNum(x), true
	case int32:
		return intNum(int64(x)), true
	case int16:
		return intNum(int64(x)), true
	case int8:
		return intNum(int64(x)), true
	case uint:
		return uintNum(uint64(x)), true
	case uint64:
		return uintNum(x), true
	case uint32:
		return intNum(int64(x)), true
	case uint16:
		return intNum(int64(x)), true
	case uint8:
		return intNum(int64(x)), true
	case float32:
		return num{f: float64(x)}, true
	}
	return num{}, false
}

func uintNum(u uint64) num {
	if u <= math.MaxInt64 {
		return intNum(int64(u))
	}
	return num{f: float64(u)}
}

// parseNumber parses a JSON number literal, exactly when it is an integer
// that fits in int64. Strings that are not JSON numbers are rejected.
func parseNumber(s string) (num, bool) {
	if !isJSONNumber(s) {
		return num{}, false
	}
	integer := !strings.ContainsAny(s, ".eE")
	// Up to 18 digits always fits in int64, so ParseInt cannot fail (and
	// allocate an error) here.
	if integer && len(strings.TrimPrefix(s, "-")) <= 18 {
		i, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return intNum(i), true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return num{}, false
	}
	return num{f: f}, true
}

// isJSONNumber reports whether s has the RFC 8259 number grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return false
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// jsonEqual is deep equality of JSON values, numbers compared numerically.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	xn, ok := toNum(a)
	if !ok {
		return false
	}
	yn, ok := toNum(b)
	if !ok {
		return false
	}
	c, ok := xn.cmp(yn)
	return ok && c == 0
}

// normalize validates a rule value and deep-copies it into the JSON shapes
// evaluation works on, so that callers may reuse the RuleSet afterwards.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if _, ok := parseNumber(string(x)); !ok {
			return nil, fmt.Errorf("invalid number %q", string(x))
		}
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("invalid number %v", x)
		}
		return x, nil
	case float32:
		return normalize(float64(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	if _, ok := toNum(v); ok {
		return v, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

const maxDescribedValue = 120

// describe formats a rule for reasons: `$.data.status equals "paid"`.
func describe(r Rule) string {
	if r.Operator == OperatorExists || r.Operator == OperatorNotExists {
		return r.Field + " " + r.Operator
	}
	var val string
	if b, err := json.Marshal(r.Value); err == nil {
		val = string(b)
	} else {
		val = fmt.Sprintf("%v", r.Value)
	}
	if len(val) > maxDescribedValue {
		cut := maxDescribedValue
		for cut > 0 && !utf8Start(val[cut]) {
			cut--
		}
		val = val[:cut] + "…"
	}
	return r.Field + " " + r.Operator + " " + val
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
