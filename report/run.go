package report

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// Run is everything a report shows of one experiment run.
type Run struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId,omitempty"`
	// Hypothesis is the spec's steady-state claim.
	Hypothesis string `json:"hypothesis,omitempty"`
	// UILink is the run's page in the Temporal Web UI ("" for none).
	UILink   string            `json:"uiLink,omitempty"`
	Result   experiment.Result `json:"result"`
	Timeline Timeline          `json:"timeline"`
}

// Timeline is what the run did, in time order: every injection with its
// revert, and every probe activity.
type Timeline struct {
	Injections []Injection `json:"injections"`
	Probes     []ProbeRun  `json:"probes,omitempty"`
}

// Injection is one injection of a fault on one target and its revert.
// Times are zero when unknown.
type Injection struct {
	Fault  string `json:"fault"`
	N      int    `json:"n"`
	Target string `json:"target"`
	// Summary is the inject activity's summary in the history ("inject
	// kill-target #3 into pid/21208").
	Summary string `json:"summary,omitempty"`
	// Scheduled is when the workflow scheduled the inject (server clock).
	Scheduled time.Time `json:"scheduled,omitzero"`
	// At is when the inject took effect (the injecting worker's clock);
	// zero when it failed or its outcome is unknown.
	At time.Time `json:"at,omitzero"`
	// InjectError says why the inject failed or did not complete.
	InjectError   string    `json:"injectError,omitempty"`
	RevertSummary string    `json:"revertSummary,omitempty"`
	RevertStarted time.Time `json:"revertScheduled,omitzero"`
	// RevertedAt is when its revert completed (the reverting worker's
	// clock); zero when it failed or did not run.
	RevertedAt  time.Time `json:"revertedAt,omitzero"`
	RevertError string    `json:"revertError,omitempty"`
	// Planned is the hold the spec asked for, Held how long it was in
	// place; CutShort says why it was reverted early.
	Planned  time.Duration `json:"planned,omitempty"`
	Held     time.Duration `json:"held,omitempty"`
	CutShort string        `json:"cutShort,omitempty"`
}

// ProbeRun is one probe activity: a check (SOT, EOT, Edge) or a watch
// through the chaos window (Continuous, OnChaos).
type ProbeRun struct {
	Probe   string               `json:"probe"`
	Mode    experiment.ProbeMode `json:"mode,omitempty"`
	Summary string               `json:"summary,omitempty"`
	Start   time.Time            `json:"start"`
	End     time.Time            `json:"end,omitzero"`
	// Passed, Observations and Failures are its outcome; Error says why
	// it could not run.
	Passed       bool                    `json:"passed"`
	Observations int                     `json:"observations"`
	Failures     int                     `json:"failures"`
	FirstFailure *experiment.Observation `json:"firstFailure,omitempty"`
	Last         *experiment.Observation `json:"last,omitempty"`
	Error        string                  `json:"error,omitempty"`
}

// Event is one line of the report's timeline: an inject or revert taking
// effect (or failing), or a probe's observation.
type Event struct {
	At time.Time `json:"at"`
	// Kind is "inject", "revert", "inject-failed", "revert-failed",
	// "probe-passed" or "probe-failed".
	Kind string `json:"kind"`
	// What says it for people.
	What string `json:"what"`
}

// Events lists the timeline's moments in time order: each inject and
// revert as it took effect, and each probe's first failure and last
// observation.
func (t Timeline) Events() []Event {
	var evs []Event
	for _, in := range t.Injections {
		name := injectionName(in)
		switch {
		case !in.At.IsZero():
			evs = append(evs, Event{At: in.At, Kind: "inject", What: "inject " + name + " into " + in.Target})
		case in.InjectError != "":
			evs = append(evs, Event{At: in.Scheduled, Kind: "inject-failed", What: "inject " + name + " into " + in.Target + " failed: " + in.InjectError})
		}
		switch {
		case !in.RevertedAt.IsZero():
			evs = append(evs, Event{At: in.RevertedAt, Kind: "revert", What: "revert " + name + " on " + in.Target})
		case in.RevertError != "":
			evs = append(evs, Event{At: in.RevertStarted, Kind: "revert-failed", What: "revert " + name + " on " + in.Target + " failed: " + in.RevertError})
		}
	}
	for _, p := range t.Probes {
		if p.Error != "" {
			evs = append(evs, Event{At: p.Start, Kind: "probe-failed", What: "probe " + p.Probe + " could not run: " + p.Error})
		}
		if o := p.FirstFailure; o != nil && !o.At.IsZero() {
			evs = append(evs, Event{At: o.At, Kind: "probe-failed", What: "probe " + p.Probe + " first failed: " + observation(*o)})
		}
		if o := p.Last; o != nil && !o.At.IsZero() && (p.FirstFailure == nil || !o.At.Equal(p.FirstFailure.At)) {
			kind := "probe-passed"
			if !o.Passed {
				kind = "probe-failed"
			}
			evs = append(evs, Event{At: o.At, Kind: kind, What: "probe " + p.Probe + " last observed: " + observation(*o)})
		}
	}
	sortStable(evs)
	return evs
}

func injectionName(in Injection) string {
	return in.Fault + " #" + itoa(in.N)
}

// observation describes one probe observation for people.
func observation(o experiment.Observation) string {
	s := "passed"
	if !o.Passed {
		s = "failed"
	}
	if o.Value != "" {
		s += ", " + o.Value
	}
	if o.Detail != "" {
		s += " (" + o.Detail + ")"
	}
	return s
}
