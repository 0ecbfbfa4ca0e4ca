// Package sqsbridge connects hookstream to the platform's AWS SQS queues
// (SPEC §8): outbound, workflow.triggered events go to SQS for an external
// engine to run (HOOKSTREAM_EXECUTOR=sqs); inbound, that engine's
// execution/step events and other systems' events come back from a queue
// and are appended to JetStream. It speaks to SQS with aws-sdk-go-v2; the
// caller builds the client from the standard credential chain, so
// AWS_REGION, AWS_PROFILE, web identity, instance roles and
// AWS_ENDPOINT_URL_SQS (an SQS-compatible server) all apply. The SDK makes
// one attempt per call: retries are the bridge's, with one policy.
//
// # Outbound
//
// A durable JetStream consumer ("sqsbridge", shared by every node) reads
// hooks.*.*.workflow.triggered. Each trigger becomes one SQS message:
//
//   - body: the event as CloudEvents structured JSON (as stored);
//   - attributes: tenantId, webhookId (when set), eventId, eventType
//     (String) and priority (Number, 0-3);
//   - queue: HOOKSTREAM_SQS_QUEUE_URL_P<priority> when set, otherwise
//     HOOKSTREAM_SQS_QUEUE_URL (one queue for every priority, told apart by
//     the priority attribute). Every priority must have a queue.
//   - FIFO queues (URL ending in .fifo): MessageGroupId = webhook id (tenant
//     id for a trigger without one), so each webhook's triggers keep their
//     order; MessageDeduplicationId = event id, so a second send of the
//     same trigger within SQS's 5-minute window is dropped by SQS.
//   - claim check: a message whose body and attributes exceed 256 KiB is
//     sent as {"claimCheck":true,"eventId","stream","sequence","href"} with
//     the attributes hookstreamClaimCheck=true and hookstreamSequence; the
//     consumer fetches the event with GET /api/v1/events/{eventId}.
//
// Messages go by SendMessageBatch: at most 10 entries and 256 KiB per call.
// A fetched batch (100 triggers) is split by queue, then into up to 8 lanes
// per queue sent concurrently, each lane's calls in order; on a FIFO queue a
// webhook's triggers always share a lane. The next fetch waits for the
// whole batch.
//
// # Outbound invariants
//
//   - A trigger is acked in JetStream only after SQS accepted its entry
//     (listed in Successful). Nothing is acked early, nothing is dropped.
//   - A partial batch failure retries only the failed entries; a call that
//     fails whole (throttling, 5xx, timeout, connection refused) is retried
//     whole. Retries back off with full jitter (random in [0, min(30 s,
//     100 ms·2^n)]) for as long as it takes; the triggers in hand are marked
//     in progress every AckWait/3 (10 s) so JetStream does not redeliver
//     them meanwhile, and the next fetch waits. Status shows lastError and
//     the growing backlog.
//   - At least once: a process killed after SQS accepted an entry and
//     before the ack reaches JetStream sends it again after restart. On a
//     FIFO queue the deduplication id makes that exactly once (within SQS's
//     window); on a standard queue the consumer deduplicates by eventId.
//   - An undecodable stored event (no id or tenant to send) is parked
//     (Term) and logged; it never happens with events hookstream wrote.
//   - Order: a FIFO queue receives each webhook's triggers in stream order,
//     except after a partial batch failure, when the failed entries follow
//     the accepted ones of the same call.
//   - Stop hands the triggers not yet accepted back (nak) for redelivery.
//   - Several nodes share the durable consumer and JetStream spreads the
//     triggers among them, so a webhook's FIFO order holds per node; run the
//     outbound bridge on one node (HOOKSTREAM_EXECUTOR=sqs there, local
//     elsewhere with the runner off) when strict per-webhook order matters
//     across nodes.
//
// # Inbound
//
// With HOOKSTREAM_SQS_INBOUND_QUEUE_URL (whatever the executor), the bridge
// long-polls the queue (WaitTimeSeconds 20, up to 10 messages, visibility
// 30 s; 4 polls at once). Each message body must be one CloudEvents 1.0
// event in structured JSON mode:
//
//	{"specversion":"1.0","id":"…","source":"/engines/x","type":"execution.completed",
//	 "tenantid":"<tenant uuid>","workflowid":"<uuid>","webhookid":"<uuid>"?,
//	 "priority":0-3?,"time":"…"?,"subject":"…"?,"data":{…}}
//
// Decisions (the SPEC is silent):
//
//   - Tenant: the required tenantid attribute, a UUID of an existing tenant
//     (a queue is shared by the platform; hookstream cannot infer tenants).
//     An unknown tenant is invalid. While PostgreSQL is down the tenant
//     cannot be checked and the event is appended with the stream's MaxAge
//     instead of the tenant's retention (inbound does not depend on
//     PostgreSQL, like ingest).
//   - Types: execution.* and step.* (core types, from an external engine)
//     and the tenant's own registered types (external events). hookstream's
//     own HOOKS and CONFIG types (webhook.*, workflow.triggered,
//     replay.requested) are refused: only hookstream appends those, and an
//     inbound workflow.triggered would loop back out.
//   - Validation: data against the latest version of its type as the tenant
//     sees it (streams/schema, core types seeded by migrations/00002).
//     data must be JSON (no data_base64).
//   - Subjects: execution.*/step.* land on the EXEC stream,
//     exec.<tenantid>.<workflowid>.<type> (workflowid from the attribute or
//     data.workflowId); other types on HOOKS,
//     hooks.<tenantid>.<webhookid or _>.<type>.
//   - Identity: the stored event gets a new time-ordered hookstream id; its
//     source, subject and time are kept; priority defaults to 1 (normal).
//
// # Inbound invariants
//
//   - Each event is appended with Nats-Msg-Id = the SQS message id, so a
//     message received again (a crash between the PubAck and the delete, a
//     visibility timeout) within JetStream's duplicate window (10 min) is a
//     duplicate, not a second event; it is then deleted.
//   - DeleteMessageBatch only after the PubAck.
//   - An invalid message (not JSON, a bad envelope, an unknown tenant or
//     type, a reserved type, a schema violation, too large) is not
//     deleted: it reappears after its visibility timeout and the queue's
//     redrive policy moves it to its DLQ after maxReceiveCount receives. It
//     is counted (hookstream_sqsbridge_inbound_invalid_total{reason}),
//     logged with its message id and receive count, and never blocks the
//     messages behind it: the messages of a receive are handled
//     concurrently. A queue without a redrive policy keeps such a message
//     forever: configure one.
//   - A transient failure (JetStream or the type registry unreachable) is
//     retried in-process with backoff while the message's visibility is
//     extended (ChangeMessageVisibilityBatch every 10 s), so a slow append
//     does not hand the message to another node nor count toward the DLQ.
//
// # Status
//
// Bridge.Status is GET /api/v1/bridge; Bridge.Health the /readyz?verbose
// component (not required for readiness: ingest does not depend on SQS; it
// reports an error while a direction's last error is newer than its last
// success); metrics hookstream_sqsbridge_*. Without configuration the bridge
// is off, Status says why and Start logs "sqs bridge off" once.
//
// # Tests
//
// Against a real SQS-compatible server over HTTP: fauxqs 1.9.2 (npm,
// testdata/sqs), run by sqsbridge/sqstest. Its FIFO deduplication and DLQ
// redrive are pinned by sqstest.TestServerBehaviour.
package sqsbridge
