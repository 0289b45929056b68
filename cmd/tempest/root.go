package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/workflows"
)

// globalFlags are shared by every command that talks to Temporal.
type globalFlags struct {
	address    string
	namespace  string
	taskQueue  string
	stateDir   string
	uiPort     int
	port       int
	kubeconfig string
	cluster    identityFlag
	host       identityFlag
	// defaultHost: the worker also runs the activities of the task queue
	// itself (faults that name no host: or cluster:, probes, load).
	defaultHost bool
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "tempest",
		Short:         "Chaos experiments as durable Temporal workflows",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.address, "address", os.Getenv("TEMPORAL_ADDRESS"), "Temporal frontend host:port (default $TEMPORAL_ADDRESS; empty: an embedded dev server)")
	pf.StringVar(&g.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	pf.StringVar(&g.taskQueue, "task-queue", workflows.DefaultTaskQueue, "task queue of the Tempest workers")
	pf.StringVar(&g.stateDir, "state-dir", defaultStateDir(), "where the embedded server keeps its SQLite history")
	pf.IntVar(&g.port, "port", 7233, "frontend port of the embedded Temporal server on 127.0.0.1")
	pf.IntVar(&g.uiPort, "ui-port", 8233, "port of the embedded Temporal Web UI on 127.0.0.1")
	pf.StringVar(&g.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster whose faults this process's worker runs (enables the Kubernetes kinds; unset in a pod: the pod's ServiceAccount)")
	g.cluster.name, g.host.name = "cluster", "host"
	pf.Var(&g.cluster, "cluster", "cluster name of this process's worker (default \"default\" with a kubeconfig): it polls task queue <task-queue>@<cluster>, where faults and probes naming that cluster, and the inject and revert of every target it selected, run")
	pf.Var(&g.host, "host", "host name of this process's worker (default: the machine's): it polls <task-queue>@host:<host>, where faults naming host: <host>, and the inject and revert of every process target it selected, run")
	pf.BoolVar(&g.defaultHost, "default-host", true, "the worker also runs the activities of <task-queue> itself: target selection for faults that name no host: or cluster:, probes and load (set false on all but one worker per task queue when several hosts run workers)")
	root.AddCommand(
		newRunCommand(g),
		newValidateCommand(),
		newStatusCommand(g),
		newAbortCommand(g),
		newWorkerCommand(g),
		newDevCommand(g),
		newCleanupCommand(g),
	)
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// defaultStateDir is $XDG_STATE_HOME/tempest or ~/.local/state/tempest.
func defaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "tempest")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "tempest")
	}
	return ".tempest"
}
