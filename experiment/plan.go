package experiment

import "math"

// Plan helpers: pure functions of the spec that say how long an experiment
// is planned to take. Workflows use them, so they never read the clock.

// ChaosWindow is the planned length of the chaos window: until the last
// fault's last revert is due and the load has ended.
func (e *Experiment) ChaosWindow() Duration {
	var window Duration
	for _, f := range e.Spec.Faults {
		window = max(window, f.End())
	}
	if l := e.Spec.Load; l != nil {
		window = max(window, satAdd(max(l.StartAfter, 0), l.Span()))
	}
	return window
}

// StartBudget is the longest the probes before chaos (SOT, Edge) may take.
func (e *Experiment) StartBudget() Duration {
	var budget Duration
	for _, p := range e.Spec.Probes {
		if p.RunsAtStart() {
			budget = max(budget, p.Budget())
		}
	}
	return budget
}

// EndBudget is the longest the probes after chaos (EOT, Edge) may take.
func (e *Experiment) EndBudget() Duration {
	var budget Duration
	for _, p := range e.Spec.Probes {
		if p.RunsAtEnd() {
			budget = max(budget, p.Budget())
		}
	}
	return budget
}

// PlannedDuration is the planned length of the whole experiment: probes
// before chaos, the chaos window, probes after it. Reverts are not counted
// (they are bounded by rollback.deadline and always run).
func (e *Experiment) PlannedDuration() Duration {
	return satAdd(satAdd(e.StartBudget(), e.ChaosWindow()), e.EndBudget())
}

// Budget is the longest one run of an SOT, EOT or Edge probe may take: its
// initial delay, then every attempt up to its timeout, Interval apart.
func (p Probe) Budget() Duration {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultProbeInterval
	}
	retries := int64(max(p.Retries, 0))
	attempts := satMul(timeout, retries+1)
	pauses := satMul(interval, retries)
	return satAdd(satAdd(max(p.InitialDelay, 0), attempts), pauses)
}

// Span is how long the load runs: Duration, or the sum of the stages.
func (l *Load) Span() Duration {
	if l == nil {
		return 0
	}
	if len(l.Stages) > 0 {
		return l.stagesSum()
	}
	return l.Duration
}

func (l *Load) stagesSum() Duration {
	var sum Duration
	for _, s := range l.Stages {
		sum = satAdd(sum, max(s.Duration, 0))
	}
	return sum
}

// satAdd adds non-negative durations, saturating instead of overflowing, so
// an absurd spec yields an absurdly long plan rather than a negative one.
func satAdd(a, b Duration) Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul multiplies a non-negative duration by n >= 0, saturating.
func satMul(d Duration, n int64) Duration {
	if n == 0 || d == 0 {
		return 0
	}
	if d > math.MaxInt64/Duration(n) {
		return math.MaxInt64
	}
	return d * Duration(n)
}
