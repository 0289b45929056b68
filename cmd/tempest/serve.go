package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tempest-chaos/tempest/worker"
)

func newWorkerCommand(g *globalFlags) *cobra.Command {
	var protected []string
	var stateDir string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a Tempest worker against a Temporal cluster (--address)",
		Example: `  tempest worker --address 127.0.0.1:7233                       # for a tempest dev --no-worker
  tempest worker --address temporal.example:7233 --namespace chaos
  tempest worker --address temporal.example:7233 --kubeconfig ~/.kube/config --cluster west
  tempest worker --address temporal.example:7233 --host db-1 --default-host=false   # process faults naming host: db-1`,
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
			return serveWorker(ctx, sess.client, g, worker.Config{ProtectedNamespaces: protected, StateDir: stateDir}, cmd)
		},
	}
	cmd.Flags().StringSliceVar(&protected, "protected-namespace", nil, "more Kubernetes namespaces to protect (e.g. the worker's own)")
	workerStateDirFlag(cmd, &stateDir)
	addMetricsFlag(cmd)
	return cmd
}

func newDevCommand(g *globalFlags) *cobra.Command {
	var stateDir string
	var noWorker bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the embedded Temporal server, its Web UI and a worker in the foreground",
		Long: "Runs the embedded Temporal server (history in --state-dir), its Web UI and a worker in the\n" +
			"foreground, and prints a line when an experiment starts on it and one with its verdict.\n" +
			"The server's and the SDK's logs are shown from --log-level (default warn).",
		Example: `  tempest dev
  tempest dev --port 7300 --ui-port 8300 --state-dir /tmp/tempest   # a second one beside the first
  tempest dev --no-worker            # workers run as tempest worker --address 127.0.0.1:7233
  tempest dev --log-level info       # the server's info logs too`,
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
			go newExperimentWatch(sess.client, g.namespace, sess.uiBase, cmd.ErrOrStderr()).run(ctx, devWatchInterval)
			if noWorker {
				fmt.Fprintf(cmd.ErrOrStderr(), "no worker in this process: run `tempest worker --address %s`\n", localFrontend(g))
				<-ctx.Done()
				return nil
			}
			return serveWorker(ctx, sess.client, g, worker.Config{StateDir: stateDir}, cmd)
		},
	}
	workerStateDirFlag(cmd, &stateDir)
	cmd.Flags().BoolVar(&noWorker, "no-worker", false, "run the server and UI alone; workers run as their own processes (tempest worker)")
	addMetricsFlag(cmd)
	return cmd
}

// devWatchInterval is how often `tempest dev` looks for experiments
// started and ended.
const devWatchInterval = time.Second

// workerStateDirFlag is where a worker keeps its ledger of injections and
// its revert fences; `tempest cleanup` reads the same directory.
func workerStateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "worker-state-dir", worker.DefaultStateDir(), "where the worker keeps its ledger of injections and revert fences (read by tempest cleanup)")
}

// serveWorker runs workers until ctx is done.
func serveWorker(ctx context.Context, c client.Client, g *globalFlags, cfg worker.Config, cmd *cobra.Command) error {
	cfg.TemporalAddress = g.address
	if cfg.TemporalAddress == "" {
		cfg.TemporalAddress = localFrontend(g)
	}
	c, cfg, stopMetrics, err := serveMetrics(cmd, c, g, cfg)
	if err != nil {
		return err
	}
	defer stopMetrics()
	stop, queues, err := startWorkers(c, g, cfg)
	if err != nil {
		return err
	}
	defer stop()
	for _, q := range queues {
		what := "activities"
		switch {
		case q.Workflows && q.Activities:
			what = "workflows and activities"
		case q.Workflows:
			what = "workflows"
		case q.Long:
			what = "long activities"
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "worker polling task queue %s (%s)\n", q.Name, what)
	}
	<-ctx.Done()
	return nil
}

// kubeNamespace is the namespace of the kubeconfig's current context (in
// a pod with no kubeconfig: the pod's own), where the worker keeps the
// revert fences of Kubernetes faults; "" when it cannot be read.
func kubeNamespace(kubeconfig string) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	ns, _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).Namespace()
	if err != nil {
		return ""
	}
	return ns
}
