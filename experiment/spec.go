package experiment

// KindExperiment is the only document kind Tempest accepts.
const KindExperiment = "Experiment"

// APIVersion is the current spec version.
const APIVersion = "tempest.dev/v1"

// Experiment is one chaos experiment document.
type Experiment struct {
	// APIVersion is the spec version; defaults to APIVersion.
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind must be "Experiment".
	Kind     string   `json:"kind"`
	Metadata Metadata `json:"metadata"`
	Spec     Spec     `json:"spec"`
}

// Metadata names an experiment.
type Metadata struct {
	// Name identifies the experiment; it becomes part of the workflow ID and a
	// search attribute. Lower-case letters, digits and '-'.
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Spec is what an experiment does.
type Spec struct {
	// Hypothesis is the steady-state claim under test, in plain words.
	Hypothesis string `json:"hypothesis,omitempty"`
	// Faults are injected during the chaos window.
	Faults []Fault `json:"faults,omitempty"`
	// Probes judge whether steady state holds.
	Probes []Probe `json:"probes,omitempty"`
	// Load is traffic generated alongside the faults (optional).
	Load *Load `json:"load,omitempty"`
	// Rollback tunes how reverts run. Reverts always run.
	Rollback Rollback `json:"rollback,omitempty"`
	// Safety holds guard rails.
	Safety Safety `json:"safety,omitempty"`
}

// Rollback tunes the revert of injected faults. Reverts always run, in
// reverse order of injection, even on abort or cancellation.
type Rollback struct {
	// AttemptTimeout bounds one revert attempt (default 1m).
	AttemptTimeout Duration `json:"attemptTimeout,omitempty"`
	// Deadline bounds all attempts of one revert (default 10m); past it the
	// target is reported as possibly left behind.
	Deadline Duration `json:"deadline,omitempty"`
}

// Safety holds guard rails that refuse or bound an experiment.
type Safety struct {
	// DryRun resolves and reports the targets each fault would hit, and
	// touches nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// MaxDuration bounds the whole experiment (default 1h). An experiment whose
	// plan is longer is refused; a run that reaches it is aborted and reverted.
	MaxDuration Duration `json:"maxDuration,omitempty"`
	// AllowNamespaces lists protected Kubernetes namespaces this experiment
	// may touch anyway (kube-system, kube-public, kube-node-lease and the
	// worker's own are protected).
	AllowNamespaces []string `json:"allowNamespaces,omitempty"`
	// MaxBlastRadiusPercent refuses a Kubernetes fault that would hit more than
	// this percent of the objects its selector matches (default 100).
	MaxBlastRadiusPercent int `json:"maxBlastRadiusPercent,omitempty"`
	// MaxHistoryEvents stops injecting once the experiment's Temporal
	// history holds this many events (default and maximum 40000): every
	// injection adds events, and Temporal ends a workflow at 51200 without
	// letting it roll back. The faults in place are reverted and the
	// verdict is Errored.
	MaxHistoryEvents int `json:"maxHistoryEvents,omitempty"`
}
