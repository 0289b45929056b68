package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/broker"
)

// defaultStateDir is $TEMPEST_STATE/orderdelivery, or .tempest/orderdelivery:
// the process fault's restart command runs with the worker's environment,
// so it finds the demo's brokers without a flag.
func defaultStateDir() string {
	if s := os.Getenv("TEMPEST_STATE"); s != "" {
		return filepath.Join(s, "orderdelivery")
	}
	return filepath.Join(".tempest", "orderdelivery")
}

func brokerCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("broker: want up, restart, down or leader")
	}
	fs := flag.NewFlagSet("broker "+args[0], flag.ContinueOnError)
	state := fs.String("state", filepath.Join(defaultStateDir(), "broker"), "state dir of the cluster")
	nodes := fs.Int("nodes", 1, "number of nodes (up)")
	basePort := fs.Int("base-port", 5672, "AMQP port of node 1 (up)")
	epmdPort := fs.Int("epmd-port", 4369, "port of the cluster's epmd (up)")
	prefix := fs.String("name-prefix", "rabbit", "node names are <prefix><i>@localhost (up)")
	queue := fs.String("queue", "", "quorum queue whose leader is tracked in leader.pid (up)")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on starting nodes")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	switch args[0] {
	case "up":
		c, err := broker.New(broker.Config{StateDir: *state, Nodes: *nodes, BasePort: *basePort, EPMDPort: *epmdPort, NamePrefix: *prefix, Queue: *queue})
		if err != nil {
			return err
		}
		start := time.Now()
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Printf("RabbitMQ up in %v: %s\n", time.Since(start).Round(time.Millisecond), c)
		return nil
	case "restart":
		c, err := broker.Load(*state)
		if err != nil {
			return err
		}
		restarted, err := c.RestartDown(ctx)
		fmt.Printf("restarted nodes %v\n", restarted)
		return err
	case "down":
		c, err := broker.Load(*state)
		if err != nil {
			return err
		}
		return c.Stop(10 * time.Second)
	case "leader":
		c, err := broker.Load(*state)
		if err != nil {
			return err
		}
		n, err := c.Leader(ctx)
		if err != nil {
			return err
		}
		fmt.Println(c.Config().NodeName(n))
		return nil
	default:
		return fmt.Errorf("broker: unknown subcommand %q", args[0])
	}
}
