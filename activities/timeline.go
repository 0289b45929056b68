package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
)

// TimelineQuery is the name of the query that ExperimentWorkflow and every
// FaultWorkflow answer with their experiment.Timeline (workflows.QueryTimeline).
const TimelineQuery = "timeline"

// TimelineSource names the workflows whose timelines, merged, say what a
// run's faults actually did: the experiment's own execution and the
// fault workflows of its repeating faults (queried by workflow ID with an
// empty run ID, since they continue as new).
type TimelineSource struct {
	WorkflowID       string   `json:"workflowId"`
	RunID            string   `json:"runId"`
	FaultWorkflowIDs []string `json:"faultWorkflowIds,omitempty"`
}

// TimelineReader reads one workflow's timeline. Implementations must return
// when ctx is done.
type TimelineReader interface {
	Timeline(ctx context.Context, workflowID, runID string) (experiment.Timeline, error)
}

// TemporalTimelines reads timelines with the "timeline" query.
type TemporalTimelines struct {
	Client client.Client
}

var _ TimelineReader = TemporalTimelines{}

// Timeline queries workflowID (runID empty: its latest run).
func (r TemporalTimelines) Timeline(ctx context.Context, workflowID, runID string) (experiment.Timeline, error) {
	var tl experiment.Timeline
	v, err := r.Client.QueryWorkflow(ctx, workflowID, runID, TimelineQuery)
	if err != nil {
		return tl, fmt.Errorf("query %s of workflow %s: %w", TimelineQuery, workflowID, err)
	}
	if err := v.Get(&tl); err != nil {
		return tl, fmt.Errorf("decode %s of workflow %s: %w", TimelineQuery, workflowID, err)
	}
	return tl, nil
}

// timelineQueryTimeout bounds one read of a source's timelines.
const timelineQueryTimeout = 2 * time.Second

// readTimeline reads and merges every timeline of src, each answer
// received at the time its query returned (see experiment's
// Timeline.Received). A fault workflow
// that does not exist (not started yet) adds nothing: the experiment's own
// timeline holds SettledUntil back until its injections are scheduled.
func (a *Activities) readTimeline(ctx context.Context, src *TimelineSource) (experiment.Timeline, error) {
	ctx, cancel := context.WithTimeout(ctx, timelineQueryTimeout)
	defer cancel()
	main, err := a.Timelines.Timeline(ctx, src.WorkflowID, src.RunID)
	if err != nil {
		return experiment.Timeline{}, err
	}
	parts := []experiment.Timeline{main.Received(time.Now())}
	for _, id := range src.FaultWorkflowIDs {
		tl, err := a.Timelines.Timeline(ctx, id, "")
		var missing *serviceerror.NotFound
		if errors.As(err, &missing) {
			continue
		}
		if err != nil {
			return experiment.Timeline{}, err
		}
		parts = append(parts, tl.Received(time.Now()))
	}
	return experiment.MergeTimelines(parts...), nil
}

// timelineFunc returns how an activity reads src, or nil when it cannot
// (no source: a run started by older code; or no reader on this worker),
// in which case the planned windows are used.
func (a *Activities) timelineFunc(src *TimelineSource) func(context.Context) (experiment.Timeline, error) {
	if src == nil || a.Timelines == nil {
		return nil
	}
	return func(ctx context.Context) (experiment.Timeline, error) { return a.readTimeline(ctx, src) }
}
