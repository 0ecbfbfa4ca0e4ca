// Package verify implements the signature schemes a webhook can be
// authenticated with (SPEC §3.2): the generic "hmac" scheme, Standard Webhooks
// (v1 HMAC and v1a Ed25519), GitHub, Stripe, Shopify and Slack. It both signs
// (for the test console and the load generator) and verifies (for ingest),
// and it also finds a request's delivery id for deduplication (SPEC §3.4) and
// parses HTTP Basic credentials.
//
// Everything here is a pure function: no I/O, no logging, no global state
// apart from crypto/rand in [GenerateSecret].
//
// Invariants:
//
//   - Signatures are computed over the raw request body bytes, exactly as
//     received; callers must verify before parsing or decoding the body.
//   - Signatures are compared in constant time (hmac.Equal / ed25519.Verify).
//   - At most [MaxSignatures] signatures are read from one header; the rest
//     are ignored. Entries of an unknown version (Stripe "v0", Standard
//     Webhooks "v2", ...) are skipped and do not make a request fail.
//   - Any listed signature that matches any of the credentials' secrets (the
//     current one and, during rotation, the grace one) passes.
//   - Timestamps are Unix seconds; a timestamp more than the tolerance old or
//     ahead of [Request.Now] fails with [ErrStale].
//   - [Verify] never panics, whatever the request holds, and its errors never
//     quote header values or secrets, so they are safe to log and to record
//     in webhook.rejected events.
package verify
