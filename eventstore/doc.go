// Package eventstore is hookstream's only door to NATS JetStream: the
// embedded server, the stream and KV topology, Append (which waits for the
// PubAck), Get, Read and durable consumers. JetStream errors are translated
// into *hookstream.Error here and nowhere else.
//
// # Streams and subjects
//
//	stream  subjects                                   holds
//	HOOKS   hooks.<tenantId>.<webhookId>.<eventType>   webhook.received|rejected|filtered|processed|failed,
//	                                                   workflow.triggered, replay.requested
//	EXEC    exec.<tenantId>.<workflowId>.<eventType>   execution.*, step.*
//	CONFIG  config.<tenantId>.<webhookId>.<eventType>  webhook.created|updated|deleted|secret_rotated
//
// <eventType> keeps its dots, so a subject has four fixed tokens before the
// type. The scheme answers every question a consumer or a `nats` user asks
// without decoding payloads:
//
//	one tenant        hooks.<tenantId>.>
//	one webhook       hooks.<tenantId>.<webhookId>.>
//	one type          hooks.*.*.webhook.received
//	since time T      any filter + DeliverByStartTime(T) (see Read)
//
// Ids (tenant, webhook, workflow) are UUIDs and never contain '.', '*' or '>'.
//
// # Invariants
//
//   - Streams use file storage, DenyDelete, DenyPurge and Discard: New: a
//     full stream refuses new messages (ingest answers 503) and never evicts
//     an acknowledged one. MaxAge is 365 days; each message may carry a
//     Nats-TTL (its tenant's retention) within that bound.
//   - Append returns only after JetStream's PubAck. The embedded server runs
//     with SyncAlways unless told otherwise, so a PubAck survives power loss.
//   - The Nats-Msg-Id of an event is its id, except webhook.received, whose id
//     is derived from the sender's delivery id (MsgIDForDelivery) so that the
//     duplicate window deduplicates redeliveries.
//   - Consumers ack explicitly, redeliver with backoff and a finite
//     MaxDeliver; the consumer's owner decides what to do with the last
//     delivery (see Msg.LastAttempt).
//
// # Content mode
//
// Events are carried by the CloudEvents NATS protocol binding in binary
// content mode by default (Config.ContentMode): every attribute in a
// ce-<name> header (ce-specversion, ce-id, ce-source, ce-type, ce-time,
// ce-tenantid, ce-webhookid, ce-workflowid, ce-priority, ce-replaycount,
// ce-replayof, ce-outcome, ce-subject), datacontenttype in Content-Type,
// and the data alone as the payload. Consumers route on headers; decoding
// an event parses no JSON (Event.Data is the payload). Every reader (Get,
// Read, consumers, DecodeMsg) also accepts structured mode (one JSON
// object, what wave 1 wrote, ContentStructured), told apart by the
// ce-specversion header, so events stored before the change stay readable.
//
// # Group commit
//
// Under SyncAlways every plain publish costs one fsync before its PubAck,
// so concurrent appends are capped by the disk's fsync rate. Batcher gathers
// concurrent appends to one stream into a JetStream atomic batch
// (AllowAtomicPublish; headers Nats-Batch-Id, Nats-Batch-Sequence and
// Nats-Batch-Commit: "1" on the last): the server stages the batch, stores
// it with one flush, and answers the commit with one PubAck carrying the
// last sequence and the count (message i of n is at seq-count+i). Only that
// PubAck is a durability acknowledgement; every caller is answered from it.
// A batch goes out as soon as a commit slot (MaxInFlight per stream) is
// free and keeps growing while all are busy, so an idle stream appends a
// single message at once (a plain publish, not a batch) and a busy one
// sends batches of up to MaxBatch; while another batch is in flight a new
// one lingers up to Window for company. HOOKS, EXEC and CONFIG never share
// a batch.
//
// Server limits (nats-server 2.15): at most 1000 messages per batch, 50
// open batches per stream, one stream per batch. Nats-TTL is accepted in a
// batch; Nats-Expected-Last-Msg-Id is not. Deduplication is tested, not
// assumed (TestAtomicBatchDedupBehaviour): a Nats-Msg-Id already in the
// duplicate window, or twice in one batch, makes the server refuse the WHOLE
// batch with err_code 10201 without saying which message; nothing is
// stored. The Batcher then appends that batch's events one by one (plain
// publishes, same Nats-Msg-Id), so each caller gets the exact answer —
// Duplicate with the original's sequence or a new sequence
// (TestBatcherDuplicatesInsideBatch). Any other refusal takes the same path;
// a commit without an answer fails the whole batch with EUNAVAILABLE.
// Metrics: hookstream_eventstore_batch_size, _batch_commit_seconds and
// _batch_fallback_total{err_code}.
//
// Measured with BenchmarkAppend64 (64 concurrent appenders, 1 KB events,
// embedded server, SyncAlways, file store on the machine's disk, 2 cores,
// 20 000 appends each, while other test suites loaded the machine: load
// average 3-14, so absolute numbers are low and noisy; the ratios held):
//
//	variant                               msgs/s   p50 ms   p99 ms
//	Store.Append (plain, sync)               485    125.8    280.9
//	PublishMsgAsync, 64 in flight            715     78.0    267.4
//	Batcher max 64,   no window, 1 slot     3301     14.9     67.6
//	Batcher max 64,   no window, 4 slots    3550     15.5     69.5
//	Batcher max 256,  no window, 1 slot     2474     15.5     99.4
//	Batcher max 256,  no window, 4 slots    2059     22.6    111.2
//	Batcher max 256,  1 ms,      4 slots    2260     20.1    102.0
//	Batcher max 256,  2 ms,      4 slots    5179     11.3     26.6
//	Batcher max 256,  1 ms,      8 slots    4571     13.5     29.6
//	Batcher max 1000, 1 ms,      4 slots    4501     13.1     30.8
//
// A second run under heavier load (load average 14-16, 10 000 appends):
// plain 303 msgs/s (p50 181 ms, p99 516), async 450 (127, 488), Batcher
// 64/no window/1 slot 714 (67, 369), Batcher 256/2 ms/4 slots 963 (45, 256),
// Batcher 1000/1 ms/4 slots 638 (83, 332). Rerun on a quiet machine for
// absolute numbers (the SPEC's quiet-machine figures: ≈5k sync, ≈9k async,
// 20-55k batched).
//
// Async publish does not help: the server still fsyncs each message. Group
// commit is 4-10x the throughput at a fraction of the latency, so ingest
// uses it by default (HOOKSTREAM_GROUP_COMMIT=on) with MaxBatch 256, Window
// 2 ms and 4 slots per stream (the best measured; the window costs nothing
// when the stream is idle because it only applies while another batch is
// in flight).
//
// # Cluster mode
//
// On a NATS cluster (Config.Replicas 3) every stream and KV bucket has
// three replicas and a PubAck comes from the stream leader once a quorum
// stored the message. Retrier (in front of the Batcher or the Store) waits
// out a leader election: retryable errors (Retryable: ErrUnavailable but
// not ErrStreamFull; err_code 10158 "duplicate message id is in process"
// counts as unavailable) are retried with the same Nats-Msg-Id, each
// attempt bounded by 2 s, until RetryConfig.Deadline (8 s). A duplicate
// answer to a retry whose stored message is the same event id is this
// append's own earlier attempt and is reported as stored. Get falls back to
// the leader's message API when a direct get (which any replica answers)
// says "not found": a follower may not have applied a just-acknowledged
// message. An embedded server's network listener requires the nkey seed
// generated into the data directory (LoadOrCreateNKeySeed);
// StartLocalCluster runs a cluster of in-process servers on loopback ports
// for `hookstream cluster-dev` and the tests (eventstoretest.NewCluster).
package eventstore
