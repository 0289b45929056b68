package workflows

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
)

// loadSpan is how long the load runs: its duration, or the sum of its stages.
func loadSpan(l *experiment.Load) time.Duration {
	if l == nil {
		return 0
	}
	if len(l.Stages) == 0 {
		return l.Duration.D()
	}
	var d time.Duration
	for _, s := range l.Stages {
		d += s.Duration.D()
	}
	return d
}

// faultSpan is when, after the window start, the first fault is injected and
// the last is due to be reverted; ok is false without faults.
func faultSpan(faults []experiment.Fault) (first, last time.Duration, ok bool) {
	for i, f := range faults {
		s, e := f.StartAfter.D(), f.End().D()
		if i == 0 || s < first {
			first = s
		}
		if i == 0 || e > last {
			last = e
		}
	}
	return first, last, len(faults) > 0
}

// windowLength is the planned length of the chaos window: until the last
// fault is reverted and the load has ended.
func windowLength(spec experiment.Spec) time.Duration {
	_, last, _ := faultSpan(spec.Faults)
	if l := spec.Load; l != nil {
		last = max(last, l.StartAfter.D()+loadSpan(l))
	}
	return last
}

// loadPhases splits the load's time into baseline (before the first
// inject), chaos (while faults are planned to be active) and recovery.
func loadPhases(spec experiment.Spec, t0 time.Time) []load.Window {
	l := spec.Load
	start := t0.Add(l.StartAfter.D())
	end := start.Add(loadSpan(l))
	first, last, ok := faultSpan(spec.Faults)
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
