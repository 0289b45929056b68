package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderdelivery:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  orderdelivery serve --version v1|v2 [flags]       run one version's services
  orderdelivery broker up|restart|down|leader [flags] manage RabbitMQ nodes
  orderdelivery demo-env up|down [flags]             both versions side by side`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("missing command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:])
	case "broker":
		return brokerCmd(ctx, args[1:])
	case "demo-env":
		return demoEnvCmd(ctx, args[1:])
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
