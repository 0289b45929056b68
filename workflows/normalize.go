package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
)

// Plan is every number the workflows derive from the spec. From
// versionNormalized on it is computed once per run and recorded in its
// history, so that editing package experiment (defaults, validation, plan
// helpers) does not change what a running experiment replays.
type Plan struct {
	// ChaosWindow is the planned length of the chaos window.
	ChaosWindow time.Duration `json:"chaosWindow"`
	// EndBudget bounds EOT probes and rollback, for the status estimate.
	EndBudget time.Duration `json:"endBudget"`
	// LoadSpan is how long the load sends after its start offset.
	LoadSpan time.Duration `json:"loadSpan,omitempty"`
	Faults   []FaultPlan   `json:"faults"`
	Probes   []ProbePlan   `json:"probes"`
}

// FaultPlan is one fault's timeline.
type FaultPlan struct {
	Injections int           `json:"injections"`
	StartAfter time.Duration `json:"startAfter"`
	Interval   time.Duration `json:"interval,omitempty"`
	Hold       time.Duration `json:"hold"`
	// End is when its last revert is planned, from the window's start.
	End time.Duration `json:"end"`
	// InjectTimeout bounds one inject attempt: the kind's own wait (a
	// drain's timeout) plus slack, at least a minute.
	InjectTimeout time.Duration `json:"injectTimeout,omitempty"`
}

// due is when injection k (from 0) is planned, from the window's start.
func (p FaultPlan) due(k int) time.Duration { return p.StartAfter + time.Duration(k)*p.Interval }

// ProbePlan is when a probe runs and what one check of it may take.
type ProbePlan struct {
	// Budget bounds every attempt of a single-shot check.
	Budget      time.Duration `json:"budget"`
	AtStart     bool          `json:"atStart,omitempty"`
	AtEnd       bool          `json:"atEnd,omitempty"`
	DuringChaos bool          `json:"duringChaos,omitempty"`
}

// normalized is the spec as the workflow runs it: defaults applied,
// validated, planned.
type normalized struct {
	Experiment experiment.Experiment `json:"experiment"`
	// Invalid is the validation error; the plan is then empty.
	Invalid string `json:"invalid,omitempty"`
	Plan    Plan   `json:"plan"`
}

// normalize applies defaults, validates and plans exp. It is pure; the
// workflow calls it inside a SideEffect (or directly, for runs older than
// versionNormalized).
func normalize(exp experiment.Experiment) normalized {
	experiment.ApplyDefaults(&exp)
	n := normalized{Experiment: exp}
	if err := exp.Validate(); err != nil {
		n.Invalid = err.Error()
		return n
	}
	n.Plan = planOf(exp)
	return n
}

// planOf computes the plan of a valid, defaulted spec.
func planOf(exp experiment.Experiment) Plan {
	p := Plan{ChaosWindow: exp.ChaosWindow().D(), EndBudget: exp.EndBudget().D()}
	if exp.Spec.Load != nil {
		p.LoadSpan = exp.Spec.Load.Span().D()
	}
	for _, f := range exp.Spec.Faults {
		p.Faults = append(p.Faults, faultPlanOf(f))
	}
	for _, pr := range exp.Spec.Probes {
		p.Probes = append(p.Probes, ProbePlan{Budget: pr.Budget().D(), AtStart: pr.RunsAtStart(), AtEnd: pr.RunsAtEnd(), DuringChaos: pr.RunsDuringChaos()})
	}
	return p
}

func faultPlanOf(f experiment.Fault) FaultPlan {
	p := FaultPlan{Injections: f.Injections(), StartAfter: f.StartAfter.D(), Interval: f.Interval.D(), Hold: f.HoldFor().D(), End: f.End().D(),
		InjectTimeout: shortActivityTimeout}
	if f.NodeDrain != nil {
		drain := f.NodeDrain.Timeout.D()
		if drain <= 0 {
			drain = experiment.DefaultDrainTimeout.D()
		}
		p.InjectTimeout = max(p.InjectTimeout, drain+30*time.Second)
	}
	return p
}

// normalizeOnce returns the normalized spec: from history for runs of
// versionNormalized and later, computed by the current code for older ones
// (which computed it the same way, without recording it).
func normalizeOnce(ctx workflow.Context, version workflow.Version, exp experiment.Experiment) (normalized, error) {
	if version < versionNormalized {
		return normalize(exp), nil
	}
	var n normalized
	err := workflow.SideEffect(ctx, func(workflow.Context) any { return normalize(exp) }).Get(&n)
	if err != nil {
		return n, fmt.Errorf("read the normalized spec: %w", err)
	}
	return n, nil
}
