package filter

import "strings"

// FieldError is one validation problem, located by Field in the JSON shape of
// the rule set: "logic", "rules", "rules[2].field", "groups[0].rules[1].value".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements error.
func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError is returned by [Compile] and [RuleSet.Validate] when a rule
// set is invalid. It lists every problem found, in rule order.
type ValidationError struct {
	Errors []FieldError `json:"errors"`
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid filter rule set: ")
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Fields returns the individual problems.
func (e *ValidationError) Fields() []FieldError { return e.Errors }

func (e *ValidationError) add(field, msg string) {
	e.Errors = append(e.Errors, FieldError{Field: field, Message: msg})
}
