package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// QueryTimeline answers experiment.Timeline: what the run's faults actually
// did so far. ExperimentWorkflow answers for its single-injection faults,
// each FaultWorkflow for its own fault; load and OnChaos probes judge their
// phases and windows from it.
const QueryTimeline = activities.TimelineQuery

// timeline is what the run's injections actually did: state only, it adds
// no command, so it changes nothing a replay compares.
type timeline struct {
	first     time.Time
	intervals []experiment.Interval
	// inflight holds when each inject or revert in flight was scheduled.
	inflight []inflight
	nextID   int
	done     bool
}

type inflight struct {
	id int
	at time.Time
}

// begin records an inject or revert scheduled now; end with its id.
func (t *timeline) begin(now time.Time) int {
	t.nextID++
	t.inflight = append(t.inflight, inflight{id: t.nextID, at: now})
	return t.nextID
}

func (t *timeline) end(id int) {
	for i, f := range t.inflight {
		if f.id == id {
			t.inflight = append(t.inflight[:i], t.inflight[i+1:]...)
			return
		}
	}
}

// injected records an injection that took effect at and returns its index.
func (t *timeline) injected(fault string, n int, target string, at time.Time) int {
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
	t.intervals = append(t.intervals, experiment.Interval{Fault: fault, Injection: n, Target: target, From: at})
	return len(t.intervals) - 1
}

func (t *timeline) reverted(i int, at time.Time) {
	if i >= 0 && i < len(t.intervals) {
		t.intervals[i].To = at
	}
}

// answer is the query's answer as of the workflow's latest task at now.
func (t *timeline) answer(now time.Time) experiment.Timeline {
	out := experiment.Timeline{First: t.first, Intervals: append([]experiment.Interval(nil), t.intervals...), Done: t.done}
	settled := now
	for _, f := range t.inflight {
		if f.at.Before(settled) {
			settled = f.at
		}
	}
	open, lastTo := false, time.Time{}
	for _, iv := range t.intervals {
		if iv.To.IsZero() {
			open = true
		} else if iv.To.After(lastTo) {
			lastTo = iv.To
		}
	}
	gap := !t.done && !open && len(t.intervals) > 0
	if gap && lastTo.Before(settled) {
		settled = lastTo
	}
	out.SettledUntil = settled
	out.Quiet = len(t.inflight) == 0 && !gap
	return out
}

func (r *run) registerTimelineQuery(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryTimeline, func() (experiment.Timeline, error) {
		return r.timeline.answer(workflow.Now(ctx)), nil
	}); err != nil {
		return fmt.Errorf("register timeline query: %w", err)
	}
	return nil
}

// timelineSource is where the load and OnChaos probes read what the
// faults actually did (from versionNormalized on; nil: the planned
// windows, as older runs used).
func (r *run) timelineSource() *activities.TimelineSource {
	if r.version < versionNormalized {
		return nil
	}
	src := &activities.TimelineSource{WorkflowID: r.info.WorkflowID, RunID: r.info.RunID}
	for i, fp := range r.plan.Faults {
		if fp.Injections > 1 {
			src.FaultWorkflowIDs = append(src.FaultWorkflowIDs, FaultWorkflowID(r.exp.Metadata.Name, r.info.RunID, i))
		}
	}
	return src
}

// recordHeld adds one injection's record to its fault's result, keeping
// the latest experiment.MaxHeldRecords.
func (r *run) recordHeld(fi int, rec experiment.Injection) {
	f := &r.faults[fi]
	if len(f.Held) >= experiment.MaxHeldRecords {
		f.Held = append(f.Held[:0], f.Held[1:]...)
		f.HeldOmitted++
	}
	f.Held = append(f.Held, rec)
}

// recoveries sets each fault's recovery time: from its last revert to the
// first passing observation of the EOT probe that passed last. Unknown
// when an end probe failed or none ran.
func recoveries(faults []experiment.FaultResult, probes []experiment.ProbeResult, plans []ProbePlan, spec []experiment.Probe) {
	var back time.Time
	for i, p := range spec {
		if i >= len(plans) || !plans[i].AtEnd {
			continue
		}
		for _, res := range probes {
			if res.Name != p.Name {
				continue
			}
			if !res.Passed || res.Last == nil {
				return
			}
			if res.Last.At.After(back) {
				back = res.Last.At
			}
		}
	}
	if back.IsZero() {
		return
	}
	for i := range faults {
		held := faults[i].Held
		if len(held) == 0 || held[len(held)-1].RevertedAt.IsZero() {
			continue
		}
		faults[i].Recovery = max(back.Sub(held[len(held)-1].RevertedAt), 0)
		faults[i].RecoveryKnown = true
	}
}
