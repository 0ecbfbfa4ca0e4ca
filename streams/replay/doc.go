// Package replay replays deliveries: one event at a time (with an optional
// edited body) and in batch jobs that re-read the HOOKS stream (SPEC §7).
//
// A replay is a stream re-read, never a Postgres read: the delivery log is
// used only to find where an event is (its stream sequence) and, for a
// status filter, which events match; the payload comes from the stream.
//
// # Invariants
//
//   - A replay appends a new webhook.received (new id, same tenant, webhook
//     and priority, replayof = the root delivery, replaycount = n) and then a
//     replay.requested event (actor, reason, original, root, new, modified,
//     replayCount). The pipeline consumes every webhook.received, so a replay
//     is filtered and processed again like a delivery.
//   - Replays of replays count against the same root. n is the number of
//     replays of the root so far, this one included, and never exceeds the
//     tenant's MaxReplays (hard cap 10): past it a single replay answers 409
//     and a job counts the event as skipped.
//   - The counter is a JetStream KV entry per root (bucket replay_counters,
//     key <tenantId>.<rootId>) incremented with compare-and-set on its
//     revision. Why KV and not a Postgres row lock: the stream is the source
//     of truth and every read model can be dropped and rebuilt; a counter in
//     a read-model table would be lost (and the bound reset) by a rebuild,
//     and the KV lives next to the events it guards, in the same cluster,
//     with the same replication. CAS makes it race-safe across goroutines
//     and nodes. The slot is reserved before the append and given back when
//     the append fails or turns out to be a duplicate; a crash between the
//     reservation and the append loses one slot (the bound errs on the safe
//     side: it may under-count, it never exceeds).
//   - A replay skips authentication (auth is kept as verified at ingest) and
//     deduplication (its Nats-Msg-Id is its own new id), but an edited body
//     is validated when the webhook's schemaMode is enforce (422).
//   - Only accepted deliveries replay (webhook.rejected → 422); events older
//     than the tenant's retention, or already expired from the stream,
//     answer 410.
//
// # Batch jobs
//
// A job selects events either by ids or a status filter (matched in the
// delivery log into the job's id set), or by webhook and time range alone
// (matched in the stream by a headers-only scan of
// hooks.<tenant>.<webhook|*>.webhook.received from the start time). Its
// range [start_seq, stop_seq] is fixed at creation, so the job's own
// replays (appended after stop_seq) are never replayed again.
//
// Jobs run on one node at a time: a node claims a job with a Postgres row
// lease (FOR UPDATE SKIP LOCKED, lease_until) and renews it with every
// progress save. The job re-reads its range with an ordered consumer,
// rate-limited (x/time/rate), with a few replays in flight; position is the
// watermark below which every event is handled, persisted with the
// counters about once a second. After a restart the job resumes at
// position+1. Every replay of a job is idempotent: its Nats-Msg-Id is
// hash(jobId, originalEventId) (and likewise for its replay.requested), so
// an event replayed after the last position save is recognised by the
// duplicate window and not replayed twice. That protection lasts as long as
// the stream's duplicate window (HOOKSTREAM_DUPLICATE_WINDOW, default
// 10 min): a job interrupted and resumed more than that later may replay
// again the at most ~1 s of events handled after its last position save.
package replay
