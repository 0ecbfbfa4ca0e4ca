package filter_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/filter"
)

// benchPayload is a ~1 KB order webhook.
const benchPayload = `{
  "id": "evt_1PqR2sT3uV4wX5yZ",
  "type": "order.paid",
  "created": 1718000000,
  "livemode": true,
  "data": {
    "status": "paid",
    "amount": 12999,
    "currency": "usd",
    "customer": {"id": "cus_9a8b7c", "email": "ada@example.com", "name": "Ada Lovelace", "vip": true,
      "address": {"line1": "12 Analytical Row", "city": "London", "country": "GB", "postal_code": "N1 9GU"}},
    "items": [
      {"sku": "BK-001", "name": "Notes on the Engine", "price": 2999, "qty": 1, "tags": ["book", "history"]},
      {"sku": "PN-204", "name": "Fountain pen", "price": 4500, "qty": 2, "tags": ["stationery"]},
      {"sku": "IN-330", "name": "Ink, blue-black", "price": 500, "qty": 3, "tags": ["stationery", "refill"]}
    ],
    "shipping": {"method": "express", "carrier": "royal-mail", "tracking": null},
    "discounts": [],
    "metadata": {"campaign": "spring-sale", "channel": "web", "affiliate": "none"}
  },
  "request": {"id": "req_42", "idempotency_key": "b7f3c1e2-9d4a-4c8e-8f21-6a5b4c3d2e1f"}
}`

var benchRuleSet = filter.RuleSet{
	Rules: []filter.Rule{
		{Field: "$.type", Operator: "equals", Value: "order.paid"},
		{Field: "$.data.status", Operator: "in", Value: []any{"paid", "captured"}},
		{Field: "$.data.amount", Operator: "greater_than_or_equal", Value: 1000.0},
		{Field: "$.data.customer.address.country", Operator: "not_in", Value: []any{"RU", "KP"}},
		{Field: "$.data.items[*].sku", Operator: "starts_with", Value: "PN-"},
		{Field: "$.data.customer.email", Operator: "regex_match", Value: `@example\.com$`},
		{Field: "$.data.items[0].tags", Operator: "contains", Value: "book"},
		{Field: "headers.X-Event-Type", Operator: "equals", Value: "order.paid"},
		{Field: "metadata.userAgent.browser", Operator: "not_equals", Value: "curl"},
	},
	Groups: []filter.Group{{Logic: "or", Rules: []filter.Rule{
		{Field: "$.data.shipping.method", Operator: "equals", Value: "express"},
		{Field: "query.priority", Operator: "exists"},
	}}},
}

func benchInput(tb testing.TB) filter.Input {
	tb.Helper()
	var body any
	require.NoError(tb, json.Unmarshal([]byte(benchPayload), &body))
	return filter.Input{
		Body:     body,
		Headers:  http.Header{"X-Event-Type": {"order.paid"}, "Content-Type": {"application/json"}, "User-Agent": {"Shop/1.0"}},
		Query:    url.Values{"source": {"shop"}},
		Metadata: map[string]any{"sourceIp": "203.0.113.9", "userAgent": map[string]any{"browser": "Shop", "os": "Linux"}},
	}
}

func BenchmarkMatch10Rules(b *testing.B) {
	p, err := filter.Compile(benchRuleSet)
	require.NoError(b, err)
	in := benchInput(b)
	require.True(b, p.Match(in).Matched)
	b.ReportAllocs()
	for b.Loop() {
		if !p.Match(in).Matched {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatch10RulesFiltered(b *testing.B) {
	rs := benchRuleSet
	rs.Rules = append([]filter.Rule(nil), rs.Rules...)
	rs.Rules[8] = filter.Rule{Field: "metadata.userAgent.browser", Operator: "equals", Value: "curl"}
	p, err := filter.Compile(rs)
	require.NoError(b, err)
	in := benchInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if p.Match(in).Matched {
			b.Fatal("match")
		}
	}
}

func BenchmarkMatchFilterSelector(b *testing.B) {
	p, err := filter.Compile(filter.RuleSet{Rules: []filter.Rule{
		{Field: "$.data.items[?@.price > 4000].sku", Operator: "equals", Value: "PN-204"},
	}})
	require.NoError(b, err)
	in := benchInput(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Match(in)
	}
}

func BenchmarkExplain10Rules(b *testing.B) {
	p, err := filter.Compile(benchRuleSet)
	require.NoError(b, err)
	in := benchInput(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Explain(in)
	}
}

func BenchmarkCompile10Rules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.Compile(benchRuleSet); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	// Not parallel: testing.AllocsPerRun refuses to run in parallel tests.

	p := compile(t, benchRuleSet)
	in := benchInput(t)
	require.Zero(t, testing.AllocsPerRun(100, func() { p.Match(in) }))
}
