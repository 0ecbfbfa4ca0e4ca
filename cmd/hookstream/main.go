// Command hookstream is the webhook and events engine: `serve` runs the
// server; the other subcommands administer a data directory or talk to a
// running server's API. `hookstream help` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hookstream — webhook and events engine

Usage:
  hookstream serve [flags]                     run the server (see serve --help)
  hookstream migrate                           apply database migrations
  hookstream tenants create --name N           create a tenant, print {"tenantId","token"}
  hookstream tokens create --tenant ID --role admin|analyst|viewer
  hookstream projections status|rebuild NAME   projection lag, rebuild a read model
  hookstream replay ...                        replay events through the API
  hookstream events tail ...                   print events as they arrive
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "hookstream:", err)
		os.Exit(1)
	}
}

// run dispatches a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	if sub, ok := subcommands[cmd]; ok {
		return sub(ctx, rest, stdout, stderr)
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// subcommands maps names to their implementations; files add to it in init.
var subcommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"serve": runServe,
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("serve", args, nil)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return err
	}
	m := NewMain(cfg, stdout, stderr)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	go func() {
		select {
		case <-m.pgReady:
			m.Banner()
		case <-ctx.Done():
		}
	}()
	<-ctx.Done()
	m.Close()
	return nil
}
