// Package hookstream is the vocabulary every other package shares: webhooks and
// their authentication, priorities, tenants and roles, the CloudEvents envelope
// that is stored in JetStream, and the one application error type.
//
// It imports only the standard library and nothing of ours (see STYLE.md §1).
package hookstream
