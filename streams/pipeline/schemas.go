package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/hookstream/hookstream/streams/schema"
)

// EventTypeSource reads the event type registry (table event_types).
type EventTypeSource interface {
	// Type returns a version of the type named name as the tenant sees it
	// (a core type or its own); version 0 is the latest. Errors:
	// hookstream.ErrNotFound, or the store's error when it is unreachable.
	Type(ctx context.Context, tenantID, name string, version int) (schema.Type, error)
	// Resolvable returns every version of every type a schema of the tenant
	// may "$ref": the tenant's own types first, then the core types.
	Resolvable(ctx context.Context, tenantID string) ([]schema.Type, error)
}

// Schemas hands out compiled validators of event type versions, compiled
// once per tenant, type and version (schema.Cache: versions are immutable,
// so entries never go stale). Core types are served from schema.Core()
// without a database round trip; a tenant's type needs one to find its
// latest version, none when the version is pinned and already compiled.
// A Schemas is safe for concurrent use; the API and the pipeline share one.
type Schemas struct {
	src   EventTypeSource
	cache *schema.Cache
	core  map[string]schema.Type
}

// NewSchemas returns a Schemas over src with an empty cache.
func NewSchemas(src EventTypeSource) *Schemas {
	core := map[string]schema.Type{}
	for _, t := range schema.Core() {
		core[t.Name] = t
	}
	return &Schemas{src: src, cache: schema.NewCache(), core: core}
}

// IsCore reports whether name is a core event type, read-only for tenants.
func (s *Schemas) IsCore(name string) bool {
	_, ok := s.core[name]
	return ok
}

// Compile compiles t with the tenant's registry as the only "$ref" source
// (its own types, then the core types); extra types (e.g. the earlier
// versions of t) are resolvable too. A dangling "$ref" or an invalid schema
// is an error carrying a *hookstream.Error with code EUNPROCESSABLE.
func (s *Schemas) Compile(ctx context.Context, t schema.Type) (*schema.Validator, error) {
	types, err := s.src.Resolvable(ctx, t.TenantID)
	if err != nil {
		return nil, err
	}
	types = slices.DeleteFunc(types, func(o schema.Type) bool { return o.Name == t.Name && o.Version == t.Version })
	return schema.Compile(t, schema.Resolver(append([]schema.Type{t}, types...)...))
}

// Validator returns the compiled validator of a version (0: the latest) of
// the type named name as the tenant sees it. Errors: hookstream.ErrNotFound
// for an unknown type or version, the source's error when it is
// unreachable, or a compile error for a stored schema that no longer
// compiles (a referenced type disappeared).
func (s *Schemas) Validator(ctx context.Context, tenantID, name string, version int) (*schema.Validator, error) {
	if ct, ok := s.core[name]; ok && (version == 0 || version == ct.Version) {
		return s.cache.Get(schema.Key("", ct.Name, ct.Version), func() (*schema.Validator, error) {
			return schema.Compile(ct, schema.Resolver(schema.Core()...))
		})
	}
	owner := tenantID
	if s.IsCore(name) {
		owner = ""
	}
	var t *schema.Type
	if version == 0 {
		latest, err := s.src.Type(ctx, tenantID, name, 0)
		if err != nil {
			return nil, err
		}
		t, version = &latest, latest.Version
	}
	return s.cache.Get(schema.Key(owner, name, version), func() (*schema.Validator, error) {
		if t == nil {
			got, err := s.src.Type(ctx, tenantID, name, version)
			if err != nil {
				return nil, err
			}
			t = &got
		}
		v, err := s.Compile(ctx, *t)
		if err != nil {
			return nil, fmt.Errorf("compile stored event type %s v%d: %w", name, version, err)
		}
		return v, nil
	})
}

// Cached reports how many validators are compiled (or compiling).
func (s *Schemas) Cached() int { return s.cache.Len() }
