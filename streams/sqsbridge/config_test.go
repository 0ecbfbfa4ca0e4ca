package sqsbridge_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/sqsbridge"
	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

func intp(n int) *int { return &n }

// TestQueueResolution: which queue serves each priority, as Status lists
// them, and the configurations refused.
func TestQueueResolution(t *testing.T) {
	t.Parallel()
	es := eventstoretest.New(t)
	client := (&sqstest.Server{URL: "http://127.0.0.1:1"}).Client()
	tests := []struct {
		name      string
		one       string
		per       [4]string
		want      []sqsbridge.QueueStatus
		wantError string
	}{
		{name: "one queue", one: "http://q/all", want: []sqsbridge.QueueStatus{{URL: "http://q/all"}}},
		{name: "one fifo queue", one: "http://q/all.fifo", want: []sqsbridge.QueueStatus{{URL: "http://q/all.fifo", FIFO: true}}},
		{name: "per priority", per: [4]string{"http://q/0", "http://q/1", "http://q/2.fifo", "http://q/3"}, want: []sqsbridge.QueueStatus{
			{Priority: intp(0), URL: "http://q/0"}, {Priority: intp(1), URL: "http://q/1"},
			{Priority: intp(2), URL: "http://q/2.fifo", FIFO: true}, {Priority: intp(3), URL: "http://q/3"}}},
		{name: "critical apart", one: "http://q/rest", per: [4]string{3: "http://q/critical"}, want: []sqsbridge.QueueStatus{
			{URL: "http://q/rest"}, {Priority: intp(3), URL: "http://q/critical"}}},
		{name: "a priority without a queue", per: [4]string{"http://q/0", "http://q/1", "http://q/2"}, wantError: "no outbound queue for priority 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			br, err := sqsbridge.New(sqsbridge.Config{Store: es.Store, SQS: client, Outbound: true, QueueURL: tt.one, QueueURLs: tt.per})
			if tt.wantError != "" {
				require.ErrorContains(t, err, tt.wantError)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, br.Status(context.Background()).Outbound.Queues)
		})
	}
}
