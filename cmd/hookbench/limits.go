package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers/verify"
)

// echoLimit is the first limit: an Echo server that reads a POST body
// through http.MaxBytesReader, verifies its signature with handlers/verify
// and answers 202 with a fresh event id, storing nothing. It runs in the
// bench process on a loopback port and is driven by the same generator.
type echoLimit struct {
	srv *http.Server
	URL string
}

func startEchoLimit(t Target) (*echoLimit, error) {
	creds := verify.Credentials{Secrets: [][]byte{t.Secret}, HMAC: t.HMAC}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/webhooks/:path", func(c echo.Context) error {
		r := c.Request()
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, 1<<20))
		if err != nil {
			return c.NoContent(http.StatusRequestEntityTooLarge)
		}
		if err := verify.Verify(t.Scheme, creds, verify.Request{Header: r.Header, Body: body}); err != nil {
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.JSON(http.StatusAccepted, ingestAnswer{EventID: eventstore.NewID()})
	})
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("echo limit: %w", err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &echoLimit{srv: srv, URL: "http://" + ln.Addr().String() + "/api/v1/webhooks/limit"}, nil
}

func (l *echoLimit) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}

// jsLimit is the second limit: a bare JetStream publish into a stream
// configured exactly like HOOKS (eventstore.Open on a fresh embedded
// nats-server with SyncAlways, in-process connection like the server's),
// of a prebuilt webhook.received envelope carrying a 1 KB body.
type jsLimit struct {
	emb     *eventstore.Embedded
	nc      *nats.Conn
	js      jetstream.JetStream
	store   *eventstore.Store
	event   hookstream.Event
	subject string
	payload []byte
}

func startJSLimit(ctx context.Context, dir string, bodySize int) (*jsLimit, error) {
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	l := &jsLimit{emb: emb}
	if l.nc, err = emb.Connect("hookbench-limit"); err != nil {
		l.Stop()
		return nil, err
	}
	if l.store, err = eventstore.Open(ctx, l.nc, eventstore.Config{}); err != nil {
		l.Stop()
		return nil, err
	}
	if l.js, err = jetstream.New(l.nc); err != nil {
		l.Stop()
		return nil, err
	}
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID, ev.WebhookID = eventstore.NewID(), eventstore.NewID()
	body := benchBody("evt_limit", bodySize)
	data, err := json.Marshal(hookstream.ReceivedData{
		Method: http.MethodPost, Path: "/api/v1/webhooks/limit", ContentType: "application/json",
		Headers:   map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {"hookbench/1"}, "X-Hub-Signature-256": {"sha256=" + strings.Repeat("0", 64)}},
		Body:      body,
		BodyBytes: len(body),
		Auth:      hookstream.AuthResult{Type: "signature", Scheme: verify.SchemeGitHub, Verified: true},
		Metadata:  map[string]any{"sourceIp": "127.0.0.1", "bodyBytes": len(body)},
	})
	if err != nil {
		l.Stop()
		return nil, err
	}
	ev.Data = data
	if l.payload, err = json.Marshal(ev); err != nil {
		l.Stop()
		return nil, err
	}
	l.subject = eventstore.Subject(ev)
	l.event = *ev
	return l, nil
}

// PayloadSize is the stored message's size.
func (l *jsLimit) PayloadSize() int { return len(l.payload) }

func (l *jsLimit) Stop() {
	if l.nc != nil {
		l.nc.Close()
	}
	l.emb.Shutdown()
}

// publishOp publishes one message and waits for its PubAck.
func (l *jsLimit) publishOp() opFunc {
	return func(ctx context.Context) outcome {
		msg := nats.NewMsg(l.subject)
		msg.Data = l.payload
		msg.Header.Set(jetstream.MsgIDHeader, nuid.Next())
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := l.js.PublishMsg(ctx, msg); err != nil {
			return outcome{err: err}
		}
		return outcome{status: http.StatusOK}
	}
}

// batchAck is the PubAck of an atomic batch's commit.
type batchAck struct {
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"`
	Count  int    `json:"count"`
	Error  *struct {
		Code        int    `json:"code"`
		ErrCode     int    `json:"err_code"`
		Description string `json:"description"`
	} `json:"error"`
}

// batchOp publishes one atomic batch of size messages (headers
// Nats-Batch-Id / -Sequence / -Commit, SPEC §2): the first size-1 without a
// reply, the commit as a request whose PubAck (after the flush) is the
// durability ack of the whole batch.
func (l *jsLimit) batchOp(size int) opFunc {
	return func(ctx context.Context) outcome {
		id := nuid.Next()
		for i := 1; i <= size; i++ {
			msg := nats.NewMsg(l.subject)
			msg.Data = l.payload
			msg.Header.Set(jetstream.MsgIDHeader, nuid.Next())
			msg.Header.Set("Nats-Batch-Id", id)
			msg.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i))
			if i < size {
				if err := l.nc.PublishMsg(msg); err != nil {
					return outcome{err: err}
				}
				continue
			}
			msg.Header.Set("Nats-Batch-Commit", "1")
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			reply, err := l.nc.RequestMsgWithContext(rctx, msg)
			cancel()
			if err != nil {
				return outcome{err: err}
			}
			var ack batchAck
			if err := json.Unmarshal(reply.Data, &ack); err != nil {
				return outcome{err: fmt.Errorf("batch ack: %w", err)}
			}
			if ack.Error != nil {
				return outcome{err: errors.New("batch ack: " + ack.Error.Description)}
			}
			if ack.Count != size {
				return outcome{err: fmt.Errorf("batch ack counts %d messages, sent %d", ack.Count, size)}
			}
		}
		return outcome{status: http.StatusOK, count: size}
	}
}

// batcher starts an eventstore.Batcher (issue 3's group commit, default
// configuration) on the limit's store.
func (l *jsLimit) batcher(ctx context.Context) (*eventstore.Batcher, error) {
	bt := eventstore.NewBatcher(l.store, eventstore.BatcherConfig{})
	if err := bt.Start(ctx); err != nil {
		return nil, err
	}
	return bt, nil
}

// batcherOp appends the envelope (a fresh id each time) through bt.
func (l *jsLimit) batcherOp(bt *eventstore.Batcher) opFunc {
	return func(ctx context.Context) outcome {
		ev := l.event
		ev.ID = eventstore.NewID()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := bt.Append(ctx, &ev, eventstore.AppendOptions{}); err != nil {
			return outcome{err: err}
		}
		return outcome{status: http.StatusOK}
	}
}
