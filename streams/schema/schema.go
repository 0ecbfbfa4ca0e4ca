package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hookstream/hookstream"
)

// BaseURL prefixes the canonical URL of every event type schema.
const BaseURL = "https://hookstream.dev/schemas/"

var (
	// ErrDanglingRef is wrapped by Compile's error when a "$ref" names a
	// schema that is not registered.
	ErrDanglingRef = errors.New("dangling $ref")
	// ErrInvalidSchema is wrapped by Compile's error when the schema is not
	// a valid JSON Schema, or the type's name, version or examples are invalid.
	ErrInvalidSchema = errors.New("invalid schema")
)

// Type is one immutable version of an event type, as stored in table
// event_types.
type Type struct {
	Name        string            `json:"name"`
	Version     int               `json:"version"`
	Schema      json.RawMessage   `json:"schema"`
	Description string            `json:"description"`
	Examples    []json.RawMessage `json:"examples"`
	// TenantID is "" for core types.
	TenantID string `json:"tenantId,omitempty"`
}

// ResolveFunc returns the schema registered under an absolute URL without
// fragment (see URL and ParseRef), and false when there is none.
type ResolveFunc func(ref string) (json.RawMessage, bool)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidName reports whether name can name an event type: 1–128 characters
// of [A-Za-z0-9._-], starting with a letter or digit.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// URL is the canonical URL of an event type version, which "$ref"s use
// to point at it.
func URL(name string, version int) string {
	return BaseURL + name + "/v" + strconv.Itoa(version)
}

// ParseRef splits a canonical schema URL (a fragment is ignored) into the
// type's name and version; ok is false for any other URL.
func ParseRef(ref string) (name string, version int, ok bool) {
	ref, _, _ = strings.Cut(ref, "#")
	rest, found := strings.CutPrefix(ref, BaseURL)
	if !found {
		return "", 0, false
	}
	name, v, found := strings.Cut(rest, "/v")
	if !found || !ValidName(name) {
		return "", 0, false
	}
	version, err := strconv.Atoi(v)
	if err != nil || version < 1 || strconv.Itoa(version) != v {
		return "", 0, false
	}
	return name, version, true
}

// Validator validates payloads against one compiled event type version. It is
// safe for concurrent use.
type Validator struct {
	name    string
	version int
	schema  *jsonschema.Schema
}

// Name returns the event type's name.
func (v *Validator) Name() string { return v.name }

// Version returns the event type's version.
func (v *Validator) Version() int { return v.version }

