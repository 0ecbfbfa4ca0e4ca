package filter_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/hookstream/hookstream/streams/filter"
)

// FuzzCompile feeds rule set JSON to Compile, and evaluates what compiles.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"logic":"or","rules":[{"field":"$.data.status","operator":"equals","value":"paid"}]}`,
		`{"rules":[{"field":"$.items[*].sku","operator":"in","value":["A",1,null,true,{"a":[]}]}]}`,
		`{"rules":[{"field":"$.items[?@.price > 20 && length(@.sku) > 1]","operator":"exists"}]}`,
		`{"rules":[{"field":"$..a","operator":"exists"}]}`,
		`{"rules":[{"field":"$['a..b']","operator":"not_exists"}]}`,
		`{"rules":[{"field":"$.items[?search(@.sku, 'A')]","operator":"exists"}]}`,
		`{"rules":[{"field":"headers.X-Event","operator":"regex_match","value":"^(a|b)+$"}]}`,
		`{"rules":[{"field":"query.a","operator":"less_than","value":"m"}]}`,
		`{"rules":[{"field":"metadata.a.b","operator":"greater_than","value":1e308}]}`,
		`{"rules":[{"field":"$.a","operator":"contains","value":{"x":[1,2]},"enabled":false}],` +
			`"groups":[{"logic":"or","rules":[{"field":"$[0:2]","operator":"not_in","value":[]}]}]}`,
		`{"rules":[{"field":"$.a","operator":"regex_match","value":"(("}]}`,
	} {
		f.Add([]byte(seed))
	}
	in := fuzzInput([]byte(`{"a":"x","items":[{"sku":"A1","price":30}],"data":{"status":"paid"}}`), true)
	f.Fuzz(func(t *testing.T, data []byte) {
		var rs filter.RuleSet
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&rs); err != nil {
			return
		}
		p, err := filter.Compile(rs)
		if err != nil {
			if p != nil {
				t.Fatal("program with an error")
			}
			return
		}
		if p.Match(in).Matched != p.Explain(in).Matched {
			t.Fatal("Match and Explain disagree")
		}
	})
}

// FuzzMatch evaluates a fixed program against arbitrary payloads.
func FuzzMatch(f *testing.F) {
	f.Add([]byte(benchPayload), "order.paid")
	f.Add([]byte(testBody), "")
	f.Add([]byte(`[]`), "a")
	f.Add([]byte(`null`), "")
	f.Add([]byte(`{"data":{"items":[{"price":"x"},{"price":1e400}]}}`), "x")
	f.Add([]byte(`{"data":{"amount":-0,"status":["paid"],"customer":{"email":7}}}`), "\x00")
	f.Add([]byte(`{"type":{"a":1},"data":{"items":{"sku":"PN-1"}}}`), "order.paid")

	rs := benchRuleSet
	rs.Rules = append(append([]filter.Rule(nil), rs.Rules...),
		filter.Rule{Field: "$.data.items[?@.price > 20 && @.qty >= 2].sku", Operator: "contains", Value: "PN"},
		filter.Rule{Field: "$.data", Operator: "equals", Value: map[string]any{"status": "paid"}},
		filter.Rule{Field: "$.data.items[-1:]", Operator: "not_contains", Value: []any{1.0}},
		filter.Rule{Field: "$.*[*]", Operator: "less_than", Value: "z"},
		filter.Rule{Field: "$.data.amount", Operator: "in", Value: []any{json.Number("12999"), "12999"}},
	)
	rs.Logic = "or"
	p, err := filter.Compile(rs)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte, header string) {
		for _, numbers := range []bool{false, true} {
			in := fuzzInput(payload, numbers)
			in.Headers = http.Header{"X-Event-Type": {header}}
			in.Query = url.Values{"priority": {header}}
			if p.Match(in).Matched != p.Explain(in).Matched {
				t.Fatal("Match and Explain disagree")
			}
		}
	})
}

func fuzzInput(payload []byte, numbers bool) filter.Input {
	var body any
	dec := json.NewDecoder(bytes.NewReader(payload))
	if numbers {
		dec.UseNumber()
	}
	if err := dec.Decode(&body); err != nil {
		body = nil
	}
	return filter.Input{Body: body, Metadata: map[string]any{"userAgent": body}}
}
