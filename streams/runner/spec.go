package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/hookstream/hookstream"
)

// Bounds of workflow settings (validated at save time).
const (
	StepsMax          = 100
	DelayMax          = 7 * 24 * time.Hour
	TimeoutMsMax      = 5 * 60 * 1000
	MaxAttemptsMax    = 50
	IntervalMsMax     = 24 * 60 * 60 * 1000
	TemplateBytesMax  = 64 << 10
	BreakerCooldownMx = 60 * 60 * 1000
)

// funcs are the template functions besides text/template's built-ins:
// json renders a value as JSON (e.g. {{json .Body}}).
var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

func parseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Funcs(funcs).Option("missingkey=zero").Parse(text)
}

var methods = map[string]bool{
	http.MethodGet: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodHead: true, http.MethodOptions: true,
}

// ParseSteps decodes and validates a workflow's steps: every field of every
// step, templates parsed (a broken template is a field error, not a
// runtime surprise). Field names follow the JSON: steps[0].url.
func ParseSteps(raw json.RawMessage) ([]hookstream.Step, []hookstream.FieldError) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return []hookstream.Step{}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, []hookstream.FieldError{{Field: "steps", Message: "must be a JSON array of step objects"}}
	}
	if len(items) > StepsMax {
		return nil, []hookstream.FieldError{{Field: "steps", Message: fmt.Sprintf("at most %d steps", StepsMax)}}
	}
	steps := make([]hookstream.Step, len(items))
	var fields []hookstream.FieldError
	for i, item := range items {
		f := func(name, msg string) {
			field := fmt.Sprintf("steps[%d]", i)
			if name != "" {
				field += "." + name
			}
			fields = append(fields, hookstream.FieldError{Field: field, Message: msg})
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
			f("", "must be an object")
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		var s hookstream.Step
		if err := dec.Decode(&s); err != nil {
			f("", "invalid step: "+strings.TrimPrefix(err.Error(), "json: "))
			continue
		}
		steps[i] = s
		if s.Name != "" && len(s.Name) > 200 {
			f("name", "at most 200 characters")
		}
		switch s.Type {
		case hookstream.StepHTTP:
			validateHTTP(&steps[i], f)
		case hookstream.StepDelay:
			switch {
			case s.Ms <= 0:
				f("ms", "required: a positive number of milliseconds")
			case time.Duration(s.Ms)*time.Millisecond > DelayMax:
				f("ms", "at most 7 days")
			}
		case hookstream.StepLog:
			if strings.TrimSpace(s.Message) == "" {
				f("message", "required")
			} else if _, err := parseTemplate("message", s.Message); err != nil {
				f("message", "invalid template: "+err.Error())
			}
		case "":
			f("type", "required: http, delay or log")
		default:
			f("type", fmt.Sprintf("unknown step type %q: want http, delay or log", s.Type))
		}
	}
	return steps, fields
}

func validateHTTP(s *hookstream.Step, f func(name, msg string)) {
	if s.Method == "" {
		s.Method = http.MethodPost
	}
	s.Method = strings.ToUpper(s.Method)
	if !methods[s.Method] {
		f("method", "must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
	}
	switch {
	case strings.TrimSpace(s.URL) == "":
		f("url", "required")
	case len(s.URL) > TemplateBytesMax:
		f("url", "too long")
	default:
		if _, err := parseTemplate("url", s.URL); err != nil {
			f("url", "invalid template: "+err.Error())
		} else if !strings.Contains(s.URL, "{{") {
			u, err := url.Parse(s.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				f("url", "must be an absolute http or https URL")
			}
		}
	}
	for k, v := range s.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			f("headers", fmt.Sprintf("invalid header name %q", k))
			continue
		}
		if _, err := parseTemplate("header", v); err != nil {
			f("headers."+k, "invalid template: "+err.Error())
		}
	}
	if len(s.Body) > TemplateBytesMax {
		f("body", "at most 64 KiB")
	} else if _, err := parseTemplate("body", s.Body); err != nil {
		f("body", "invalid template: "+err.Error())
	}
}

// ValidateSettings checks a workflow's retry, timeout and breaker.
func ValidateSettings(r hookstream.RetryPolicy, timeoutMs int, b hookstream.BreakerPolicy) []hookstream.FieldError {
	var out []hookstream.FieldError
	add := func(field, msg string) { out = append(out, hookstream.FieldError{Field: field, Message: msg}) }
	if r.MaxAttempts < 0 || r.MaxAttempts > MaxAttemptsMax {
		add("retry.maxAttempts", fmt.Sprintf("between 1 and %d", MaxAttemptsMax))
	}
	if r.InitialIntervalMs < 0 || r.InitialIntervalMs > IntervalMsMax {
		add("retry.initialIntervalMs", "between 1 and 86400000")
	}
	if r.MaxIntervalMs < 0 || r.MaxIntervalMs > IntervalMsMax {
		add("retry.maxIntervalMs", "between 1 and 86400000")
	}
	if r.MaxIntervalMs > 0 && r.InitialIntervalMs > r.MaxIntervalMs {
		add("retry.maxIntervalMs", "must be at least initialIntervalMs")
	}
	if r.Multiplier != 0 && (r.Multiplier < 1 || r.Multiplier > 10) {
		add("retry.multiplier", "between 1 and 10")
	}
	if timeoutMs < 0 || timeoutMs > TimeoutMsMax {
		add("timeoutMs", fmt.Sprintf("between 1 and %d", TimeoutMsMax))
	}
	if b.FailureThreshold < 0 || b.FailureThreshold > 1000 {
		add("breaker.failureThreshold", "between 1 and 1000")
	}
	if b.CooldownMs < 0 || b.CooldownMs > BreakerCooldownMx {
		add("breaker.cooldownMs", "between 1 and 3600000")
	}
	return out
}

// SpecOf returns the executable form of a stored workflow, with defaults.
func SpecOf(w hookstream.Workflow) (hookstream.WorkflowSpec, error) {
	steps, fields := ParseSteps(w.Steps)
	if len(fields) > 0 {
		return hookstream.WorkflowSpec{}, fmt.Errorf("workflow %s: %s: %s", w.ID, fields[0].Field, fields[0].Message)
	}
	for i := range steps {
		if steps[i].Type == hookstream.StepHTTP && steps[i].Method == "" {
			steps[i].Method = http.MethodPost
		}
	}
	timeout := w.TimeoutMs
	if timeout <= 0 {
		timeout = hookstream.StepTimeoutMsDefault
	}
	return hookstream.WorkflowSpec{
		Name: w.Name, Steps: steps, Retry: w.Retry.WithDefaults(), TimeoutMs: timeout, Breaker: w.Breaker.WithDefaults(),
	}, nil
}

// templateData is what step templates see (SPEC §6).
type templateData struct {
	Event    map[string]any
	Body     any
	Headers  map[string]string
	Metadata map[string]any
	Steps    []any
}

// render executes a template over the execution's context.
func render(name, text string, data *templateData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	t, err := parseTemplate(name, text)
	if err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return b.String(), nil
}
