package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// corpus reads a recorded history of the workflows' replay corpus.
func corpus(t *testing.T, name string) []*historypb.HistoryEvent {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "workflows", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return h.GetEvents()
}

// resultOf is the Result a recorded run ended with: the completion's
// result, or the details of its failure (a verdict other than Passed).
func resultOf(t *testing.T, events []*historypb.HistoryEvent) experiment.Result {
	t.Helper()
	var res experiment.Result
	last := events[len(events)-1]
	var data []byte
	if a := last.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
		data = firstPayload(a.GetResult().GetPayloads())
	} else if a := last.GetWorkflowExecutionFailedEventAttributes(); a != nil {
		data = firstPayload(a.GetFailure().GetApplicationFailureInfo().GetDetails().GetPayloads())
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("result of the recorded run: %v", err)
	}
	return res
}

func TestParseHistoryRevertFailed(t *testing.T) {
	evs := corpus(t, "r2-2ef6a23-revert-failed.json")
	h := ParseHistory(evs)
	if len(h.Injections) != 1 {
		t.Fatalf("injections %+v, want 1", h.Injections)
	}
	in := h.Injections[0]
	if in.Fault != "kill-target" || in.N != 1 || !strings.HasPrefix(in.Target, "pid/") {
		t.Errorf("injection %+v", in)
	}
	if in.Summary != "inject kill-target into "+in.Target || in.RevertSummary != "revert kill-target on "+in.Target {
		t.Errorf("summaries %q, %q", in.Summary, in.RevertSummary)
	}
	if in.Scheduled.IsZero() || in.At.Before(in.Scheduled) || in.RevertStarted.Before(in.At) {
		t.Errorf("times: scheduled %v, took effect %v, revert scheduled %v", in.Scheduled, in.At, in.RevertStarted)
	}
	if in.RevertError == "" || !in.RevertedAt.IsZero() {
		t.Errorf("revert: error %q, done at %v; want a failure", in.RevertError, in.RevertedAt)
	}
	res := resultOf(t, evs)
	tl := BuildTimeline(res, h)
	if len(tl.Injections) != 1 || !tl.Injections[0].At.Equal(res.Faults[0].Held[0].At) || tl.Injections[0].Planned != res.Faults[0].Held[0].Planned {
		t.Errorf("timeline %+v, held %+v", tl.Injections, res.Faults[0].Held)
	}
	kinds := ""
	for _, e := range tl.Events() {
		kinds += e.Kind + " "
	}
	if !strings.Contains(kinds, "inject revert-failed") {
		t.Errorf("events %q, want an inject then a failed revert", kinds)
	}
}

// TestParseHistoryRepeatingFault: the injections of a repeating fault are
// in its FaultWorkflow's history, found through the experiment's.
func TestParseHistoryRepeatingFault(t *testing.T) {
	parent := ParseHistory(corpus(t, "r2-2ef6a23-repeating-with-probes.json"))
	if len(parent.Children) != 1 || parent.Children[0].WorkflowID == "" {
		t.Fatalf("children %+v, want the fault workflow", parent.Children)
	}
	child := ParseHistory(corpus(t, "r2-2ef6a23-repeating-with-probes-fault-0-run-0.json"))
	res := resultOf(t, corpus(t, "r2-2ef6a23-repeating-with-probes.json"))
	tl := BuildTimeline(res, parent, child)
	f := res.Faults[0]
	if len(tl.Injections) != f.Injections || f.Injections < 2 {
		t.Fatalf("%d injections in the timeline, the result counts %d", len(tl.Injections), f.Injections)
	}
	for i, in := range tl.Injections {
		if in.N != i+1 || in.At.IsZero() || in.RevertedAt.IsZero() || in.Summary == "" || in.RevertSummary == "" {
			t.Errorf("injection %d: %+v", i, in)
		}
		if i > 0 && in.At.Before(tl.Injections[i-1].RevertedAt) {
			t.Errorf("injection %d took effect before the previous one was reverted", i)
		}
	}
	if len(tl.Probes) == 0 {
		t.Fatal("no probe activities")
	}
	for _, p := range tl.Probes {
		if p.Probe == "" || p.Start.IsZero() || p.End.Before(p.Start) {
			t.Errorf("probe %+v", p)
		}
	}
}

// TestParseHistoryOmittedHeld: injections past MaxHeldRecords, which the
// Result leaves out of Held, come from the history.
func TestParseHistoryOmittedHeld(t *testing.T) {
	child := ParseHistory(corpus(t, "r2-2ef6a23-repeating-with-probes-fault-0-run-0.json"))
	res := resultOf(t, corpus(t, "r2-2ef6a23-repeating-with-probes.json"))
	full := len(BuildTimeline(res, child).Injections)
	res.Faults[0].HeldOmitted = 1
	res.Faults[0].Held = res.Faults[0].Held[1:]
	tl := BuildTimeline(res, child)
	if len(tl.Injections) != full || tl.Injections[0].N != 1 || tl.Injections[0].At.IsZero() || tl.Injections[0].Held <= 0 {
		t.Fatalf("timeline %+v, want injection 1 from history", tl.Injections)
	}
}

// TestMirrorsReadTheActivityTypes: the local mirrors decode what the
// activities' real types encode.
func TestMirrorsReadTheActivityTypes(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	req := fault.Request{Fault: experiment.Fault{Name: "f"}, Target: experiment.Target{ID: "pid/1"}, Injection: 3}
	b, _ := json.Marshal(activities.RevertInput{Request: req})
	var ri revertInput
	if err := json.Unmarshal(b, &ri); err != nil || ri.Request.Fault.Name != "f" || ri.Request.Target.ID != "pid/1" || ri.Request.Injection != 3 {
		t.Errorf("revert input %+v, %v", ri, err)
	}
	b, _ = json.Marshal(activities.InjectResult{At: now})
	var ir injectResult
	if err := json.Unmarshal(b, &ir); err != nil || !ir.At.Equal(now) {
		t.Errorf("inject result %+v, %v", ir, err)
	}
	b, _ = json.Marshal(activities.CheckInput{Probe: experiment.Probe{Name: "p", Mode: experiment.ModeEOT}})
	var pi probeInput
	if err := json.Unmarshal(b, &pi); err != nil || pi.Probe.Name != "p" || pi.Probe.Mode != experiment.ModeEOT {
		t.Errorf("probe input %+v, %v", pi, err)
	}
	b, _ = json.Marshal(activities.WatchResult{Result: experiment.ProbeResult{Name: "p", Observations: 4}})
	var wr watchResult
	if err := json.Unmarshal(b, &wr); err != nil || wr.Result.Observations != 4 {
		t.Errorf("watch result %+v, %v", wr, err)
	}
}
