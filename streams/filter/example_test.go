package filter_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hookstream/hookstream/streams/filter"
)

func Example() {
	var rs filter.RuleSet
	_ = json.Unmarshal([]byte(`{
		"logic": "and",
		"rules": [
			{"field": "$.data.status", "operator": "equals", "value": "paid"},
			{"field": "headers.X-Event-Type", "operator": "starts_with", "value": "order."}
		],
		"groups": [{"logic": "or", "rules": [
			{"field": "$.items[*].price", "operator": "greater_than", "value": 20},
			{"field": "metadata.vip", "operator": "equals", "value": true}
		]}]
	}`), &rs)

	p, err := filter.Compile(rs)
	if err != nil {
		fmt.Println(err)
		return
	}

	var body any
	_ = json.Unmarshal([]byte(`{"data":{"status":"pending"},"items":[{"price":25}]}`), &body)
	in := filter.Input{Body: body, Headers: http.Header{"X-Event-Type": {"order.created"}}}

	res := p.Match(in)
	fmt.Println(res.Matched)
	fmt.Println(res.Reason)

	for _, rr := range p.Explain(in).Rules {
		fmt.Println(rr.GroupIndex, rr.Index, rr.Matched, rr.Values)
	}

	_, err = filter.Compile(filter.RuleSet{Rules: []filter.Rule{{Field: "$..status", Operator: "exists"}}})
	fmt.Println(err)
	// Output:
	// false
	// rule 0 ($.data.status equals "paid") did not match
	// -1 0 false [pending]
	// -1 1 true [order.created]
	// 0 0 true [25]
	// 0 1 false []
	// invalid filter rule set: rules[0].field: the descendant segment ".." is not allowed
}
