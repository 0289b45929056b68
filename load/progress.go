package load

import (
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// Phase names, the same as experiment's (the timeline's) and the
// thresholds' {phase:...} tags.
const (
	PhaseBaseline = experiment.LoadPhaseBaseline
	PhaseChaos    = experiment.LoadPhaseChaos
	PhaseRecovery = experiment.LoadPhaseRecovery
)

// Window is a planned wall-clock phase of the load: baseline before the
// first inject, chaos while any fault is active, recovery after the last
// revert.
type Window struct {
	Phase string    `json:"phase"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// phaseOf names the phase of a request sent at t: the window holding t; in a
// gap, the window before it; before all windows, the first; with no windows,
// baseline (no fault is active).
func phaseOf(windows []Window, t time.Time) string {
	if len(windows) == 0 {
		return PhaseBaseline
	}
	name := windows[0].Phase
	for _, w := range windows {
		if t.Before(w.Start) {
			break
		}
		name = w.Phase
		if t.Before(w.End) {
			break
		}
	}
	return name
}

// Progress is the cumulative state of a load run, across attempts. It is
// compact (histograms and counters, never per-request data) and
// JSON-serialisable: the activity heartbeats it and passes the last one back
// as Options.Resume after a retry.
type Progress struct {
	// Started is when the first attempt began sending.
	Started time.Time `json:"started"`
	// Elapsed is how much of the schedule has been sent, over all attempts.
	Elapsed experiment.Duration `json:"elapsed"`
	// Sent is the next {{seq}}: requests issued, plus two seconds' worth
	// skipped at each resume so that no number repeats after a crash.
	Sent uint64 `json:"sent"`
	// Attempts counts the runs that contributed.
	Attempts int `json:"attempts"`
	// Phases holds the metrics of completed requests by phase, in the order
	// phases were first seen.
	Phases []PhaseStats `json:"phases"`
	// Series is the time series for plots.
	Series experiment.LoadSeries `json:"series"`
	// K6 is the latest progress line of a k6 run.
	K6 string `json:"k6,omitempty"`

	// With a timeline (Options.Timeline):

	// Unsettled, in a heartbeat, are the completed requests whose phase
	// the timeline had not settled yet, by planned phase: a retry resuming
	// from it adds them to Phases by their planned phase (counted in
	// ByPlan). Empty in a final report.
	Unsettled []PhaseStats `json:"unsettled,omitempty"`
	// ByPlan counts requests attributed by the planned windows although a
	// timeline was given: it could not be read for timelineStale, or they
	// were unsettled in the heartbeat a retry resumed from.
	ByPlan int64 `json:"byPlan,omitempty"`
	// Provisional counts requests attributed by a timeline that had not
	// settled their send time: waiting too long (maxWait), past the
	// buffer's cap, or at the end of the load after settleWait.
	Provisional int64 `json:"provisional,omitempty"`
	// TimelineErrors counts the failed reads of the timeline.
	TimelineErrors int64 `json:"timelineErrors,omitempty"`
}

// resumeUnsettled adds the unsettled requests of a heartbeat to their
// planned phase.
func (p *Progress) resumeUnsettled() {
	for i := range p.Unsettled {
		u := &p.Unsettled[i]
		p.stats(u.Phase).Merge(&u.Stats)
		p.ByPlan += u.Stats.Requests
	}
	p.Unsettled = nil
}

// PhaseStats are the metrics of one phase.
type PhaseStats struct {
	Phase string `json:"phase"`
	Stats Stats  `json:"stats"`
}

// stats returns the phase's metrics, adding the phase if new.
func (p *Progress) stats(phase string) *Stats {
	for i := range p.Phases {
		if p.Phases[i].Phase == phase {
			return &p.Phases[i].Stats
		}
	}
	p.Phases = append(p.Phases, PhaseStats{Phase: phase})
	return &p.Phases[len(p.Phases)-1].Stats
}

// merge adds o's metrics (phases and series) into p.
func (p *Progress) merge(o *Progress) {
	for i := range o.Phases {
		p.stats(o.Phases[i].Phase).Merge(&o.Phases[i].Stats)
	}
	seriesMerge(&p.Series, o.Series)
}

// Total merges all phases.
func (p *Progress) Total() Stats {
	var t Stats
	for i := range p.Phases {
		t.Merge(&p.Phases[i].Stats)
	}
	return t
}

// Clone returns an independent copy, safe to hand to another goroutine.
func (p *Progress) Clone() Progress {
	c := *p
	c.Phases = make([]PhaseStats, len(p.Phases))
	for i, ph := range p.Phases {
		c.Phases[i] = PhaseStats{Phase: ph.Phase, Stats: ph.Stats.Clone()}
	}
	c.Series = seriesClone(p.Series)
	c.Unsettled = nil
	for _, u := range p.Unsettled {
		c.Unsettled = append(c.Unsettled, PhaseStats{Phase: u.Phase, Stats: u.Stats.Clone()})
	}
	return c
}
