package starter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/workflows"
)

// AmbiguousClusterError refuses an experiment whose Kubernetes fault or
// probe names no cluster: while the default workers of its task queue (the
// ones that run what names no cluster) serve more than one cluster: it
// could be selected on any of them.
type AmbiguousClusterError struct {
	Field    string
	Queue    string
	Clusters []string
}

func (e *AmbiguousClusterError) Error() string {
	return fmt.Sprintf("%s: required: the default workers of task queue %s serve clusters %s, so one naming no cluster is ambiguous; name one (or run one default worker per task queue)",
		e.Field, e.Queue, strings.Join(e.Clusters, ", "))
}

// checkClusters returns an *AmbiguousClusterError for the first part of exp
// that names no cluster while the activity pollers of queue serve several.
// When the pollers cannot be listed nothing is proven and it returns nil:
// the run then goes to whichever default worker polls.
func checkClusters(ctx context.Context, c client.Client, queue string, exp experiment.Experiment) error {
	field := unnamedCluster(exp)
	if field == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	if err != nil {
		return nil
	}
	var clusters []string
	for _, p := range resp.GetPollers() {
		if cl := workflows.PollerCluster(p.GetIdentity()); cl != "" && !slices.Contains(clusters, cl) {
			clusters = append(clusters, cl)
		}
	}
	if len(clusters) < 2 {
		return nil
	}
	slices.Sort(clusters)
	return &AmbiguousClusterError{Field: field, Queue: queue, Clusters: clusters}
}

// unnamedCluster is the path of the first Kubernetes fault or k8s probe of
// exp that names no cluster; "" when there is none.
func unnamedCluster(exp experiment.Experiment) string {
	for i, f := range exp.Spec.Faults {
		if f.Cluster == "" && f.Host == "" && f.Kind() != "" && !slices.Contains(experiment.HostKinds(), f.Kind()) {
			return fmt.Sprintf("spec.faults[%d].cluster", i)
		}
	}
	for i, p := range exp.Spec.Probes {
		if p.K8s != nil && p.K8s.Cluster == "" {
			return fmt.Sprintf("spec.probes[%d].k8s.cluster", i)
		}
	}
	return ""
}
