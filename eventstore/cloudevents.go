package eventstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream"
)

// ContentMode is how an event is carried by the CloudEvents NATS protocol
// binding (SPEC §2).
type ContentMode string

// Content modes.
const (
	// ContentBinary puts every attribute in a ce-<name> header,
	// datacontenttype in Content-Type and the data alone in the payload
	// (the default): consumers route on headers and never parse an envelope.
	ContentBinary ContentMode = "binary"
	// ContentStructured puts the whole event as one JSON object in the
	// payload (what wave 1 wrote).
	ContentStructured ContentMode = "structured"
)

// CloudEvents NATS binding header names (binary content mode). The binding
// names headers "ce-" + the attribute name; NATS headers are
// case-sensitive, so readers look them up exactly as written here.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderSource      = "ce-source"
	HeaderType        = "ce-type"
	HeaderSubject     = "ce-subject"
	HeaderTime        = "ce-time"
	HeaderTenantID    = "ce-tenantid"
	HeaderWebhookID   = "ce-webhookid"
	HeaderWorkflowID  = "ce-workflowid"
	HeaderPriority    = "ce-priority"
	HeaderReplayCount = "ce-replaycount"
	HeaderReplayOf    = "ce-replayof"
	HeaderOutcome     = "ce-outcome"
	HeaderContentType = "Content-Type"
)

// setBinaryHeaders writes ev's attributes into h (binary content mode).
// Optional attributes are written only when set, as structured mode omits
// them; priority, replaycount and replayof are always written.
func setBinaryHeaders(h nats.Header, ev *hookstream.Event) {
	put := func(k, v string) { h[k] = []string{v} }
	put(HeaderSpecVersion, ev.SpecVersion)
	put(HeaderID, ev.ID)
	put(HeaderSource, ev.Source)
	put(HeaderType, ev.Type)
	if ev.Subject != "" {
		put(HeaderSubject, ev.Subject)
	}
	put(HeaderTime, ev.Time.UTC().Format(time.RFC3339Nano))
	if ev.DataContentType != "" {
		put(HeaderContentType, ev.DataContentType)
	}
	put(HeaderTenantID, ev.TenantID)
	if ev.WebhookID != "" {
		put(HeaderWebhookID, ev.WebhookID)
	}
	if ev.WorkflowID != "" {
		put(HeaderWorkflowID, ev.WorkflowID)
	}
	put(HeaderPriority, strconv.Itoa(int(ev.Priority)))
	put(HeaderReplayCount, strconv.Itoa(ev.ReplayCount))
	put(HeaderReplayOf, ev.ReplayOf)
	if ev.Outcome != "" {
		put(HeaderOutcome, ev.Outcome)
	}
}

// first returns the first value of key (exact, case-sensitive lookup).
func first(h nats.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// IsBinary reports whether a stored message is a binary-mode CloudEvent.
func IsBinary(h nats.Header) bool { return first(h, HeaderSpecVersion) != "" }

// EventID returns the id of a stored message in either content mode without
// decoding its data in binary mode.
func EventID(h nats.Header, data []byte) string {
	if IsBinary(h) {
		return first(h, HeaderID)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return ""
	}
	return ev.ID
}

// DecodeMsg returns the event of a stored message in either content mode:
// binary (ce- headers, data = payload) or structured (the JSON object).
// Readers accept both, so events stored before a change of mode stay
// readable. In binary mode the payload is not parsed: Data is the payload
// itself (not copied).
func DecodeMsg(h nats.Header, data []byte, stream string, seq uint64) (*hookstream.Event, error) {
	if !IsBinary(h) {
		return decode(data, stream, seq)
	}
	ev := &hookstream.Event{
		SpecVersion:     first(h, HeaderSpecVersion),
		ID:              first(h, HeaderID),
		Source:          first(h, HeaderSource),
		Type:            first(h, HeaderType),
		Subject:         first(h, HeaderSubject),
		DataContentType: first(h, HeaderContentType),
		TenantID:        first(h, HeaderTenantID),
		WebhookID:       first(h, HeaderWebhookID),
		WorkflowID:      first(h, HeaderWorkflowID),
		ReplayOf:        first(h, HeaderReplayOf),
		Outcome:         first(h, HeaderOutcome),
		Sequence:        seq,
		Stream:          stream,
	}
	if len(data) > 0 {
		ev.Data = data
	}
	var err error
	if ev.Time, err = time.Parse(time.RFC3339Nano, first(h, HeaderTime)); err != nil {
		return nil, fmt.Errorf("decode %s/%d: ce-time: %w", stream, seq, err)
	}
	if v := first(h, HeaderPriority); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("decode %s/%d: ce-priority: %w", stream, seq, err)
		}
		ev.Priority = hookstream.Priority(p)
	}
	if v := first(h, HeaderReplayCount); v != "" {
		if ev.ReplayCount, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("decode %s/%d: ce-replaycount: %w", stream, seq, err)
		}
	}
	if ev.ID == "" || ev.Type == "" {
		return nil, fmt.Errorf("decode %s/%d: binary event without ce-id or ce-type", stream, seq)
	}
	return ev, nil
}