// ValidationError is one reason a payload does not match its schema.
type ValidationError struct {
	// InstancePath is a JSON Pointer (RFC 6901) into the payload: "" for the
	// root, "/data/amount" for a nested field.
	InstancePath string `json:"instancePath"`
	// Keyword is the failing JSON Schema keyword: "required", "type",
	// "format", "enum", "minimum", …
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

func (e ValidationError) String() string {
	return fmt.Sprintf("at %q: %s: %s", e.InstancePath, e.Keyword, e.Message)
}

// FieldErrors converts validation errors for hookstream.Error.Fields.
func FieldErrors(errs []ValidationError) []hookstream.FieldError {
	out := make([]hookstream.FieldError, len(errs))
	for i, e := range errs {
		out[i] = hookstream.FieldError{
			Field: e.InstancePath, Message: e.Message, Keyword: e.Keyword, InstancePath: e.InstancePath,
		}
	}
	return out
}

// Compile compiles t's schema (draft 2020-12 unless it says otherwise, formats
// asserted) and checks t's examples against it. resolve serves the schemas
// other "$ref"s point at; nil resolves nothing. The error wraps
// ErrDanglingRef or ErrInvalidSchema and a *hookstream.Error with code
// EUNPROCESSABLE whose message is safe to show.
func Compile(t Type, resolve ResolveFunc) (*Validator, error) {
	if !ValidName(t.Name) {
		return nil, compileError(ErrInvalidSchema, "event type name %q must match %s", t.Name, namePattern)
	}
	if t.Version < 1 {
		return nil, compileError(ErrInvalidSchema, "event type %s: version must be at least 1, got %d", t.Name, t.Version)
	}
	doc, err := decode(t.Schema)
	if err != nil {
		return nil, compileError(ErrInvalidSchema, "event type %s v%d: schema is not JSON: %v", t.Name, t.Version, err)
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		return nil, compileError(ErrInvalidSchema, "event type %s v%d: schema must be an object or a boolean", t.Name, t.Version)
	}

	loc := URL(t.Name, t.Version)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(registryLoader{resolve: resolve})
	if err := c.AddResource(loc, doc); err != nil {
		return nil, compileError(ErrInvalidSchema, "event type %s v%d: %v", t.Name, t.Version, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		if lerr, ok := errors.AsType[*jsonschema.LoadURLError](err); ok {
			return nil, compileError(ErrDanglingRef,
				"event type %s v%d: $ref %q does not resolve to a registered event type", t.Name, t.Version, lerr.URL)
		}
		return nil, compileError(ErrInvalidSchema, "event type %s v%d: %s", t.Name, t.Version, compileMessage(err))
	}

	v := &Validator{name: t.Name, version: t.Version, schema: sch}
	for i, ex := range t.Examples {
		errs, err := v.ValidateJSON(ex)
		if err != nil {
			return nil, compileError(ErrInvalidSchema, "event type %s v%d: example %d is not JSON: %v", t.Name, t.Version, i, err)
		}
		if len(errs) > 0 {
			herr := hookstream.Invalid(hookstream.EUNPROCESSABLE,
				fmt.Sprintf("event type %s v%d: example %d does not match the schema", t.Name, t.Version, i),
				FieldErrors(errs)...)
			return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, herr)
		}
	}
	return v, nil
}

func compileError(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %w", sentinel, hookstream.Errorf(hookstream.EUNPROCESSABLE, format, args...))
}

// compileMessage puts the library's multi-line compile error on one line.
func compileMessage(err error) string {
	msg := err.Error()
	msg = strings.ReplaceAll(msg, "\n", "; ")
	return msg
}

// registryLoader serves only what resolve knows: no network, no files.
type registryLoader struct {
	resolve ResolveFunc
}

func (l registryLoader) Load(url string) (any, error) {
	if l.resolve == nil {
		return nil, errors.New("not a registered event type")
	}
	raw, ok := l.resolve(url)
	if !ok {
		return nil, errors.New("not a registered event type")
	}
	return decode(raw)
}

func decode(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("empty document")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// Validate validates an instance decoded into any (see the package doc for
// the accepted Go types) and returns the errors, none when it is valid.
func (v *Validator) Validate(instance any) []ValidationError {
	err := v.schema.Validate(instance)
	if err == nil {
		return nil
	}
	verr, ok := errors.AsType[*jsonschema.ValidationError](err)
	if !ok {
		return []ValidationError{{Keyword: "schema", Message: err.Error()}}
	}
	var out []ValidationError
	flatten(verr, &out)
	// The library visits properties in map order: sort by location so the
	// same payload always yields the same list.
	slices.SortStableFunc(out, func(a, b ValidationError) int { return strings.Compare(a.InstancePath, b.InstancePath) })
	if len(out) == 0 {
		out = append(out, ValidationError{
			InstancePath: pointer(verr.InstanceLocation), Keyword: "schema", Message: "validation failed",
		})
	}
	return out
}

// ValidateJSON decodes data with json.Number (exact numbers) and validates it.
// The error is for data that is not a single JSON value.
func (v *Validator) ValidateJSON(data []byte) ([]ValidationError, error) {
	inst, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode instance: %w", err)
	}
	return v.Validate(inst), nil
}

var printer = message.NewPrinter(language.English)

func flatten(e *jsonschema.ValidationError, out *[]ValidationError) {
	path := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		// Containers: their causes say what failed.
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				flatten(c, out)
			}
			return
		}
	case *kind.AnyOf, *kind.OneOf:
		*out = append(*out, ValidationError{InstancePath: path, Keyword: keyword(k), Message: k.LocalizedString(printer)})
		for _, c := range e.Causes {
			flatten(c, out)
		}
		return
	case *kind.Required:
		for _, p := range k.Missing {
			*out = append(*out, ValidationError{InstancePath: path, Keyword: "required", Message: fmt.Sprintf("missing required property %q", p)})
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range slices.Sorted(slices.Values(k.Properties)) {
			*out = append(*out, ValidationError{InstancePath: path, Keyword: "additionalProperties", Message: fmt.Sprintf("property %q is not allowed", p)})
		}
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			flatten(c, out)
		}
		return
	}
	*out = append(*out, ValidationError{InstancePath: path, Keyword: keyword(e.ErrorKind), Message: e.ErrorKind.LocalizedString(printer)})
}

func keyword(k jsonschema.ErrorKind) string {
	switch k.(type) {
	case *kind.FalseSchema:
		return "false"
	case *kind.Not:
		return "not"
	case *kind.InvalidJsonValue:
		return "type"
	case *kind.RefCycle:
		return "$ref"
	}
	if kp := k.KeywordPath(); len(kp) > 0 {
		return kp[0]
	}
	return "schema"
}

// pointer renders tokens as a JSON Pointer (RFC 6901).
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		if strings.ContainsAny(t, "~/") {
			t = strings.ReplaceAll(t, "~", "~0")
			t = strings.ReplaceAll(t, "/", "~1")
		}
		sb.WriteString(t)
	}
	return sb.String()
}
