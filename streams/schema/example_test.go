package schema_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/hookstream/hookstream/streams/schema"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ExampleCompile() {
	// A tenant type that reuses the core metadata definition.
	order := schema.Type{
		TenantID: "9b2d6c1e-4f3a-4c8e-9d7b-1a2b3c4d5e6f",
		Name:     "order.created",
		Version:  1,
		Schema: json.RawMessage(`{
			"type": "object",
			"properties": {
				"amount": {"type": "integer", "minimum": 1},
				"email": {"type": "string", "format": "email"},
				"meta": {"$ref": "https://hookstream.dev/schemas/webhook.received/v1#/$defs/metadata"}
			},
			"required": ["amount"]
		}`),
	}
	cache := schema.NewCache()
	key := schema.Key(order.TenantID, order.Name, order.Version)
	v, err := cache.Get(key, func() (*schema.Validator, error) {
		return schema.Compile(order, schema.Resolver(append([]schema.Type{order}, schema.Core()...)...))
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	errs, err := v.ValidateJSON([]byte(`{"email": "not-an-email"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range errs {
		fmt.Printf("%q %s: %s\n", e.InstancePath, e.Keyword, e.Message)
	}
	// Output:
	// "" required: missing required property "amount"
	// "/email" format: 'not-an-email' is not valid email: missing @
}

func ExampleCompile_danglingRef() {
	_, err := schema.Compile(schema.Type{
		Name: "order.created", Version: 2,
		Schema: json.RawMessage(`{"$ref": "https://hookstream.dev/schemas/customer/v1"}`),
	}, schema.Resolver(schema.Core()...))
	fmt.Println(err)
	// Output:
	// dangling $ref: hookstream error: code=unprocessable message=event type order.created v2: $ref "https://hookstream.dev/schemas/customer/v1" does not resolve to a registered event type
}

func ExampleCheckCompatible() {
	v1 := json.RawMessage(`{"type":"object","properties":{"status":{"enum":["paid","refunded"]}}}`)
	v2 := json.RawMessage(`{"type":"object","properties":{"status":{"enum":["paid"]}},"required":["status"]}`)
	for _, inc := range schema.CheckCompatible(v1, v2) {
		fmt.Println(inc.Kind, inc.Path, inc.Message)
	}
	// Output:
	// required_added /required property "status" became required
	// enum_narrowed /properties/status/enum value "refunded" no longer accepted
}
