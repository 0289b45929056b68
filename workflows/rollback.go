package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

type revertStatus int

const (
	revertPending revertStatus = iota
	revertRunning
	revertDone
	revertFailed
)

// revertEntry is the revert one injection pushed.
type revertEntry struct {
	fault  int
	req    fault.Request
	state  fault.State
	status revertStatus
	// uncertain: the inject's outcome is unknown (it timed out or was
	// cancelled), so it is reverted to be safe.
	uncertain bool
	// at is when the inject took effect (zero: unknown); hold is the
	// planned hold; interval indexes the run's timeline (-1: none).
	at       time.Time
	hold     time.Duration
	interval int
}

func (e *revertEntry) describe() string {
	return fmt.Sprintf("%s: %s", e.req.Fault.Name, e.req.Target.ID)
}

// revertStack holds every injection's revert, in the order they were pushed.
type revertStack struct {
	entries []*revertEntry
}

func (s *revertStack) push(e *revertEntry) { s.entries = append(s.entries, e) }

func (s *revertStack) pendingDescriptions() []string {
	out := []string{}
	for i := len(s.entries) - 1; i >= 0; i-- {
		if e := s.entries[i]; e.status == revertPending || e.status == revertRunning {
			out = append(out, e.describe())
		}
	}
	return out
}

func (s *revertStack) activeFaults() []string {
	out := []string{}
	for _, e := range s.entries {
		if e.status != revertPending && e.status != revertRunning {
			continue
		}
		name := e.req.Fault.Name
		if len(out) == 0 || out[len(out)-1] != name {
			out = append(out, name)
		}
	}
	return out
}

// revert runs one entry's revert once, under a context disconnected from
// ctx (so no abort or cancellation interrupts it), and records its outcome.
// It returns when the revert succeeded or gave up.
func (r *run) revert(ctx workflow.Context, e *revertEntry) {
	if e.status != revertPending {
		return
	}
	e.status = revertRunning
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	ctx = revertCtx(ctx, r.targetRoute(e.req.Fault, e.req.Target), r.exp.Spec.Rollback)
	ctx = summarize(ctx, "revert %s on %s", r.injectionOf(e), e.req.Target.ID)
	var a *activities.Activities
	var at time.Time
	id := r.timeline.begin(workflow.Now(ctx))
	err := workflow.ExecuteActivity(ctx, a.Revert, activities.RevertInput{Request: e.req, State: e.state}).Get(ctx, &at)
	r.timeline.end(id)
	r.recordRevert(e, at, err == nil)
	if err != nil {
		e.status = revertFailed
		r.revertFailed = true
		r.leftBehind = append(r.leftBehind, e.describe())
		r.faults[e.fault].LeftBehind = append(r.faults[e.fault].LeftBehind, e.req.Target.ID)
		r.errors = append(r.errors, fmt.Sprintf("revert of %s failed, it may be left behind: %s", e.describe(), reason(err)))
		return
	}
	e.status = revertDone
	r.faults[e.fault].Reverts++
}

// recordRevert records how long e's injection was in place. From
// versionNormalized on, an injection held for less than minHeldShare of
// its hold while nothing stopped the run is an engine error: the
// experiment did not test what it says.
func (r *run) recordRevert(e *revertEntry, at time.Time, ok bool) {
	rec := experiment.Injection{N: e.req.Injection, Target: e.req.Target.ID, At: e.at, Planned: e.hold}
	if ok {
		rec.RevertedAt = at
		r.timeline.reverted(e.interval, at)
	}
	if ok && !e.at.IsZero() {
		rec.Held = at.Sub(e.at)
		if rec.Held < e.hold {
			rec.CutShort = r.stopReason
			if rec.CutShort == "" {
				rec.CutShort = "reverted before its hold had passed"
			}
		}
		if r.version >= versionNormalized && r.stopReason == "" && float64(rec.Held) < minHeldShare*float64(e.hold) {
			r.errors = append(r.errors, fmt.Sprintf("fault not held as specified: %s was in place %s of its %s hold",
				e.describe(), rec.Held.Round(time.Millisecond), e.hold))
		}
	}
	r.recordHeld(e.fault, rec)
}

// minHeldShare is the share of its hold an injection must stay in place.
const minHeldShare = 0.8

// rollback reverts every pending entry, newest first. A failing revert is
// recorded and the others still run.
func (r *run) rollback(ctx workflow.Context) {
	r.setPhase(ctx, experiment.PhaseRollback)
	for i := len(r.stack.entries) - 1; i >= 0; i-- {
		r.revert(ctx, r.stack.entries[i])
	}
}
