package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tempest-chaos/tempest/temporalconn"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

// globalFlags are the flags of the commands. address, namespace and
// task-queue are on every command; the embedded server's (state-dir,
// port, ui-port) only on those that may start it (run, dev), and the
// worker's (kubeconfig, cluster, host, default-host) only on those that
// run one (run, dev, worker; cleanup reads the kubeconfig).
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
	// limits bound what the worker runs at once, per task queue
	// (--max-concurrent-*, --pollers).
	limits worker.Limits
	// logLevel is the level of the embedded server's and the SDK's logs
	// (--log-level).
	logLevel logLevelFlag

	// mayServe: the command running may start the embedded server (it
	// has the server flags); set before it runs.
	mayServe bool
	// notes receives what the command says about its connection (stderr).
	notes io.Writer

	// conn is the connection's security: TLS, API key, codec keys
	// (addConnectionFlags); connect loads it into connSettings.
	conn         temporalconn.Options
	connSettings *temporalconn.Settings
}

// annotationServes marks the commands that may start the embedded server.
const annotationServes = "tempest/serves"

func newRootCommand() *cobra.Command {
	g := &globalFlags{logLevel: logLevelFlag(slog.LevelWarn)}
	root := &cobra.Command{
		Use:           "tempest",
		Short:         "Chaos experiments as durable Temporal workflows",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			g.mayServe = cmd.Annotations[annotationServes] == "true"
			g.notes = cmd.ErrOrStderr()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.address, "address", os.Getenv("TEMPORAL_ADDRESS"), "Temporal frontend host:port (default $TEMPORAL_ADDRESS; empty: a tempest dev on 127.0.0.1:7233, or for run an embedded server)")
	pf.StringVar(&g.namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	pf.StringVar(&g.taskQueue, "task-queue", workflows.DefaultTaskQueue, "task queue of the Tempest workers")
	addConnectionFlags(root, &g.conn)

	run, dev, worker := newRunCommand(g), newDevCommand(g), newWorkerCommand(g)
	for _, cmd := range []*cobra.Command{run, dev} {
		addServerFlags(cmd, g)
	}
	for _, cmd := range []*cobra.Command{run, dev, worker} {
		addWorkerFlags(cmd, g)
		addLogLevelFlag(cmd, g)
	}
	cleanup := newCleanupCommand(g)
	cleanup.Flags().StringVar(&g.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster whose labelled objects to revert")
	defaultExample(cleanup, `  tempest cleanup                    # revert what ended runs left on this host (and, with --kubeconfig, in the cluster)
  tempest cleanup --run RUN-ID       # that run's faults, even while it runs; Temporal is not asked
  tempest cleanup --kubeconfig ~/.kube/config --address temporal.example:7233`)
	status := newStatusCommand(g)
	defaultExample(status, `  tempest status tempest-process-kill-1a2b3c4d
  tempest status -o json WORKFLOW-ID
  tempest status --address temporal.example:7233 --namespace chaos WORKFLOW-ID`)
	abort := newAbortCommand(g)
	defaultExample(abort, `  tempest abort tempest-process-kill-1a2b3c4d --reason "big red button"
  tempest abort WORKFLOW-ID --reason "checkout errors" --timeout 30s`)
	root.AddCommand(run, newValidateCommand(), status, abort, worker, dev, cleanup, newReportCommand(g), newVersionCommand(), newCodecServerCommand(g))
	root.AddCommand(newListCommand(g), newScheduleCommand(g))
	root.AddCommand(newCampaignCommands(g)...)
	for _, cmd := range root.Commands() {
		retireFlags(cmd, g)
	}
	return root
}

// defaultExample gives cmd examples unless it has its own.
func defaultExample(cmd *cobra.Command, example string) {
	if cmd.Example == "" {
		cmd.Example = example
	}
}

// addServerFlags adds the embedded Temporal server's flags to a command
// that may start it.
func addServerFlags(cmd *cobra.Command, g *globalFlags) {
	fs := cmd.Flags()
	fs.StringVar(&g.stateDir, "state-dir", defaultStateDir(), "where the embedded server keeps its SQLite history")
	fs.IntVar(&g.port, "port", 7233, "frontend port of the embedded Temporal server on 127.0.0.1 (run: a tempest dev already listening there is used)")
	fs.IntVar(&g.uiPort, "ui-port", 8233, "port of the embedded Temporal Web UI on 127.0.0.1")
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationServes] = "true"
}

// addWorkerFlags adds the flags of a process that runs a worker.
func addWorkerFlags(cmd *cobra.Command, g *globalFlags) {
	fs := cmd.Flags()
	fs.StringVar(&g.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster whose faults this process's worker runs (enables the Kubernetes kinds; unset in a pod: the pod's ServiceAccount)")
	g.cluster.name, g.host.name = "cluster", "host"
	fs.Var(&g.cluster, "cluster", "cluster name of this process's worker (default \"default\" with a kubeconfig): it polls task queue <task-queue>@<cluster>, where faults and probes naming that cluster, and the inject and revert of every target it selected, run")
	fs.Var(&g.host, "host", "host name of this process's worker (default: the machine's): it polls <task-queue>@host:<host>, where faults naming host: <host>, and the inject and revert of every process target it selected, run")
	fs.BoolVar(&g.defaultHost, "default-host", true, "the worker also runs the activities of <task-queue> itself: target selection for faults that name no host: or cluster:, probes and load (set false on all but one worker per task queue when several hosts run workers)")
	d := worker.DefaultLimits
	fs.IntVar(&g.limits.Activities, "max-concurrent-activities", d.Activities, "short activities (target selection, inject, revert, single-shot probes) the worker runs at once, per task queue it polls")
	fs.IntVar(&g.limits.LongActivities, "max-concurrent-long-activities", d.LongActivities, "long activities (continuous and onChaos probe watchers, load) the worker runs at once, per <queue>@long task queue it polls; they never take the short activities' slots")
	fs.IntVar(&g.limits.WorkflowTasks, "max-concurrent-workflow-tasks", d.WorkflowTasks, "workflow tasks the worker runs at once")
	fs.IntVar(&g.limits.Pollers, "pollers", d.Pollers, "long polls the worker keeps open per task queue for activity tasks (and for workflow tasks, at least 2)")
}

func addLogLevelFlag(cmd *cobra.Command, g *globalFlags) {
	cmd.Flags().Var(&g.logLevel, "log-level", "level of the embedded Temporal server's and the Temporal SDK's logs: debug, info, warn or error (Tempest's own lines are info)")
}

// retireFlags keeps the flags that used to be on every command working
// where they no longer apply (scripts pass them), hidden from the help.
// --port still finds a tempest dev on that port; the others do nothing.
func retireFlags(cmd *cobra.Command, g *globalFlags) {
	fs := cmd.Flags()
	retire := func(name, msg string, add func()) {
		if fs.Lookup(name) != nil {
			return
		}
		add()
		_ = fs.MarkDeprecated(name, msg)
	}
	noEffect := fmt.Sprintf("it has no effect on `tempest %s`", cmd.Name())
	var ignoredS string
	var ignoredI int
	var ignoredB bool
	retire("port", "pass --address 127.0.0.1:PORT", func() { fs.IntVar(&g.port, "port", 7233, "") })
	retire("ui-port", noEffect, func() { fs.IntVar(&ignoredI, "ui-port", 0, "") })
	retire("state-dir", noEffect, func() { fs.StringVar(&ignoredS, "state-dir", "", "") })
	retire("kubeconfig", noEffect, func() { fs.StringVar(&ignoredS, "kubeconfig", "", "") })
	retire("cluster", noEffect, func() { fs.StringVar(&ignoredS, "cluster", "", "") })
	retire("host", noEffect, func() { fs.StringVar(&ignoredS, "host", "", "") })
	retire("default-host", noEffect, func() { fs.BoolVar(&ignoredB, "default-host", true, "") })
}

// logLevelFlag is a slog level written debug, info, warn or error.
type logLevelFlag slog.Level

func (l *logLevelFlag) String() string { return strings.ToLower(slog.Level(*l).String()) }
func (l *logLevelFlag) Type() string   { return "level" }

func (l *logLevelFlag) Set(s string) error {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("want debug, info, warn or error")
	}
	*l = logLevelFlag(lv)
	return nil
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
