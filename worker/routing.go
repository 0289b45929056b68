package worker

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/workflows"
)

// Routing says which task queues one worker process polls, and for what.
//
//   - Base (the experiments' queue): workflows always; activities only when
//     Default, that is target selection for faults that name no host: or
//     cluster:, probes and load.
//   - workflows.HostTaskQueue(Base, Identity.Host): activities, always: the
//     inject and revert of every host target this host selected, and the
//     selection of faults that name this host.
//   - workflows.ClusterTaskQueue(Base, Identity.Cluster), with Kube:
//     activities of the cluster's targets.
//
// Each queue that carries activities has its workflows.LongTaskQueue
// beside it, polled with Limits.LongActivities of its own, where the
// probe watchers and the load of the runs that record versionLongQueue
// run; older runs still send theirs to the queue itself, whose workers
// keep running every activity.
type Routing struct {
	Base     string
	Identity activities.Identity
	Default  bool
	Kube     bool
	Limits   Limits
}

// Queue is one task queue a worker polls.
type Queue struct {
	Name       string
	Workflows  bool
	Activities bool
	// Long: the queue of long activities (probe watchers, load), with
	// Limits.LongActivities slots.
	Long bool
}

// Queues lists what r polls.
func (r Routing) Queues() []Queue {
	base := r.Base
	if base == "" {
		base = workflows.DefaultTaskQueue
	}
	qs := []Queue{{Name: base, Workflows: true, Activities: r.Default}}
	if r.Default {
		qs = append(qs, Queue{Name: workflows.LongTaskQueue(base), Activities: true, Long: true})
	}
	var routed []string
	if r.Identity.Host != "" {
		routed = append(routed, workflows.HostTaskQueue(base, r.Identity.Host))
	}
	if r.Kube && r.Identity.Cluster != "" {
		routed = append(routed, workflows.ClusterTaskQueue(base, r.Identity.Cluster))
	}
	for _, q := range routed {
		qs = append(qs, Queue{Name: q, Activities: true}, Queue{Name: workflows.LongTaskQueue(q), Activities: true, Long: true})
	}
	return qs
}

// StartRouted starts one SDK worker per queue of r; stop stops them all.
func StartRouted(c client.Client, r Routing, acts *activities.Activities) (stop func(), err error) {
	ws, err := build(c, r, acts)
	if err != nil {
		return nil, err
	}
	w := &Worker{ws: ws}
	if err := w.Start(); err != nil {
		return nil, err
	}
	return w.Stop, nil
}

// build makes (without starting) the SDK workers of r's queues.
func build(c client.Client, r Routing, acts *activities.Activities) ([]sdkworker.Worker, error) {
	if err := r.Limits.Validate(); err != nil {
		return nil, err
	}
	var ws []sdkworker.Worker
	for _, q := range r.Queues() {
		opts := r.Limits.options(q)
		if q.Activities && r.Kube && r.Identity.Cluster != "" {
			// Says which cluster this worker serves, so that starter can
			// refuse a fault naming no cluster when the default workers
			// serve several.
			opts.Identity = workflows.PollerIdentity(os.Getpid(), r.Identity.Host, r.Identity.Cluster)
		}
		w := sdkworker.New(c, q.Name, opts)
		if q.Workflows {
			registerWorkflows(w)
		}
		if q.Activities {
			w.RegisterActivity(acts)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// LocalIdentity is the identity of a worker on this host: host (default:
// the host name), this boot's ID and, with a Kubernetes client, the
// cluster name (default workflows.DefaultCluster) and the UID of its
// kube-system namespace.
func LocalIdentity(ctx context.Context, host, cluster string, kube kubernetes.Interface) (activities.Identity, error) {
	id := activities.Identity{Host: host}
	if id.Host == "" {
		h, err := os.Hostname()
		if err != nil {
			return id, fmt.Errorf("host name (set --host): %w", err)
		}
		id.Host = h
	}
	if strings.ContainsAny(id.Host, "@/ \t") {
		return id, fmt.Errorf("--host %q: must be a host name (no '@', '/' or spaces)", id.Host)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		id.BootID = strings.TrimSpace(string(b))
	}
	if kube == nil {
		if cluster != "" {
			return id, fmt.Errorf("--cluster %q needs a Kubernetes client (--kubeconfig, or a pod's service account)", cluster)
		}
		return id, nil
	}
	id.Cluster = cluster
	if id.Cluster == workflows.ReservedCluster || strings.Contains(id.Cluster, "@") {
		return id, fmt.Errorf("--cluster %q: reserved (\"long\" and names with '@' would share a long-activity task queue)", id.Cluster)
	}
	if id.Cluster == "" {
		id.Cluster = workflows.DefaultCluster
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ns, err := kube.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return id, fmt.Errorf("identify cluster %q by its kube-system namespace: %w", id.Cluster, err)
	}
	id.ClusterUID = string(ns.UID)
	return id, nil
}
