package eventstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// NKeySeedFile is the file, in the data directory, holding the seed of the
// one NATS user an embedded server's network listener accepts.
const NKeySeedFile = "nats-user.nk"

// LoadOrCreateNKeySeed returns the user nkey seed stored at path, creating
// it (mode 0600, directory 0700) when the file does not exist. The seed is
// a secret: whoever holds it may publish into every stream.
func LoadOrCreateNKeySeed(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		seed := bytes.TrimSpace(raw)
		if _, err := nkeys.FromSeed(seed); err != nil {
			return nil, fmt.Errorf("nkey seed %s: %w", path, err)
		}
		return seed, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read nkey seed: %w", err)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("create nkey: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("nkey seed: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create nkey dir: %w", err)
	}
	if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write nkey seed: %w", err)
	}
	return seed, nil
}

// NKeyPublic returns the public user key of a seed.
func NKeyPublic(seed []byte) (string, error) {
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return "", fmt.Errorf("nkey seed: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("nkey public key: %w", err)
	}
	return pub, nil
}

// NKeyOption authenticates a client connection with a user nkey seed.
func NKeyOption(seed []byte) (nats.Option, error) {
	pub, err := NKeyPublic(seed)
	if err != nil {
		return nil, err
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("nkey seed: %w", err)
	}
	return nats.Nkey(pub, kp.Sign), nil
}

// CredsOption authenticates a client with a credentials file: a NATS
// .creds file (user JWT and seed, decentralised auth) or a bare user nkey
// seed such as an embedded server's NKeySeedFile.
func CredsOption(path string) (nats.Option, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read NATS credentials: %w", err)
	}
	if bytes.Contains(raw, []byte("BEGIN NATS USER JWT")) {
		return nats.UserCredentials(path), nil
	}
	opt, err := NKeyOption(bytes.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("NATS credentials %s: neither a .creds file nor a user nkey seed: %w", path, err)
	}
	return opt, nil
}
