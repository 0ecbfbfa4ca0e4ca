package eventstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// getFromLeader reads seq through the stream leader's message API
// ($JS.API.STREAM.MSG.GET). Streams allow direct gets, which any replica
// answers, and a follower that has not applied an acknowledged message yet
// answers "not found": right after a PubAck (a duplicate's original, an
// earlier attempt of a retried append) only the leader is sure to have it.
func (s *Store) getFromLeader(ctx context.Context, stream string, seq uint64) (*hookstream.Event, error) {
	req, err := json.Marshal(struct {
		Seq uint64 `json:"seq"`
	}{seq})
	if err != nil {
		return nil, fmt.Errorf("get %s/%d: %w", stream, seq, err)
	}
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return nil, fmt.Errorf("get %s/%d: %w", stream, seq, translate(err))
	}
	var resp struct {
		Message *struct {
			Data []byte `json:"data"`
			Seq  uint64 `json:"seq"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, fmt.Errorf("get %s/%d: decode: %w", stream, seq, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("get %s/%d: %w", stream, seq, translate(resp.Error))
	}
	if resp.Message == nil {
		return nil, fmt.Errorf("get %s/%d: empty answer", stream, seq)
	}
	return decode(resp.Message.Data, stream, resp.Message.Seq)
}
