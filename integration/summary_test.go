package integration

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/workflows"
)

// A Failed experiment is a failed workflow for Temporal (what the UI's
// list, its Failures count and `temporal workflow list` show), its result
// still reaches starter, and its history reads as what it did.
func TestFailedRunIsAFailedWorkflowWithAReadableHistory(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	const queue = "it-summary"
	e.inProcessWorker(t, queue)
	tg := startTarget(t, targetBin)
	exp := decode(t, killSpec(tg, time.Second, nil)) // no restart: the EOT probe fails
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != experiment.VerdictFailed || len(res.Reasons) == 0 {
		t.Fatalf("verdict %s, reasons %v; want Failed with reasons", res.Verdict, res.Reasons)
	}
	d, err := e.c.DescribeWorkflowExecution(ctx, run.ID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Fatalf("workflow status %s, want FAILED", st)
	}

	h := fetchHistory(t, e.c, run.ID, run.RunID)
	var timers, injects, reverts []string
	var failure string
	for _, ev := range h.Events {
		s := summaryOf(t, ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			timers = append(timers, s)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			switch ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() {
			case "Inject":
				injects = append(injects, s)
			case "Revert":
				reverts = append(reverts, s)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			f := ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()
			failure = f.GetMessage()
			if tp := f.GetApplicationFailureInfo().GetType(); tp != workflows.VerdictErrorType {
				t.Errorf("failure type %q, want %q", tp, workflows.VerdictErrorType)
			}
		}
	}
	if !strings.HasPrefix(failure, "Failed: ") || !strings.Contains(failure, "serving-after") {
		t.Errorf("failure message %q, want the verdict and the failed probe", failure)
	}
	if !slices.Contains(timers, "hold kill-target for 1s") {
		t.Errorf("timer summaries %q, want one holding kill-target for 1s", timers)
	}
	if len(injects) != 1 || !strings.HasPrefix(injects[0], "inject kill-target into pid/") {
		t.Errorf("inject summaries %q", injects)
	}
	if len(reverts) != 1 || !strings.HasPrefix(reverts[0], "revert kill-target on pid/") {
		t.Errorf("revert summaries %q", reverts)
	}
}

func summaryOf(t *testing.T, ev *historypb.HistoryEvent) string {
	p := ev.GetUserMetadata().GetSummary()
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		t.Fatalf("event %d: summary: %v", ev.GetEventId(), err)
	}
	return s
}
