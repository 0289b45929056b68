package starter

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/load"
	"github.com/tempest-chaos/tempest/workflows"
)

// Description is what the Temporal server itself knows of a run: reading
// it needs no worker, unlike the status query.
type Description struct {
	WorkflowID string
	RunID      string
	// Status is Temporal's execution status: "Running", "Completed",
	// "Failed", "Canceled", "Terminated", "TimedOut", "ContinuedAsNew".
	Status    string
	Running   bool
	StartTime time.Time
	// CloseTime is zero while the run is open.
	CloseTime time.Time
	// Probes are the aggregates of the probes being watched, as their
	// activities last heartbeated them (the server keeps a heartbeat every
	// few seconds, so they lag by up to that).
	Probes []experiment.ProbeResult
	// Load is the load's progress as its activity last heartbeated it; nil
	// when no load runs (or it has not heartbeated yet).
	Load *load.Progress
	// Children are the workflow IDs of the run's open child workflows (the
	// FaultWorkflows of repeating faults).
	Children []string
}

// Activity type names whose heartbeat details Describe reads (the methods
// of activities.Activities, registered by name).
const (
	activityWatchProbe   = "WatchProbe"
	activityGenerateLoad = "GenerateLoad"
)

// Describe asks the server (not a worker) about the run, and decodes what
// its watched probes and load last heartbeated. A heartbeat it cannot
// decode is skipped: it is progress, never needed for the verdict.
func (r *Run) Describe(ctx context.Context) (Description, error) {
	resp, err := r.c.DescribeWorkflowExecution(ctx, r.ID, r.RunID)
	if err != nil {
		return Description{}, fmt.Errorf("describe %s: %w", r.ID, err)
	}
	info := resp.GetWorkflowExecutionInfo()
	d := Description{
		WorkflowID: info.GetExecution().GetWorkflowId(),
		RunID:      info.GetExecution().GetRunId(),
		Status:     info.GetStatus().String(),
		Running:    info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}
	if t := info.GetStartTime(); t != nil {
		d.StartTime = t.AsTime()
	}
	if t := info.GetCloseTime(); t != nil && !d.Running {
		d.CloseTime = t.AsTime()
	}
	for _, c := range resp.GetPendingChildren() {
		d.Children = append(d.Children, c.GetWorkflowId())
	}
	dc := converter.GetDefaultDataConverter()
	for _, a := range resp.GetPendingActivities() {
		details := a.GetHeartbeatDetails()
		if details == nil || len(details.GetPayloads()) == 0 {
			continue
		}
		switch a.GetActivityType().GetName() {
		case activityWatchProbe:
			var w activities.WatchResult
			if dc.FromPayload(details.GetPayloads()[0], &w) == nil && w.Result.Name != "" {
				d.Probes = append(d.Probes, w.Result)
			}
		case activityGenerateLoad:
			var p load.Progress
			if dc.FromPayload(details.GetPayloads()[0], &p) == nil {
				d.Load = &p
			}
		}
	}
	return d, nil
}

// Experiment returns the experiment the run was started with (the input
// of its first history event), as the server recorded it.
func (r *Run) Experiment(ctx context.Context) (experiment.Experiment, error) {
	var exp experiment.Experiment
	it := r.c.GetWorkflowHistory(ctx, r.ID, r.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return exp, fmt.Errorf("read the start of %s: empty history", r.ID)
	}
	ev, err := it.Next()
	if err != nil {
		return exp, fmt.Errorf("read the start of %s: %w", r.ID, err)
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
		return exp, fmt.Errorf("read the start of %s: no experiment in its first event", r.ID)
	}
	if err := converter.GetDefaultDataConverter().FromPayload(attrs.GetInput().GetPayloads()[0], &exp); err != nil {
		return exp, fmt.Errorf("read the experiment of %s: %w", r.ID, err)
	}
	return exp, nil
}

// Timeline is what the run's faults did so far: the timeline query of the
// run and of each of children (its open FaultWorkflows, from Describe),
// their intervals together. Like the status query, it needs a worker.
func (r *Run) Timeline(ctx context.Context, children []string) (experiment.Timeline, error) {
	var tl experiment.Timeline
	if err := r.queryTimeline(ctx, r.ID, r.RunID, &tl); err != nil {
		return tl, err
	}
	for _, id := range children {
		var child experiment.Timeline
		if err := r.queryTimeline(ctx, id, "", &child); err != nil {
			return tl, err
		}
		tl.Intervals = append(tl.Intervals, child.Intervals...)
		if !child.First.IsZero() && (tl.First.IsZero() || child.First.Before(tl.First)) {
			tl.First = child.First
		}
		tl.Done = tl.Done && child.Done
	}
	return tl, nil
}

func (r *Run) queryTimeline(ctx context.Context, id, runID string, tl *experiment.Timeline) error {
	v, err := r.c.QueryWorkflow(ctx, id, runID, workflows.QueryTimeline)
	if err != nil {
		return fmt.Errorf("query timeline of %s: %w", id, err)
	}
	return v.Get(tl)
}
