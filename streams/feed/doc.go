// Package feed is the live feed (SPEC §6): the tenant's events streamed over
// WebSocket as they are appended.
//
// # Fan-out
//
// A node follows HOOKS and EXEC with one ordered (ephemeral, unacknowledged)
// consumer per stream, started at the streams' heads, and fans each event out
// to the node's clients: the cost on NATS is two consumers per node, however
// many clients connect. The consumer's callback never blocks: each client has
// a bounded queue (QueueSize, default 256 messages); a client whose queue is
// full is marked slow and closed with 1008 (policy violation), and the other
// clients are not slowed. Events of tenants without a client are not decoded.
// Only the types of SPEC §6 are streamed: webhook.*, execution.*, step.* and
// replay.* (not workflow.triggered; configuration events are in CONFIG).
// Bodies are masked by the webhook's maskPaths before they leave (SPEC §3.6).
//
// # Messages and cursors
//
// Each message is {"seq":n,"stream":"HOOKS"|"EXEC","event":{…CloudEvents
// structured JSON…}}. seq is an opaque cursor, not the raw stream sequence:
// the raw global sequence would tell a tenant how much the whole system
// appended between two of its events (another tenant's traffic). The
// position (stream bit, 51-bit sequence) is permuted by an 8-round keyed
// Feistel network over 52 bits, so seq is a JavaScript-safe integer that
// round-trips through ?since= and reveals nothing. The key (32 random bytes)
// is created once per cluster in the KV bucket feed_keys (create-if-absent,
// so every node and every restart uses the same one). A cursor whose event
// is another tenant's is refused like a malformed one.
//
// # Resume
//
// ?since=<seq> first subscribes to the live fan-out (so nothing appended
// from then on is missed), then reads the tenant's events from the streams:
// the cursor's own stream from the next sequence exactly, the other stream
// from ResumeSkew (10 s) before the cursor's event time, because a cursor
// names one stream's position only. Live messages already sent by the read
// are dropped by sequence. So a resume never skips an event; it may repeat
// events of the other stream from the skew window, which clients drop by
// event id (the dashboard and `events tail` do). A cursor whose event is
// no longer stored (past retention) closes with 1008 and the reason
// "reconnect without since".
//
// # Tickets
//
// POST /api/v1/ws-ticket issues a 32-byte random ticket valid for 60 s and
// stores its SHA-256 (never the ticket itself) with the caller's tenant,
// token id and role in the KV bucket feed_tickets. Redeeming reads the entry
// and deletes it with the revision it read (compare-and-delete), so of two
// nodes redeeming one ticket at once exactly one succeeds. The bucket's TTL
// sweeps unredeemed tickets; expiry itself is checked on redemption.
package feed
