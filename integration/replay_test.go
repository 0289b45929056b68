package integration

import (
	"context"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/workflows"
)

// fetchHistory reads a run's whole history.
func fetchHistory(t testing.TB, c client.Client, id, runID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// replay checks that the current workflow code replays h deterministically.
// Histories for the workflows package's replay corpus are recorded by
// TestCorpusScenarios, once, never over an existing file.
func replay(t *testing.T, h *historypb.History) {
	t.Helper()
	r := sdkworker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.ExperimentWorkflow, workflow.RegisterOptions{Name: workflows.ExperimentWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.FaultWorkflow, workflow.RegisterOptions{Name: workflows.FaultWorkflowName})
	if err := r.ReplayWorkflowHistory(nil, h); err != nil {
		t.Fatalf("replay: %v", err)
	}
}
