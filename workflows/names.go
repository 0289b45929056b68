package workflows

import "go.temporal.io/sdk/temporal"

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
