package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// CoreVersion is the version of every core event type seeded by migration
// 00002. A change to a core schema is a new version: a new migration and a
// core/<type>.v2.json, never an edit of v1.
const CoreVersion = 1

//go:embed core/*.json
var coreFS embed.FS

// coreFile is the layout of core/<type>.json.
type coreFile struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Schema      json.RawMessage   `json:"schema"`
	Examples    []json.RawMessage `json:"examples"`
}

var loadCore = sync.OnceValues(func() ([]Type, error) {
	entries, err := fs.Glob(coreFS, "core/*.json")
	if err != nil {
		return nil, err
	}
	types := make([]Type, 0, len(entries))
	for _, name := range entries {
		data, err := coreFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var f coreFile
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.Name != want {
			return nil, fmt.Errorf("%s: name %q does not match the file name", name, f.Name)
		}
		types = append(types, Type{
			Name: f.Name, Version: CoreVersion, Schema: f.Schema, Description: f.Description, Examples: f.Examples,
		})
	}
	slices.SortFunc(types, func(a, b Type) int { return strings.Compare(a.Name, b.Name) })
	return types, nil
})

// Core returns the core event types (SPEC §2), sorted by name, TenantID "".
// The slices are shared: do not modify them.
func Core() []Type {
	types, err := loadCore()
	if err != nil {
		panic("schema: embedded core types: " + err.Error()) // a build defect, caught by the tests
	}
	return slices.Clone(types)
}

// Resolver returns a ResolveFunc over types by their URL. When two types
// share a name and version the first wins, so pass a tenant's types before
// Core() to let them take precedence.
func Resolver(types ...Type) ResolveFunc {
	m := make(map[string]json.RawMessage, len(types))
	for _, t := range types {
		u := URL(t.Name, t.Version)
		if _, ok := m[u]; !ok {
			m[u] = t.Schema
		}
	}
	return func(ref string) (json.RawMessage, bool) {
		ref, _, _ = strings.Cut(ref, "#")
		s, ok := m[ref]
		return s, ok
	}
}
