package workflows

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

// faultSpan is when, after the window start, the first fault is injected and
// the last is due to be reverted; ok is false without faults.
func faultSpan(faults []FaultPlan) (first, last time.Duration, ok bool) {
	for i, f := range faults {
		s, e := f.StartAfter, f.End
		if i == 0 || s < first {
			first = s
		}
		if i == 0 || e > last {
			last = e
		}
	}
	return first, last, len(faults) > 0
}

// loadPhases splits the load's time into baseline (before the first
// inject), chaos (while faults are planned to be active) and recovery.
func loadPhases(spec experiment.Spec, plan Plan, t0 time.Time) []load.Window {
	l := spec.Load
	start := t0.Add(l.StartAfter.D())
	end := start.Add(plan.LoadSpan)
	first, last, ok := faultSpan(plan.Faults)
	if !ok {
		return []load.Window{{Phase: load.PhaseBaseline, Start: start, End: end}}
	}
	chaosStart, chaosEnd := t0.Add(first), t0.Add(last)
	return []load.Window{
		{Phase: load.PhaseBaseline, Start: start, End: chaosStart},
		{Phase: load.PhaseChaos, Start: chaosStart, End: chaosEnd},
		{Phase: load.PhaseRecovery, Start: chaosEnd, End: end},
	}
}
