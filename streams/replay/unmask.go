package replay

import (
	"encoding/json"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"
)

// maskPlaceholder is what masking writes over a masked value (SPEC §3.6;
// projections.MaskValue).
const maskPlaceholder = "***"

// unmask keeps personal data out of reach of the mask (SPEC §7): in an
// edited body, every value selected by a mask path that is still the mask
// placeholder takes the original body's value at the same location. An
// edit that changed a masked value (to anything but the placeholder) keeps
// the edit; a placeholder with no original value at its location stays.
// Bodies that are not JSON objects or arrays, or paths that do not parse,
// are left alone.
func unmask(edited, original json.RawMessage, paths []string) json.RawMessage {
	if len(paths) == 0 || len(original) == 0 {
		return edited
	}
	var doc, orig any
	if json.Unmarshal(edited, &doc) != nil || json.Unmarshal(original, &orig) != nil {
		return edited
	}
	changed := false
	for _, raw := range paths {
		p, err := parseMaskPath(raw)
		if err != nil {
			continue
		}
		for _, n := range p.SelectLocated(doc) {
			if s, ok := n.Node.(string); !ok || s != maskPlaceholder {
				continue
			}
			v, ok := valueAt(orig, n.Path)
			if !ok {
				continue
			}
			if len(n.Path) == 0 {
				doc, changed = v, true
				continue
			}
			if setValue(doc, n.Path, v) {
				changed = true
			}
		}
	}
	if !changed {
		return edited
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return edited
	}
	return out
}

// parseMaskPath parses a mask path like projections.ParseMaskPath: an RFC
// 9535 JSONPath, or a path relative to the body ("customer.email").
func parseMaskPath(p string) (*jsonpath.Path, error) {
	p = strings.TrimSpace(p)
	if !strings.HasPrefix(p, "$") {
		if strings.HasPrefix(p, "[") {
			p = "$" + p
		} else {
			p = "$." + p
		}
	}
	return jsonpath.Parse(p)
}

func valueAt(doc any, path spec.NormalizedPath) (any, bool) {
	cur := doc
	for _, sel := range path {
		switch s := sel.(type) {
		case spec.Name:
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = obj[string(s)]; !ok {
				return nil, false
			}
		case spec.Index:
			arr, ok := cur.([]any)
			if !ok || int(s) < 0 || int(s) >= len(arr) {
				return nil, false
			}
			cur = arr[s]
		default:
			return nil, false
		}
	}
	return cur, true
}

func setValue(doc any, path spec.NormalizedPath, v any) bool {
	parent, ok := valueAt(doc, path[:len(path)-1])
	if !ok {
		return false
	}
	switch s := path[len(path)-1].(type) {
	case spec.Name:
		obj, ok := parent.(map[string]any)
		if !ok {
			return false
		}
		obj[string(s)] = v
		return true
	case spec.Index:
		arr, ok := parent.([]any)
		if !ok || int(s) < 0 || int(s) >= len(arr) {
			return false
		}
		arr[s] = v
		return true
	}
	return false
}
