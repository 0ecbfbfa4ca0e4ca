package main

// The SQS bridge's throughput (issue 12): outbound and inbound events/s
// against the local SQS-compatible server the tests use (fauxqs), from
// streams/sqsbridge's BenchmarkOutbound and BenchmarkInbound.
func init() {
	benchPackages = append(benchPackages, benchPackage{
		Dir:   "streams/sqsbridge",
		Title: "SQS bridge against the local fauxqs server, events/s (issue 12)",
		Want:  []string{"BenchmarkOutbound", "BenchmarkInbound"},
		Heavy: true,
	})
}
