// Package runner runs workflows: a shared durable consumer of
// workflow.triggered (SPEC §6) that executes each workflow's steps (http,
// delay, log) and appends execution.* and step.* events to the EXEC stream
// (subject exec.<tenantId>.<workflowId>.<type>; the CloudEvents subject
// attribute is the execution id).
//
// # Invariants
//
//   - An execution's progress lives in the KV bucket RUNNER under its id:
//     current step, counted attempts, step outputs, next attempt time, and
//     an outbox of the events the last transition decided. Every transition
//     is a compare-and-set on the key's revision, so two workers (two
//     nodes, or a redelivery racing a slow worker) never both advance an
//     execution: the loser abandons the delivery.
//   - Events are written to the outbox before they are appended, and are
//     appended with deterministic Nats-Msg-Ids
//     (<exec>:started, <exec>:<step>:started:<attempt>,
//     <exec>:<step>:retrying:<attempt>, <exec>:<step>:circuit:<n>,
//     <exec>:<step>:completed, <exec>:<step>:failed, <exec>:completed,
//     <exec>:failed). A crash between the two re-appends the outbox on the
//     next delivery (within AckWait, well inside the stream's duplicate
//     window) and JetStream drops the repeat: a completed step is never
//     completed twice, an execution ends once.
//   - The outbox is cleared (another compare-and-set) before any wait, so an
//     old outbox is never re-appended after the duplicate window. An ended
//     execution keeps its last outbox: its trigger is acked at once, and
//     only a lost ack redelivers it, after AckWait.
//   - An attempt is recorded before its request is sent: a crash during a
//     request counts the attempt. The request may then reach the
//     destination twice (at least once); every attempt carries
//     Idempotency-Key: <executionId>-<stepIndex> so the destination can
//     drop repeats.
//   - The trigger message stays unacknowledged for the execution's whole
//     life and is acknowledged when it ends. A worker extends its ack
//     deadline (AckWait, default 15 s) with heartbeats; a crashed node's
//     executions are redelivered after AckWait and resume from their state
//     on any node.
//
// # Durable waits (retries, delay steps, open breakers)
//
// A waiting execution is not a sleeping goroutine: the worker records the
// next attempt time in the execution's state (and in the step.retrying or
// step.started event), then naks the trigger with that delay
// (NakWithDelay). JetStream keeps the schedule: after a restart the
// message is redelivered when it is due, and the state says what to do.
// A delivery that arrives early (a redelivery after a crash) naks again
// with what is left. Each wait is a delivery, so the lane consumers'
// MaxDeliver is large (100 000); the last delivery fails the execution.
// nats-server 2.15's message scheduling was the alternative; it would
// need a schedule stream per execution and gives nothing the nak does not.
//
// # Steps
//
//   - http: url, header values and body are text/template over
//     {.Event (id, type, time, webhookId, priority, executionId), .Body (the
//     delivery's body as a value), .Headers (first value per name),
//     .Metadata, .Steps (earlier steps' outputs: http {statusCode, headers,
//     body}, log {message}, delay {delayedMs})}, plus a json function. A 2xx
//     completes the step; 408, 425, 429, 5xx and network errors are retried
//     with full-jitter exponential backoff (Backoff), Retry-After honoured
//     up to maxIntervalMs; any other status fails the step at once. The
//     response body is kept up to 64 KiB.
//   - delay: durable; the resume time is recorded, a restart resumes with
//     what is left.
//   - log: the rendered message is the step's output (in step.completed).
//
// A failed step fails the execution (execution.failed); every failed
// execution is a dead letter (read model dead_letters), redriven by
// appending a new workflow.triggered with redriveOf.
//
// # Outbound safety
//
// Every connection is checked at dial time on the resolved address (Guard):
// loopback, private, link-local (169.254.169.254), CGNAT, multicast,
// unspecified, reserved and documentation ranges, IPv6 ULA/link-local/
// site-local, IPv4-mapped and NAT64 forms are refused unless
// HOOKSTREAM_OUTBOUND_ALLOW_CIDRS lets them through. Hosts written as
// decimal, octal or hex IPv4 (2130706433, 0177.0.0.1, 0x7f.1) are read as
// addresses, as inet_aton would. At most 3 redirects, each dialled (and so
// checked) again; no proxy from the environment; TLS verification on; a
// per-step timeout (timeoutMs, default 10 s). A refused destination fails
// the step without a retry.
//
// # Circuit breaker
//
// One breaker per (tenant, destination host) on each node (sony/gobreaker):
// it opens after failureThreshold consecutive failed attempts (default 5),
// lets one probe through after cooldownMs (default 30 s) and closes on its
// success. While it is open, steps for that host wait (step.retrying with
// reason circuit_open, not counted as an attempt). The threshold is that of
// the workflow making the attempt, the cool-down that of the first workflow
// to reach the host. State per host is
// exported as hookstream_runner_breaker_state and GET /api/v1/breakers.
//
// # Priority lanes
//
// Four lane consumers (runner-low, -normal, -high, -critical) each read
// every trigger and keep those of their priority: a critical trigger never
// waits behind a backlog of normal ones in the stream. The worker pool
// (Workers, default 64) is shared by stride scheduling with weights
// 8:4:2:1 (see scheduler): under saturation starts follow the weights,
// idle lanes lend their share, and low is always served in its turn.
//
// # SLA
//
// The time from receipt (the delivery's metadata.receivedAt) to
// execution.started is observed per priority
// (hookstream_runner_time_to_start_seconds); starts over the tenant's
// target count as breaches (hookstream_runner_sla_breaches_total).
package runner
