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
package eventstore
