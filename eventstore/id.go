package eventstore

import "github.com/google/uuid"

// NewID returns a time-ordered unique id (UUIDv7) for events and resources.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
