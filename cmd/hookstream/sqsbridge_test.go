package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
	"github.com/hookstream/hookstream/streams/sqsbridge"
	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

// sqsEnv points the AWS SDK of a server at the test SQS server.
func sqsEnv(t *testing.T, s *sqstest.Server) {
	t.Setenv("AWS_ENDPOINT_URL_SQS", s.URL)
	t.Setenv("AWS_REGION", sqstest.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func receiveAll(t *testing.T, s *sqstest.Server, q string, want int) []types.Message {
	t.Helper()
	var got []types.Message
	poll(t, 90*time.Second, 100*time.Millisecond, func() bool {
		got = append(got, s.Drain(t, q)...)
		return len(got) >= want
	}, func() string { return fmt.Sprintf("%d of %d messages in %s", len(got), want, q) })
	return got
}

// TestSQSBridgeEndToEnd: with HOOKSTREAM_EXECUTOR=sqs, a webhook of each
// priority triggers its workflow into that priority's queue with the
// attributes; an execution event from the inbound queue is appended to the
// EXEC stream; the bridge shows in GET /api/v1/bridge, /readyz?verbose and
// /metrics. Not t.Parallel: it sets the AWS environment of the process.
func TestSQSBridgeEndToEnd(t *testing.T) {
	q := sqstest.Start(t)
	sqsEnv(t, q)
	var urls [4]string
	for p := range 4 {
		urls[p] = q.CreateQueue(t, "triggers-p"+strconv.Itoa(p), sqstest.QueueOptions{})
	}
	inbound := q.CreateQueue(t, "results", sqstest.QueueOptions{})
	s := startServer(t, func(c *Config) {
		c.Executor, c.SQSQueueURLs, c.SQSInboundQueueURL = "sqs", urls, inbound
	})
	var wf hookstream.Workflow
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "sqs", "steps": []any{map[string]any{"type": "log", "message": "sent to SQS"}},
	}, &wf))
	var tenantID string
	hooks := map[int]string{}
	for p := range 4 {
		wh := createWebhook(t, s, map[string]any{"name": "p" + strconv.Itoa(p), "path": "sqs-p" + strconv.Itoa(p), "authType": "none", "workflowId": wf.ID, "priority": p})
		hooks[p], tenantID = wh["id"].(string), wh["tenantId"].(string)
	}
	received := map[int]string{}
	for p := range 4 {
		status, out := send(t, s, "sqs-p"+strconv.Itoa(p), `{"n":`+strconv.Itoa(p)+`}`)
		require.Equal(t, http.StatusAccepted, status, "%v", out)
		received[p] = out["eventId"].(string)
	}
	for p := range 4 {
		msgs := receiveAll(t, q, urls[p], 1)
		require.Len(t, msgs, 1, "priority %d", p)
		m := msgs[0]
		var ev hookstream.Event
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &ev))
		require.Equal(t, hookstream.EventWorkflowTriggered, ev.Type)
		require.Equal(t, wf.ID, ev.WorkflowID)
		var d struct{ Trigger struct{ EventID string } }
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		require.Equal(t, received[p], d.Trigger.EventID)
		a := func(n string) string { return aws.ToString(m.MessageAttributes[n].StringValue) }
		require.Equal(t, tenantID, a(sqsbridge.AttrTenantID))
		require.Equal(t, hooks[p], a(sqsbridge.AttrWebhookID))
		require.Equal(t, ev.ID, a(sqsbridge.AttrEventID))
		require.Equal(t, hookstream.EventWorkflowTriggered, a(sqsbridge.AttrEventType))
		require.Equal(t, strconv.Itoa(p), a(sqsbridge.AttrPriority))
	}

	// Inbound: an external engine reports an execution start.
	execID := uuid.NewString()
	body, err := json.Marshal(map[string]any{"specversion": "1.0", "id": uuid.NewString(), "source": "/engines/ext", "type": "execution.started",
		"tenantid": tenantID, "workflowid": wf.ID, "data": map[string]any{"executionId": execID, "workflowId": wf.ID, "eventId": received[0]}})
	require.NoError(t, err)
	_, err = q.Client().SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(inbound), MessageBody: aws.String(string(body))})
	require.NoError(t, err)
	// A message of an unknown tenant is invalid.
	bad := strings.Replace(string(body), tenantID, uuid.NewString(), 1)
	_, err = q.Client().SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(inbound), MessageBody: aws.String(bad)})
	require.NoError(t, err)
	var got *hookstream.Event
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.NoError(t, s.Main.Store().Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamExec,
			Subjects: []string{eventstore.SubjectFilter(eventstore.StreamExec, tenantID, wf.ID, "execution.started")}}, func(ev *hookstream.Event) error {
			got = ev
			return nil
		}))
		return got != nil
	}, func() string { return "execution.started not appended" })
	require.Contains(t, string(got.Data), execID)

	var st sqsbridge.Status
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/bridge", s.Token, nil, &st))
		return st.Outbound.Sent == 4 && st.Inbound.Appended == 1 && st.Inbound.Invalid >= 1
	}, func() string { return fmt.Sprintf("%+v", st) })
	require.True(t, st.Enabled)
	require.Equal(t, "sqs", st.Mode)
	require.Nil(t, st.Reason)
	require.Len(t, st.Outbound.Queues, 4)
	require.Equal(t, inbound, *st.Inbound.QueueURL)
	var raw map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/bridge", s.Token, nil, &raw))
	require.ElementsMatch(t, []string{"enabled", "mode", "reason", "outbound", "inbound"}, keys(raw))
	require.ElementsMatch(t, []string{"queues", "sent", "failed", "inFlight", "lastSuccessAt", "lastError", "backlog"}, keys(raw["outbound"].(map[string]any)))
	require.ElementsMatch(t, []string{"queueUrl", "received", "appended", "invalid", "lastSuccessAt", "lastError"}, keys(raw["inbound"].(map[string]any)))
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/bridge", "", nil, nil))

	var ready struct {
		Components []struct{ Name, Status, Detail string }
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/readyz?verbose", "", nil, &ready))
	found := false
	for _, c := range ready.Components {
		if c.Name == "sqsbridge" {
			found = true
			require.Contains(t, c.Detail, "outbound 4 queue(s)")
		}
	}
	require.True(t, found, "%+v", ready)
	metrics := get(t, s.URL+"/metrics")
	require.Contains(t, metrics, "hookstream_sqsbridge_outbound_sent_total 4")
	require.Contains(t, metrics, "hookstream_sqsbridge_inbound_appended_total 1")
	require.Contains(t, metrics, `hookstream_sqsbridge_inbound_invalid_total{reason="unknown_tenant"}`)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(raw)
}

