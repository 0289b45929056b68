package worker

import (
	"context"
	"time"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/fault/process"
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
}

// NewActivities builds the activities with every fault, probe and load
// implementation this process can run. closeFn releases their clients.
func NewActivities(cfg Config) (acts *activities.Activities, closeFn func()) {
	resolver := secret.Resolver{}
	faults := fault.NewRegistry()
	faults.Register(experiment.FaultProcess, process.New())
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
		Faults:  faults,
		Probes:  probes,
		Secrets: resolver,
		Guard:   activities.Guard{ProtectedNamespaces: append(append([]string{}, activities.DefaultProtectedNamespaces...), cfg.ProtectedNamespaces...)},
	}
	return acts, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = mongo.Close(ctx)
	}
}
