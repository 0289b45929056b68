package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

func newWorkerCommand(g *globalFlags) *cobra.Command {
	var protected []string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a Tempest worker against a Temporal cluster (--address)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.address == "" {
				return &exitError{code: exitErrored, err: fmt.Errorf("--address (or TEMPORAL_ADDRESS) is required; for a local setup use `tempest dev`")}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sess, err := connect(ctx, g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			if err := worker.EnsureSearchAttributes(ctx, sess.client, g.namespace); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "tempest: warning:", err)
			}
			return serveWorker(ctx, sess.client, g, worker.Config{ProtectedNamespaces: protected}, cmd)
		},
	}
	cmd.Flags().StringSliceVar(&protected, "protected-namespace", nil, "more Kubernetes namespaces to protect (e.g. the worker's own)")
	return cmd
}

func newDevCommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run the embedded Temporal server, its Web UI and a worker in the foreground",
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.address != "" {
				return &exitError{code: exitErrored, err: fmt.Errorf("dev starts its own server; drop --address")}
			}
			if reachable(localFrontend(g)) {
				return &exitError{code: exitErrored, err: fmt.Errorf("something already listens on %s (another tempest dev?)", localFrontend(g))}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sess, err := connect(ctx, g, false)
			if err != nil {
				return err
			}
			defer sess.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "Temporal frontend %s, namespace %s, task queue %s\nTemporal UI %s\nCtrl-C to stop.\n",
				localFrontend(g), g.namespace, g.taskQueue, sess.uiBase)
			return serveWorker(ctx, sess.client, g, worker.Config{}, cmd)
		},
	}
}

// serveWorker runs workers until ctx is done.
func serveWorker(ctx context.Context, c client.Client, g *globalFlags, cfg worker.Config, cmd *cobra.Command) error {
	stop, err := startWorkers(c, g, cfg)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(cmd.ErrOrStderr(), "worker polling task queue %s", g.taskQueue)
	if g.cluster != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), " and %s", workflows.ClusterTaskQueue(g.taskQueue, g.cluster))
	}
	fmt.Fprintln(cmd.ErrOrStderr())
	<-ctx.Done()
	return nil
}
