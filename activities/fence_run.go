package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/fault"
)

// ErrRunNotFound: Temporal knows no such run (another server or namespace,
// or its history was deleted after retention). Callers must not read it as
// "closed": a worker's state dir may hold injections of another server.
var ErrRunNotFound = errors.New("run not found")

// Run is what Temporal says of an experiment run.
type Run struct {
	// Closed: the run has ended (completed, failed, canceled, terminated,
	// timed out); for a run that continued as new, the newest run of its
	// chain has.
	Closed bool
	// Status is Temporal's status name, e.g. "Running", "Terminated".
	Status string
	// ClosedAt is when the run ended, by the server's clock (zero while it runs).
	ClosedAt time.Time
}

// RunStatus asks Temporal whether run has ended.
func RunStatus(ctx context.Context, c client.Client, run fault.Run) (Run, error) {
	info, err := describe(ctx, c, run.WorkflowID, run.RunID)
	if err != nil {
		return Run{}, err
	}
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
		// The chain goes on in the newest run; its faults are the chain's.
		if info, err = describe(ctx, c, run.WorkflowID, ""); err != nil {
			return Run{}, err
		}
	}
	st := info.GetStatus()
	out := Run{Closed: st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, Status: st.String()}
	if out.Closed && info.GetCloseTime() != nil {
		out.ClosedAt = info.GetCloseTime().AsTime()
	}
	return out, nil
}

func describe(ctx context.Context, c client.Client, workflowID, runID string) (*workflowpb.WorkflowExecutionInfo, error) {
	resp, err := c.DescribeWorkflowExecution(ctx, workflowID, runID)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("workflow %s run %s: %w", workflowID, runID, ErrRunNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("describe workflow %s run %s: %w", workflowID, runID, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED {
		return nil, fmt.Errorf("workflow %s run %s: no status", workflowID, runID)
	}
	return info, nil
}
