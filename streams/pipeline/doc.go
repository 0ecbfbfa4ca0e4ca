// Package pipeline is the reactor between "received" and "triggered"
// (SPEC §4): a durable JetStream consumer of webhook.received (replays
// included) that decides, per event, filter → schema → trigger, and appends
// what it decided to the HOOKS stream:
//
//	rule set does not match  → webhook.filtered {eventId, reason, rule}
//	match, workflow named    → workflow.triggered {executionId, workflowId, nodeId,
//	                           trigger{headers, query, body, metadata, eventId, webhookId}, priority}
//	                           then webhook.processed {eventId, executionId, workflowId, schemaErrors?}
//	match, no workflow       → webhook.processed {eventId, schemaErrors?} (nothing to trigger)
//	anything unexpected      → webhook.failed {eventId, error}
//	webhook not in registry  → webhook.failed {eventId, error: "webhook deleted"}
//
// The delivery-log projection reads these by shape: data.eventId names the
// received event, webhook.filtered carries data.reason.
//
// # Invariants
//
//   - An event is acked only after every event derived from it has its
//     PubAck. A crash in between redelivers it.
//   - Derived events use deterministic Nats-Msg-Ids, "<received id>:<type>"
//     (MsgID), so a redelivered received event never appends a second
//     derived event inside the stream's duplicate window. A redelivery that
//     finds workflow.triggered already stored reads it back and reuses its
//     executionId, so webhook.processed always names the stored execution.
//   - Every derived event carries the received event's tenantid, webhookid,
//     priority, replaycount and replayof; workflowid is the received event's
//     (a replay may name another workflow) or else the webhook's.
//   - Transient failures (PostgreSQL unreachable, JetStream without PubAck)
//     never become webhook.failed: the event stays unacked, the pipeline
//     retries it in-process with exponential backoff (RetryMin … RetryMax)
//     and keeps its ack deadline alive with InProgress, so no delivery is
//     spent on an outage. On Stop the events in hand are nak'd.
//   - Permanent failures (malformed data, a deleted webhook, a stored rule
//     set that does not compile, an event too large to derive) become
//     webhook.failed and the event is acked.
//
// # Decided at ingest
//
// A webhook that triggers no workflow and does not validate in warn mode
// has nothing left to decide asynchronously: its filter rules cost about a
// microsecond. Ingest then takes the decision itself with a Decider (a
// node-local cache of every compiled rule set, refreshed by polling the
// rule set versions every 500 ms, and invalidated at once by this node's
// filters API) and records it on webhook.received: the extension attribute
// outcome (ce-outcome) is "processed" or "filtered", and the data carries
// filteredReason (the same reason webhook.filtered would carry). Such a
// delivery is one message in the stream instead of two: the pipeline acks
// it without appending anything, and the delivery log writes its row in
// its final status (processed_at = received time). Everything else — a
// workflow to trigger (workflow.triggered and webhook.processed with the
// execution), warn-mode schema errors, failures (webhook.failed), replays —
// is decided here as before. Ingest leaves the decision to the pipeline
// whenever its cache is not known to be current (never loaded, last poll
// older than three intervals — PostgreSQL down —, or a rule set just
// changed through this node) or the stored rule set does not compile. A
// rule set changed through another node applies to this node's ingest
// within one poll interval. HOOKSTREAM_INGEST_DECIDE=off restores "every
// decision in the pipeline".
//
// # Filter cache
//
// Compiled rule sets are cached in memory per webhook, keyed by the rule
// set's version (webhook_filters.updated_at, set by every PUT). Before each
// batch the pipeline reads the versions of the batch's webhooks in one
// indexed query and recompiles only the rule sets that changed, so a new
// rule set applies from the next batch on, on every node, with no extra
// messaging.
//
// When PostgreSQL is down that query fails. The pipeline then keeps
// deciding the events of webhooks whose rule set it has cached (including
// "has none"): those are the versions last confirmed, and a rule set cannot
// change while PostgreSQL is down because the API writes it there first.
// Events of other webhooks are not acked: they wait, with backoff, for
// PostgreSQL to return. The same holds for schema validation in warn mode
// when the type's version is not cached yet.
//
// # Schemas
//
// When a webhook names an event type with schemaMode "warn", the payload is
// triggered but flagged: webhook.processed carries schemaErrors, taken from
// the received event (ingest recorded them) or, when it has none, from
// validating the body here. schemaMode "enforce" was applied at ingest (422);
// "off" skips validation. Validators come from Schemas, which compiles each
// tenant/type/version once (versions are immutable).
package pipeline
