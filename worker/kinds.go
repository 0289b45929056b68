package worker

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/fault/process"
	"github.com/tempest-chaos/tempest/kinds"
	"github.com/tempest-chaos/tempest/metrics"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/probe/cmdprobe"
	"github.com/tempest-chaos/tempest/probe/httpprobe"
	"github.com/tempest-chaos/tempest/probe/kubeprobe"
	"github.com/tempest-chaos/tempest/probe/mongoprobe"
	"github.com/tempest-chaos/tempest/probe/promprobe"
	"github.com/tempest-chaos/tempest/probe/tcpprobe"
	"github.com/tempest-chaos/tempest/secret"
	"k8s.io/client-go/kubernetes"
)

// Config says what this worker process can reach.
type Config struct {
	// ProtectedNamespaces adds to activities.DefaultProtectedNamespaces
	// (e.g. the worker's own namespace).
	ProtectedNamespaces []string
	// Kube, when set, enables the Kubernetes faults and the k8s probe, and
	// k8s: secret references.
	Kube kubernetes.Interface
	// StateDir holds the worker's ledger of injections and its revert
	// fences (default DefaultStateDir()). It must survive a worker crash;
	// workers of one host may share it, and `tempest cleanup` reads it.
	StateDir string
	// FenceNamespace, with Kube, is the worker's own namespace, where the
	// revert fences of Kubernetes faults are kept as ConfigMaps so that
	// every worker of the cluster sees them (activities.KubeFences). Empty:
	// those fences stay on the worker's host.
	FenceNamespace string
	// Temporal, when set, lets Inject refuse to act for a run that has
	// ended (the watchdog reverts what such a run left either way), and
	// load phases and OnChaos windows follow the run's timeline query.
	Temporal client.Client
	// Identity is the host and cluster this worker acts on (LocalIdentity);
	// empty: targets record none and run wherever they are routed.
	Identity activities.Identity
	// Metrics receives what the activities measured; nil records nothing.
	Metrics metrics.Recorder
	// TemporalAddress is the Temporal frontend this worker polls
	// (host:port), so that host faults can refuse to cut it off.
	TemporalAddress string
}

// DefaultStateDir is $TMPDIR/tempest-worker-<uid>, beside the process
// fault's $TMPDIR/tempest-process-<uid>.
func DefaultStateDir() string {
	return filepath.Join(os.TempDir(), "tempest-worker-"+strconv.Itoa(os.Getuid()))
}

// LedgerDir and FenceDir are where a worker with state dir dir keeps its
// ledger and its fences.
func LedgerDir(dir string) string { return filepath.Join(dir, "ledger") }
func FenceDir(dir string) string  { return filepath.Join(dir, "fences") }

// NewActivities builds the activities with every fault, probe and load
// implementation this process can run. closeFn releases their clients.
func NewActivities(cfg Config) (acts *activities.Activities, closeFn func()) {
	resolver := secret.Resolver{}
	stateDir := cfg.StateDir
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	faults := fault.NewRegistry()
	faults.Register(experiment.FaultProcess, process.New())
	fault.RegisterKinds(faults, fault.Env{StateDir: stateDir, TemporalAddress: cfg.TemporalAddress, Kube: cfg.Kube}, kinds.Faults)
	probes := probe.NewRegistry()
	if cfg.Kube != nil {
		kube.Register(faults, cfg.Kube)
		probes.Register(experiment.ProbeK8s, kubeprobe.New(cfg.Kube))
		resolver.K8s = kubeSecret(cfg.Kube)
	}
	probes.Register(experiment.ProbeHTTP, httpprobe.New(resolver))
	probes.Register(experiment.ProbeCmd, cmdprobe.New(resolver))
	mongo := mongoprobe.New(resolver)
	probes.Register(experiment.ProbeMongo, mongo)
	probes.Register(experiment.ProbePrometheus, promprobe.New(resolver))
	probes.Register(experiment.ProbeTCP, tcpprobe.New())

	acts = &activities.Activities{
		Identity: cfg.Identity,
		Faults:   faults,
		Probes:   probes,
		Secrets:  resolver,
		Guard:    activities.Guard{ProtectedNamespaces: append(append([]string{}, activities.DefaultProtectedNamespaces...), cfg.ProtectedNamespaces...)},
		Fences:   fences(cfg, stateDir),
		Ledger:   &activities.Ledger{Dir: LedgerDir(stateDir)},
		Temporal: cfg.Temporal,
		Metrics:  cfg.Metrics,
	}
	if cfg.Temporal != nil {
		acts.Timelines = activities.TemporalTimelines{Client: cfg.Temporal}
	}
	return acts, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = mongo.Close(ctx)
	}
}

// fences are the host's fence files and, with Kube and FenceNamespace,
// the cluster's fence ConfigMaps for the Kubernetes kinds.
func fences(cfg Config, stateDir string) activities.FenceStore {
	host := &activities.FileFences{Dir: FenceDir(stateDir)}
	if cfg.Kube == nil || cfg.FenceNamespace == "" {
		return host
	}
	return activities.HostAndClusterFences{Host: host, Cluster: &activities.KubeFences{
		Client: cfg.Kube, Namespace: cfg.FenceNamespace, Degraded: activities.LogDegraded(slog.Default(), cfg.FenceNamespace)}}
}
