// Package webhooks holds the webhook configuration that ingest runs on: the
// source of truth in a JetStream KV bucket, the config events that record
// every change, and the in-memory Registry every node keeps current from the
// bucket, so that ingest never touches PostgreSQL (SPEC §1, §3.6).
//
// # Storage
//
// Bucket BucketDefault ("webhooks") holds, per webhook:
//
//	wh.<tenantId>.<webhookId>    Record: the webhook (no secret material), its
//	                             secrets SEALED with the master key (additional
//	                             data = webhook id) and, when it names an event
//	                             type, a copy of that type's schema
//	path.<path>                  "<tenantId>.<webhookId>": created with an atomic
//	                             KV Create, which makes paths unique across nodes
//	tests.<tenantId>.<webhookId> the last TestsKept test-console runs
//
// # Invariants
//
//   - Every change is a KV write followed by a config event on stream CONFIG
//     (webhook.created|updated|deleted|secret_rotated). Events carry the
//     Record, whose secrets are sealed: a secret never appears in clear in an
//     event, a log or a KV value.
//   - A Record is written with optimistic concurrency (KV Update with the
//     revision read), so concurrent edits on two nodes never lose one.
//   - The Registry loads every Record before it reports ready, then follows
//     the bucket with a KV watcher: a change made on one node is in force on
//     every node as soon as the watcher delivers it (milliseconds). Each
//     cache entry holds everything ingest needs already compiled: opened
//     secrets, CIDRs, the event-type schema validator, mask paths, metadata
//     rules and the rate limiter.
//   - The schema is copied into the Record when the webhook is saved (from
//     the event-type registry in PostgreSQL), so enforcing it at ingest needs
//     no PostgreSQL; a later new version of the type takes effect when the
//     webhook is saved again.
package webhooks
