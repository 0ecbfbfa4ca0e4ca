package tmpdeps

import (
	_ "github.com/aws/aws-sdk-go-v2/service/sqs"
	_ "github.com/coder/websocket"
	_ "github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/labstack/echo/v4"
	_ "github.com/maxmind/mmdbwriter"
	_ "github.com/medama-io/go-useragent"
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/oschwald/maxminddb-golang/v2"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/stretchr/testify/require"
	_ "github.com/theory/jsonpath"
	_ "go.uber.org/goleak"
	_ "golang.org/x/time/rate"
)
