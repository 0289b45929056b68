package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/experiment"
)

// Summaries make a history read as what the experiment did: the Temporal
// UI and CLI show them beside every timer, activity and child workflow
// ("hold kill-target #3 for 5s", "inject kill-target #3 into pid/21208").
// They are metadata only: a replay does not compare them, so changing their
// wording is not a workflow change.

// summarize returns ctx whose next activities carry summary s.
func summarize(ctx workflow.Context, format string, args ...any) workflow.Context {
	o := workflow.GetActivityOptions(ctx)
	o.Summary = oneLine(fmt.Sprintf(format, args...))
	return workflow.WithActivityOptions(ctx, o)
}

// sleepFor waits on a durable timer whose summary says what it waits for;
// false when ctx was cancelled.
func sleepFor(ctx workflow.Context, d time.Duration, format string, args ...any) bool {
	if d > 0 {
		t := workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: oneLine(fmt.Sprintf(format, args...))})
		if err := t.Get(ctx, nil); err != nil {
			return false
		}
	}
	return ctx.Err() == nil
}

// oneLine keeps a summary to one short line (the UI shows one line; the
// server caps metadata size).
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 200
	if len(s) > max {
		s = s[:max-1] + "…"
	}
	return s
}

// injectionName names injection n (counted from 1) of fault f; a fault
// injected once is just its name.
func injectionName(f experiment.Fault, fp FaultPlan, n int) string {
	if fp.Injections > 1 {
		return fmt.Sprintf("%s #%d", f.Name, n)
	}
	return f.Name
}

// faultSummary is the static summary of a fault's child workflow.
func faultSummary(f experiment.Fault, fp FaultPlan) string {
	return oneLine(fmt.Sprintf("fault %s: %d injections every %s, each held %s", f.Name, fp.Injections, fp.Interval, fp.Hold))
}

// injectionOf names the injection e reverts, for summaries.
func (r *run) injectionOf(e *revertEntry) string {
	fp := FaultPlan{Injections: 1}
	if e.fault < len(r.plan.Faults) {
		fp = r.plan.Faults[e.fault]
	}
	return injectionName(e.req.Fault, fp, e.req.Injection)
}

// loadRate says how a load's arrival rate is set.
func loadRate(l *experiment.Load) string {
	switch {
	case l.Rate != "":
		return "at " + l.Rate
	case len(l.Stages) > 0:
		return fmt.Sprintf("in %d stages", len(l.Stages))
	default:
		return "by its k6 script"
	}
}

// faultDone is a finished FaultWorkflow's current details.
func faultDone(experimentName string, out FaultOutput) string {
	s := fmt.Sprintf("**%s** — fault %s done: %d injections, %d reverted", experimentName, out.Fault.Name, out.Fault.Injections, out.Fault.Reverts)
	if len(out.LeftBehind) > 0 {
		s += fmt.Sprintf(", **%d may be left behind**", len(out.LeftBehind))
	}
	if out.Stopped != "" {
		s += "; stopped: " + out.Stopped
	}
	return s
}
