package worker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/metrics"
	"github.com/tempest-chaos/tempest/workflows"
)

// visibility is a client whose visibility holds running and closed runs,
// and whose closed runs' outcomes are in outcomes by run ID.
type visibility struct {
	client.Client
	running, closed []*workflowpb.WorkflowExecutionInfo
	outcomes        map[string]fakeRun
	queries         []string
}

func (v *visibility) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	v.queries = append(v.queries, req.GetQuery())
	if strings.Contains(req.GetQuery(), "ExecutionStatus = 'Running'") {
		return &workflowservice.ListWorkflowExecutionsResponse{Executions: v.running}, nil
	}
	return &workflowservice.ListWorkflowExecutionsResponse{Executions: v.closed}, nil
}

func (v *visibility) GetWorkflow(_ context.Context, _, runID string) client.WorkflowRun {
	return v.outcomes[runID]
}

type fakeRun struct {
	client.WorkflowRun
	res experiment.Result
	err error
}

func (r fakeRun) Get(_ context.Context, ptr any) error {
	if r.err != nil {
		return r.err
	}
	*ptr.(*experiment.Result) = r.res
	return nil
}

// watched records what the watch reported.
type watched struct {
	metrics.Nop
	running []map[string]int
	closed  []metrics.ClosedRun
}

func (w *watched) ExperimentsRunning(r map[string]int)  { w.running = append(w.running, r) }
func (w *watched) ExperimentClosed(r metrics.ClosedRun) { w.closed = append(w.closed, r) }

func execution(t *testing.T, runID, name, verdict string, status enumspb.WorkflowExecutionStatus, start time.Time, took time.Duration) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	attrs := map[string]*commonpb.Payload{}
	for k, v := range map[string]string{workflows.AttrExperiment.GetName(): name, workflows.AttrVerdict.GetName(): verdict} {
		if v == "" {
			continue
		}
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		attrs[k] = p
	}
	e := &workflowpb.WorkflowExecutionInfo{
		Execution:        &commonpb.WorkflowExecution{WorkflowId: "tempest-" + name + "-" + runID, RunId: runID},
		Status:           status,
		StartTime:        timestamppb.New(start),
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: attrs},
	}
	if took > 0 {
		e.CloseTime = timestamppb.New(start.Add(took))
	}
	return e
}

func TestExperimentWatch(t *testing.T) {
	start := time.Now()
	failed := experiment.Result{Experiment: "kill-api", Verdict: experiment.VerdictFailed, ResilienceScore: 40}
	v := &visibility{
		running: []*workflowpb.WorkflowExecutionInfo{
			execution(t, "r0", "kill-api", "", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, start, 0),
			execution(t, "r00", "kill-api", "", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, start, 0),
			execution(t, "r01", "drain", "", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, start, 0),
		},
		outcomes: map[string]fakeRun{
			"r1": {res: experiment.Result{Experiment: "kill-api", Verdict: experiment.VerdictPassed, ResilienceScore: 90}},
			"r2": {err: temporal.NewNonRetryableApplicationError("Failed", workflows.VerdictErrorType, nil, failed)},
			"r3": {err: errors.New("terminated")},
		},
	}
	got := &watched{}
	w := &ExperimentWatch{Client: v, Namespace: "default", Metrics: got}
	if err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(got.running) != 1 || got.running[0]["kill-api"] != 2 || got.running[0]["drain"] != 1 || len(got.closed) != 0 {
		t.Fatalf("running %v, closed %v", got.running, got.closed)
	}

	v.running = nil
	v.closed = []*workflowpb.WorkflowExecutionInfo{
		execution(t, "r1", "kill-api", "Passed", enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, start, 30*time.Second),
		execution(t, "r2", "kill-api", "Failed", enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, start, 40*time.Second),
		execution(t, "r3", "drain", "", enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, start, 5*time.Second),
	}
	for range 2 { // the second look reports nothing again
		if err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	want := []metrics.ClosedRun{
		{RunID: "r1", Experiment: "kill-api", Verdict: "Passed", Duration: 30 * time.Second, Score: 90, HasScore: true},
		{RunID: "r2", Experiment: "kill-api", Verdict: "Failed", Duration: 40 * time.Second, Score: 40, HasScore: true},
		{RunID: "r3", Experiment: "drain", Verdict: "Terminated", Duration: 5 * time.Second},
	}
	if len(got.closed) != len(want) {
		t.Fatalf("closed %+v, want %+v", got.closed, want)
	}
	for i := range want {
		if got.closed[i] != want[i] {
			t.Errorf("closed[%d] = %+v, want %+v", i, got.closed[i], want[i])
		}
	}
	if last := got.running[len(got.running)-1]; len(last) != 0 {
		t.Errorf("running after all closed: %v", last)
	}
	for _, q := range v.queries {
		if !strings.Contains(q, "WorkflowType = '"+workflows.ExperimentWorkflowName+"'") {
			t.Errorf("query %q lists more than experiments", q)
		}
	}
}
