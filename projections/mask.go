package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"
)

// MaskValue replaces masked body fields (SPEC §3.6).
const MaskValue = "***"

// masks holds the compiled maskPaths of a tenant's webhooks. Masks apply
// when the delivery log is read (API and export), not when it is written:
// the rows keep the payload as received, like the stream, so a change of a
// webhook's maskPaths applies at once to every stored row, and a rebuild
// needs nothing special.
type masks map[string][]*jsonpath.Path

// loadMasks reads the maskPaths of every webhook of the tenant from the
// webhooks read model (config->'maskPaths'). Paths that do not parse are
// skipped (the webhook API validates them when they are set).
func loadMasks(ctx context.Context, pool *pgxpool.Pool, tenantID string) (masks, error) {
	rows, err := pool.Query(ctx, q("TenantMaskPaths"), tenantID)
	if err != nil {
		return nil, fmt.Errorf("mask paths: %w", translate(err))
	}
	defer rows.Close()
	out := masks{}
	for rows.Next() {
		var id string
		var paths []string
		if err := rows.Scan(&id, &paths); err != nil {
			return nil, fmt.Errorf("mask paths: %w", err)
		}
		for _, p := range paths {
			if cp, err := ParseMaskPath(p); err == nil {
				out[id] = append(out[id], cp)
			}
		}
	}
	return out, rows.Err()
}

// ParseMaskPath parses a mask path: an RFC 9535 JSONPath; a path without
// the leading "$" is taken relative to the body ("customer.email").
func ParseMaskPath(p string) (*jsonpath.Path, error) {
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

func (m masks) apply(ev *DeliveryEvent) {
	paths := m[ev.WebhookID]
	if len(paths) == 0 || len(ev.Body) == 0 || ev.BodyEncoding != "" {
		return
	}
	if masked, ok := MaskJSON(ev.Body, paths); ok {
		ev.Body = masked
	}
}

// MaskJSON replaces every value selected by paths with MaskValue; ok is
// false when nothing matched (or raw is not JSON).
func MaskJSON(raw json.RawMessage, paths []*jsonpath.Path) (json.RawMessage, bool) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return raw, false
	}
	changed := false
	for _, p := range paths {
		for _, n := range p.SelectLocated(doc) {
			if len(n.Path) == 0 {
				doc, changed = MaskValue, true
				continue
			}
			if setAt(doc, n.Path) {
				changed = true
			}
		}
	}
	if !changed {
		return raw, false
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw, false
	}
	return out, true
}

// setAt replaces the value at a normalized path with MaskValue.
func setAt(doc any, path spec.NormalizedPath) bool {
	cur := doc
	for i, sel := range path {
		last := i == len(path)-1
		switch s := sel.(type) {
		case spec.Name:
			obj, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if last {
				obj[string(s)] = MaskValue
				return true
			}
			cur = obj[string(s)]
		case spec.Index:
			arr, ok := cur.([]any)
			if !ok || int(s) < 0 || int(s) >= len(arr) {
				return false
			}
			if last {
				arr[s] = MaskValue
				return true
			}
			cur = arr[s]
		default:
			return false
		}
	}
	return false
}
