package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Names shared by the workflow, the starter and the CLI.
const (
	// ExperimentWorkflowName is the registered workflow type.
	ExperimentWorkflowName = "ExperimentWorkflow"
	// DefaultTaskQueue is the task queue workers poll by default.
	DefaultTaskQueue = "tempest"
	// QueryStatus returns experiment.Status.
	QueryStatus = "status"
	// UpdateAbort takes a reason and answers with AbortAnswer.
	UpdateAbort = "abort"
	// SignalAbort takes a reason, fire-and-forget.
	SignalAbort = "abort"
)

// Search attributes Tempest sets on every experiment.
var (
	AttrExperiment = temporal.NewSearchAttributeKeyKeyword("TempestExperiment")
	AttrVerdict    = temporal.NewSearchAttributeKeyKeyword("TempestVerdict")
	AttrTarget     = temporal.NewSearchAttributeKeyKeywordList("TempestTarget")
)

// ClusterTaskQueue is the task queue of the workers of a Kubernetes cluster:
// faults and probes that name a cluster run there.
func ClusterTaskQueue(base, cluster string) string {
	if cluster == "" {
		return base
	}
	return base + "@" + cluster
}

// HostTaskQueue is the task queue of the worker of host: host faults
// (process) whose targets live there run their activities there.
func HostTaskQueue(base, host string) string { return base + "@host:" + host }

// DefaultCluster names the cluster of a worker that has a kubeconfig and
// no --cluster; its Kubernetes targets run on task queue "<base>@default".
const DefaultCluster = "default"

// AbortAnswer is what the abort update answers.
type AbortAnswer struct {
	// WillRevert lists "fault: target" for every injection still in place.
	WillRevert []string `json:"willRevert"`
}

// clusterIdentityTag marks the cluster in a worker's identity.
const clusterIdentityTag = "@cluster="

// PollerIdentity is the identity of a worker that polls the experiments'
// task queue for activities with the Kubernetes client of cluster: the SDK's
// "<pid>@<host>@" followed by "cluster=<cluster>", so a starter can see
// which clusters the default workers serve (PollerCluster).
func PollerIdentity(pid int, host, cluster string) string {
	return fmt.Sprintf("%d@%s%s%s", pid, host, clusterIdentityTag, cluster)
}

// PollerCluster returns the cluster in a worker identity made by
// PollerIdentity; "" for any other identity.
func PollerCluster(identity string) string {
	_, c, ok := strings.Cut(identity, clusterIdentityTag)
	if !ok {
		return ""
	}
	return c
}
