package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream/streams/sqsbridge"
)

// BridgeStatusSource reports the SQS bridge's state: *sqsbridge.Bridge.
type BridgeStatusSource interface {
	Status(ctx context.Context) sqsbridge.Status
}

var _ BridgeStatusSource = (*sqsbridge.Bridge)(nil)

// Bridge is the Module of GET /api/v1/bridge (SPEC §8): the SQS bridge's
// queues, counts, last success and last error. The bridge is the node's,
// not a tenant's, and its state holds no tenant data, so every role reads
// it.
type Bridge struct {
	src BridgeStatusSource
}

// NewBridge returns the bridge status module.
func NewBridge(src BridgeStatusSource) *Bridge { return &Bridge{src: src} }

// Register implements Module.
func (m *Bridge) Register(r *Routes) {
	r.API.GET("/bridge", m.get)
}

func (m *Bridge) get(c echo.Context) error {
	return c.JSON(http.StatusOK, m.src.Status(c.Request().Context()))
}
