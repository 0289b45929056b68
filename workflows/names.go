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

// AbortAnswer is what the abort update answers.
type AbortAnswer struct {
	// WillRevert lists "fault: target" for every injection still in place.
	WillRevert []string `json:"willRevert"`
}
