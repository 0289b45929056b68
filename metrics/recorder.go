package metrics

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Recorder receives what Tempest's activities and worker measured.
// Implementations are safe for concurrent use and never block: they are
// called on activity paths.
type Recorder interface {
	// Injected reports one injection that reached its fault
	// implementation: err is nil when the fault took effect.
	Injected(req fault.Request, err error)
	// Reverted reports one revert attempt of req's injection: err is nil
	// when it is reverted (or its target is gone).
	Reverted(req fault.Request, err error)
	// Observed reports one observation of probe p.
	Observed(p experiment.Probe, obs experiment.Observation)
	// LoadRequests reports load requests completed in phase since the
	// last report: how many succeeded and failed, and latencies (every
	// request's, failed ones included).
	LoadRequests(phase string, succeeded, failed int64, latencies []Latency)
	// ExperimentsRunning reports how many runs of each experiment are
	// running now (experiments absent from running have none).
	ExperimentsRunning(running map[string]int)
	// ExperimentClosed reports an experiment run that has closed.
	ExperimentClosed(run ClosedRun)
}

// Latency is N requests that took about D.
type Latency struct {
	D time.Duration
	N int64
}

// ClosedRun is an experiment run that has closed, as visibility shows it.
type ClosedRun struct {
	RunID string
	// Experiment is the spec's metadata.name.
	Experiment string
	// Verdict is the run's verdict, or the workflow's close status
	// ("Terminated", "TimedOut", "Canceled") when it set none.
	Verdict string
	// Duration is from the run's start to its close.
	Duration time.Duration
	// Score is the run's resilience score (0 to 100), when HasScore.
	Score    float64
	HasScore bool
}

// Nop records nothing.
type Nop struct{}

var _ Recorder = Nop{}

func (Nop) Injected(fault.Request, error)                     {}
func (Nop) Reverted(fault.Request, error)                     {}
func (Nop) Observed(experiment.Probe, experiment.Observation) {}
func (Nop) LoadRequests(string, int64, int64, []Latency)      {}
func (Nop) ExperimentsRunning(map[string]int)                 {}
func (Nop) ExperimentClosed(ClosedRun)                        {}

// Or returns r, or Nop when r is nil.
func Or(r Recorder) Recorder {
	if r == nil {
		return Nop{}
	}
	return r
}
