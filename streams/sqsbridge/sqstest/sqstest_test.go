package sqstest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

// TestServerBehaviour pins what the bridge relies on in the test server:
// SendMessageBatch decodes, FIFO deduplicates by MessageDeduplicationId,
// and a message received maxReceiveCount times moves to the DLQ.
func TestServerBehaviour(t *testing.T) {
	t.Parallel()
	s := sqstest.Start(t)
	ctx := context.Background()
	c := s.Client()

	fifo := s.CreateQueue(t, "dedup", sqstest.QueueOptions{FIFO: true})
	entry := func(id, dedup string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(dedup),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(dedup)}
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifo),
		Entries: []types.SendMessageBatchRequestEntry{entry("0", "a"), entry("1", "b")}})
	require.NoError(t, err)
	require.Len(t, out.Successful, 2)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(fifo),
		Entries: []types.SendMessageBatchRequestEntry{entry("0", "a")}})
	require.NoError(t, err)
	got := s.Drain(t, fifo)
	require.Len(t, got, 2)
	require.Equal(t, "a", aws.ToString(got[0].Body))
	require.Equal(t, "b", aws.ToString(got[1].Body))

	dlq := s.CreateQueue(t, "dlq", sqstest.QueueOptions{})
	src := s.CreateQueue(t, "src", sqstest.QueueOptions{DLQ: dlq, MaxReceiveCount: 2, VisibilityTimeout: 1})
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String("poison")})
	require.NoError(t, err)
	for received := 0; received < 2; {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), WaitTimeSeconds: 2})
		require.NoError(t, err)
		received += len(r.Messages)
	}
	var moved []types.Message
	for len(moved) == 0 {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(src), WaitTimeSeconds: 2})
		require.NoError(t, err)
		require.Empty(t, r.Messages)
		moved = s.Drain(t, dlq)
	}
	require.Equal(t, "poison", aws.ToString(moved[0].Body))
}
