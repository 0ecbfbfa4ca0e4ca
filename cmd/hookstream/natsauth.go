package main

import (
	"path/filepath"

	"github.com/hookstream/hookstream/eventstore"
)

// natsListenerAuth gives the embedded server a user when it listens on the
// network (HOOKSTREAM_NATS_LISTEN): the user nkey seed generated once into
// <data-dir>/nats-user.nk (mode 0600). Anonymous clients are refused; the
// in-process connection authenticates with the same seed. An external
// client connects with `nats --server nats://HOST:PORT --nkey
// <data-dir>/nats-user.nk …` (README, "Cluster mode").
func (m *Main) natsListenerAuth(ec *eventstore.EmbeddedConfig) error {
	if ec.Listen == "" {
		return nil
	}
	seed, err := eventstore.LoadOrCreateNKeySeed(filepath.Join(m.Config.DataDir, eventstore.NKeySeedFile))
	if err != nil {
		return err
	}
	ec.NKeySeed = seed
	return nil
}
