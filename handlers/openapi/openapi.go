// Package openapi holds hookstream's OpenAPI 3.1 document (openapi.yaml,
// embedded) and serves it as JSON. The document is the contract the API
// tests check every response against (cmd/hookstream), and the source of
// the dashboard's generated types (web/openapi).
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var source []byte

// YAML returns the document as written.
func YAML() []byte { return source }

var (
	once    sync.Once
	jsonDoc []byte
	jsonErr error
)

// JSON returns the document as JSON (converted once).
func JSON() ([]byte, error) {
	once.Do(func() {
		var doc any
		if err := yaml.Unmarshal(source, &doc); err != nil {
			jsonErr = fmt.Errorf("openapi.yaml: %w", err)
			return
		}
		jsonDoc, jsonErr = json.Marshal(doc)
	})
	return jsonDoc, jsonErr
}