// TestSQSBridgeOff: without SQS configuration the bridge is off and says so.
func TestSQSBridgeOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.LogLevel = "info" })
	var st sqsbridge.Status
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/bridge", s.Token, nil, &st))
	require.False(t, st.Enabled)
	require.Equal(t, "off", st.Mode)
	require.Contains(t, *st.Reason, "HOOKSTREAM_EXECUTOR")
	require.Equal(t, 1, strings.Count(s.Logs.String(), `"msg":"sqs bridge off"`))
}

// TestSQSBridgeKillRestart: the real binary with HOOKSTREAM_EXECUTOR=sqs
// and a FIFO queue is SIGKILLed while it sends batches of triggers and
// appends inbound messages, then restarted: every trigger arrives exactly
// once (FIFO deduplication by event id absorbs the resends), and every
// inbound message is one event (a message appended and not deleted before
// the kill comes back and is a duplicate by its Nats-Msg-Id).
func TestSQSBridgeKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("durability test: builds and kills the real binary")
	}
	t.Parallel()
	q := sqstest.Start(t)
	fifo := q.CreateQueue(t, "triggers", sqstest.QueueOptions{FIFO: true})
	inbound := q.CreateQueue(t, "results", sqstest.QueueOptions{VisibilityTimeout: 2})
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookstream")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	logs, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logs.Close() })
	port := freeTCPPort(t)
	token := projections.NewToken()
	srv := &binaryServer{t: t, bin: bin, logs: logs, url: fmt.Sprintf("http://127.0.0.1:%d", port), env: []string{
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", port),
		"HOOKSTREAM_DATA_DIR=" + filepath.Join(dir, "data"),
		"HOOKSTREAM_DATABASE_URL=" + pgtest.DSN(t, migrations.Migrate),
		"HOOKSTREAM_BOOTSTRAP_TOKEN=" + token,
		"HOOKSTREAM_LOG_LEVEL=warn",
		"HOOKSTREAM_EXECUTOR=sqs",
		"HOOKSTREAM_SQS_QUEUE_URL=" + fifo,
		"HOOKSTREAM_SQS_INBOUND_QUEUE_URL=" + inbound,
		"AWS_ENDPOINT_URL_SQS=" + q.URL, "AWS_REGION=" + sqstest.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
	}}
	t.Cleanup(func() {
		if srv.cmd != nil {
			_ = srv.cmd.Process.Kill()
			_ = srv.cmd.Wait()
		}
	})
	srv.start()
	api := &testServer{t: t, URL: srv.url, Token: token}
	var wf hookstream.Workflow
	require.Equal(t, http.StatusCreated, api.do("POST", "/api/v1/workflows", token, map[string]any{"name": "k", "steps": []any{map[string]any{"type": "log", "message": "sent to SQS"}}}, &wf))
	var tenantID string
	for i := range 3 {
		wh := createWebhook(t, api, map[string]any{"name": "k" + strconv.Itoa(i), "path": "kill-" + strconv.Itoa(i), "authType": "none", "workflowId": wf.ID})
		tenantID = wh["tenantId"].(string)
	}

	// Inbound: execution events sent in bursts while the server is killed.
	const inboundN = 300
	sendInbound := func(n int) {
		for i := 0; i < n; i += 10 {
			entries := make([]types.SendMessageBatchRequestEntry, 0, 10)
			for j := range 10 {
				body, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": uuid.NewString(), "source": "/engines/ext", "type": "execution.started",
					"tenantid": tenantID, "workflowid": wf.ID, "data": map[string]any{"executionId": uuid.NewString(), "workflowId": wf.ID, "eventId": "e"}})
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(string(body))})
			}
			_, err := q.Client().SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(inbound), Entries: entries})
			require.NoError(t, err)
		}
	}

	// Outbound: webhooks sent while the server is killed and restarted.
	var mu sync.Mutex
	var acked []string
	sendSome := func(n int) {
		for i := range n {
			resp, err := http.Post(fmt.Sprintf("%s/api/v1/webhooks/kill-%d", srv.url, i%3), "application/json", strings.NewReader(`{"i":`+strconv.Itoa(i)+`}`))
			if err != nil {
				continue
			}
			var body struct{ EventID string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				mu.Lock()
				acked = append(acked, body.EventID)
				mu.Unlock()
			}
		}
	}
	const kills = 3
	for k := range kills {
		sendInbound(inboundN / kills)
		sendSome(150)
		var st sqsbridge.Status
		api.do("GET", "/api/v1/bridge", token, nil, &st)
		srv.kill()
		t.Logf("kill %d: %d webhooks acknowledged; this run had sent %d triggers (%d in flight, backlog %d) and appended %d inbound events",
			k+1, len(acked), st.Outbound.Sent, st.Outbound.InFlight, st.Outbound.Backlog, st.Inbound.Appended)
		srv.start()
	}
	sendSome(50)

	// Every acknowledged webhook's trigger arrives once.
	var msgs []types.Message
	poll(t, 3*time.Minute, 200*time.Millisecond, func() bool {
		msgs = append(msgs, q.Drain(t, fifo)...)
		return len(msgs) >= len(acked)
	}, func() string { return fmt.Sprintf("%d of %d triggers arrived", len(msgs), len(acked)) })
	perReceived := map[string]int{}
	for _, m := range msgs {
		var ev hookstream.Event
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &ev))
		var d struct{ Trigger struct{ EventID string } }
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		perReceived[d.Trigger.EventID]++
	}
	for _, id := range acked {
		require.Equal(t, 1, perReceived[id], "trigger of %s", id)
	}
	require.Len(t, msgs, len(acked), "no trigger twice on the FIFO queue")

	// Every inbound message became exactly one event.
	poll(t, 3*time.Minute, 200*time.Millisecond, func() bool {
		visible, inFlight := q.Count(t, inbound)
		return visible == 0 && inFlight == 0
	}, func() string {
		visible, inFlight := q.Count(t, inbound)
		return fmt.Sprintf("inbound queue: %d visible, %d in flight", visible, inFlight)
	})
	srv.stop()
	require.Equal(t, inboundN, countExecStored(t, filepath.Join(dir, "data", "nats")))
	t.Logf("kills=%d triggers acknowledged=%d arrived=%d (once each); inbound messages=%d events=%d", kills, len(acked), len(msgs), inboundN, inboundN)
}

func countExecStored(t *testing.T, natsDir string) int {
	t.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: natsDir})
	require.NoError(t, err)
	defer emb.Shutdown()
	nc, err := emb.Connect("sqs-check")
	require.NoError(t, err)
	defer nc.Close()
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{})
	require.NoError(t, err)
	n := 0
	require.NoError(t, st.Read(context.Background(), eventstore.ReadOptions{Stream: eventstore.StreamExec}, func(*hookstream.Event) error {
		n++
		return nil
	}))
	return n
}
