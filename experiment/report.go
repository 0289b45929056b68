package experiment

import "time"

// Verdict is the outcome of an experiment.
type Verdict string

// Verdicts.
const (
	// VerdictPassed: every probe passed and every fault was reverted.
	VerdictPassed Verdict = "Passed"
	// VerdictFailed: steady state did not hold (a probe or threshold failed).
	VerdictFailed Verdict = "Failed"
	// VerdictErrored: the engine could not carry out the experiment (bad
	// spec, forbidden, inject or revert failed); Reasons say what may be left behind.
	VerdictErrored Verdict = "Errored"
	// VerdictAborted: stopped by abort or cancellation; every fault reverted.
	VerdictAborted Verdict = "Aborted"
	// VerdictDryRun: a dry run; Targets lists what would have been hit.
	VerdictDryRun Verdict = "DryRun"
)

// Phase is the stage an experiment is in.
type Phase string

// Phases, in order.
const (
	PhasePreflight Phase = "preflight"
	PhaseSOT       Phase = "steady-state-before"
	PhaseChaos     Phase = "chaos"
	PhaseRollback  Phase = "rollback"
	PhaseEOT       Phase = "steady-state-after"
	PhaseDone      Phase = "done"
)

// Target is one concrete thing a fault acts on.
type Target struct {
	// ID is stable and unique within the fault ("pid/1234", "pod/ns/name").
	ID string `json:"id"`
	// Description is for people ("rabbitmq-server pid 1234 on :5672").
	Description string `json:"description,omitempty"`
	// Attrs carries what the fault needs to act on the target again.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// FaultTargets lists the targets a fault would hit (dry run) or hit.
type FaultTargets struct {
	Fault   string   `json:"fault"`
	Targets []Target `json:"targets"`
}

// Observation is one probe result.
type Observation struct {
	Passed bool `json:"passed"`
	// Value is what was measured, for people (never a secret).
	Value string `json:"value,omitempty"`
	// Detail says why it failed ("timeout after 2s", "expected == 0, got 7").
	Detail string        `json:"detail,omitempty"`
	At     time.Time     `json:"at"`
	Took   time.Duration `json:"took,omitempty"`
}

// ProbeResult aggregates a probe's observations.
type ProbeResult struct {
	Name           string    `json:"name"`
	Mode           ProbeMode `json:"mode"`
	Passed         bool      `json:"passed"`
	SuccessPercent float64   `json:"successPercent"`
	Observations   int       `json:"observations"`
	Failures       int       `json:"failures"`
	// FirstFailure and Last are kept for the report.
	FirstFailure *Observation `json:"firstFailure,omitempty"`
	Last         *Observation `json:"last,omitempty"`
	// Weight is copied from the spec for the resilience score.
	Weight int `json:"weight"`
}

// FaultResult counts a fault's injections and reverts.
type FaultResult struct {
	Name       string `json:"name"`
	Injections int    `json:"injections"`
	Reverts    int    `json:"reverts"`
	// Targets hit, by ID.
	Targets []string `json:"targets,omitempty"`
	// LeftBehind lists targets whose revert failed.
	LeftBehind []string `json:"leftBehind,omitempty"`
	// Held lists each injection as it happened, per target (the latest
	// MaxHeldRecords; HeldOmitted counts the earlier ones).
	Held        []Injection `json:"held,omitempty"`
	HeldOmitted int         `json:"heldOmitted,omitempty"`
	// Recovery is the time from the fault's last revert to the first
	// passing observation of the last EOT probe to pass (RecoveryKnown
	// false: no EOT probe, or one never passed).
	Recovery      time.Duration `json:"recovery,omitempty"`
	RecoveryKnown bool          `json:"recoveryKnown,omitempty"`
}

// MaxHeldRecords bounds FaultResult.Held, so a result stays small however
// often a fault repeats.
const MaxHeldRecords = 100

// Injection is one injection of a fault on one target, as it happened.
type Injection struct {
	// N numbers the fault's injections from 1.
	N      int    `json:"n"`
	Target string `json:"target"`
	// At is when the inject took effect, by the clock of the worker that
	// injected; zero when its outcome is unknown (it did not complete).
	At time.Time `json:"at,omitzero"`
	// RevertedAt is when its revert completed; zero when the revert
	// failed or did not run.
	RevertedAt time.Time `json:"revertedAt,omitzero"`
	// Held is how long it was in place (RevertedAt - At), Planned the hold
	// the spec asked for.
	Held    time.Duration `json:"held,omitempty"`
	Planned time.Duration `json:"planned"`
	// CutShort says why it was reverted before its hold had passed (an
	// abort, a breach, an engine error); empty when it was held in full.
	CutShort string `json:"cutShort,omitempty"`
}

// Result is what an experiment workflow returns.
type Result struct {
	Experiment      string         `json:"experiment"`
	Verdict         Verdict        `json:"verdict"`
	Reasons         []string       `json:"reasons,omitempty"`
	ResilienceScore float64        `json:"resilienceScore"`
	Probes          []ProbeResult  `json:"probes"`
	Faults          []FaultResult  `json:"faults"`
	Targets         []FaultTargets `json:"targets,omitempty"`
	// Load holds the load report (package load's Report), if load ran.
	Load      *LoadReport `json:"load,omitempty"`
	StartedAt time.Time   `json:"startedAt"`
	EndedAt   time.Time   `json:"endedAt"`
}

// Status is what the status query returns while an experiment runs.
type Status struct {
	Experiment   string        `json:"experiment"`
	Phase        Phase         `json:"phase"`
	StartedAt    time.Time     `json:"startedAt"`
	Elapsed      time.Duration `json:"elapsed"`
	PlannedTotal time.Duration `json:"plannedTotal"`
	ActiveFaults []string      `json:"activeFaults"`
	Probes       []ProbeResult `json:"probes"`
	Aborting     bool          `json:"aborting"`
	AbortReason  string        `json:"abortReason,omitempty"`
}
