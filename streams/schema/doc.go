// Package schema is the event type registry's engine: it compiles the JSON
// Schemas of event types, validates payloads against them, caches compiled
// validators, checks that a new version of a type is backward compatible
// with the previous one, and carries the schemas of hookstream's core event
// types (SPEC §2, §5). It is pure: no database, no network, no files.
//
// # Compiling
//
// [Compile] turns a [Type] into a [Validator]. Schemas default to JSON Schema
// draft 2020-12 when they have no "$schema", and "format" is asserted (a
// "date-time" that is not RFC 3339 is an error, not an annotation). Every
// type has a canonical URL, [URL]: https://hookstream.dev/schemas/<name>/v<version>.
// A "$ref" may point at another registered type through that URL (absolute,
// or relative such as "../customer/v1"), optionally with a fragment
// ("https://hookstream.dev/schemas/webhook.received/v1#/$defs/metadata").
// References are resolved only through the resolve function given to
// Compile, which the caller backs with its registry (the tenant's types,
// then the core types); nothing is ever fetched from the network or the
// file system. A reference that resolve does not know is refused when the
// type is saved: Compile returns an error wrapping [ErrDanglingRef] and a
// *hookstream.Error (422) naming the reference. The official meta-schemas
// (https://json-schema.org/...) are built into the JSON Schema library and
// always resolve.
//
// Compile also validates the type's examples, so a saved example always
// matches its schema.
//
// # Validating
//
// [Validator.Validate] takes an instance decoded into any: map[string]any,
// []any, string, bool, nil, and numbers as float64 (encoding/json's default)
// or json.Number. [Validator.ValidateJSON] decodes raw bytes itself with
// json.Number (jsonschema.UnmarshalJSON), which keeps integers beyond 2^53
// and decimals exact for "integer", "multipleOf", "minimum" and friends;
// prefer it when you hold the raw payload. Errors are the leaves of the
// library's error tree, flattened into [ValidationError]s with a JSON
// Pointer instance path, the failing keyword and a message. For "required"
// and "additionalProperties" the instance path is the object (as Ajv does)
// and there is one error per missing or extra property. A failing "anyOf"
// or "oneOf" is reported itself, followed by the errors of its branches.
//
// # Caching
//
// Versions are immutable, so a compiled validator never goes stale: [Cache]
// compiles each key ([Key]: tenant:name:version) once, concurrently safe,
// and does not remember failures (a failing resolve can be retried).
//
// # Compatibility
//
// [CheckCompatible] compares version n+1 with version n and lists what
// would make a payload valid under n invalid under n+1. See its doc for the
// rules and their limits.
//
// # Core types
//
// [Core] returns the core event types, embedded from core/<type>.json. The
// migration migrations/00002_core_event_types.sql seeds them; it is
// generated from those files by `go test ./streams/schema -run
// TestCoreMigration -update`, and a drift test fails when the two differ.
package schema
