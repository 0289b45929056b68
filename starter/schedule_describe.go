package starter

import (
	"context"
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

// ScheduleDescription is what a schedule holds and has done.
type ScheduleDescription struct {
	ID string `json:"id"`
	// Kind and Name are the kind and metadata.name of the spec it starts.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// WorkflowType and TaskQueue are those of the runs it starts.
	WorkflowType string `json:"workflowType"`
	TaskQueue    string `json:"taskQueue"`
	// Source is the file the spec it holds was read from, as of its last
	// update with a file; Created is the one it was created with.
	Source  Source `json:"source"`
	Created Source `json:"createdFrom"`
	// Spec is when it acts, as the server holds it (cron expressions are
	// turned into calendars).
	Spec           client.ScheduleSpec `json:"spec"`
	Overlap        Overlap             `json:"overlap"`
	PauseOnFailure bool                `json:"pauseOnFailure"`
	CatchupWindow  time.Duration       `json:"catchupWindow"`
	Paused         bool                `json:"paused"`
	Note           string              `json:"note,omitempty"`
	// NextActionTimes are its next (up to 10) action times.
	NextActionTimes []time.Time `json:"nextActionTimes"`
	// RecentActions are its latest (up to 10) actions, oldest first.
	RecentActions []ScheduledRun `json:"recentActions"`
	// Running are the workflow IDs of the runs it started that still run.
	Running []string `json:"running,omitempty"`
	// Actions counts the actions it took; SkippedOverlap those its overlap
	// policy dropped; MissedCatchupWindow those due while the server was
	// down for longer than the catchup window.
	Actions             int       `json:"actions"`
	SkippedOverlap      int       `json:"skippedOverlap"`
	MissedCatchupWindow int       `json:"missedCatchupWindow"`
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt,omitzero"`
}

// ScheduledRun is one action a schedule took.
type ScheduledRun struct {
	// ScheduledAt is the action's time (with jitter), StartedAt when it
	// was taken.
	ScheduledAt time.Time `json:"scheduledAt"`
	StartedAt   time.Time `json:"startedAt"`
	WorkflowID  string    `json:"workflowId"`
	RunID       string    `json:"runId"`
	// Status and Verdict are the run's now ("" when it cannot be read).
	Status  string `json:"status,omitempty"`
	Verdict string `json:"verdict,omitempty"`
}

// Describe reads the schedule and the state and verdict of its recent
// runs.
func (s *Schedule) Describe(ctx context.Context) (ScheduleDescription, error) {
	d, err := s.h.Describe(ctx)
	if err != nil {
		return ScheduleDescription{}, s.wrap("describe", err)
	}
	out := ScheduleDescription{
		ID:                  s.ID,
		Created:             sourceOf(d.Memo.GetFields()),
		NextActionTimes:     d.Info.NextActionTimes,
		Actions:             d.Info.NumActions,
		SkippedOverlap:      d.Info.NumActionsSkippedOverlap,
		MissedCatchupWindow: d.Info.NumActionsMissedCatchupWindow,
		CreatedAt:           d.Info.CreatedAt,
		UpdatedAt:           d.Info.LastUpdateAt,
		RecentActions:       []ScheduledRun{},
	}
	out.Kind, out.Name = memoString(d.Memo.GetFields(), MemoKind), memoString(d.Memo.GetFields(), MemoName)
	if sp := d.Schedule.Spec; sp != nil {
		out.Spec = *sp
	}
	if p := d.Schedule.Policy; p != nil {
		out.Overlap, out.PauseOnFailure, out.CatchupWindow = overlapOf(p.Overlap), p.PauseOnFailure, p.CatchupWindow
	}
	if st := d.Schedule.State; st != nil {
		out.Paused, out.Note = st.Paused, st.Note
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok {
		out.TaskQueue = a.TaskQueue
		if name, ok := a.Workflow.(string); ok {
			out.WorkflowType = name
		}
		memo := map[string]*commonpb.Payload{}
		for k, v := range a.Memo {
			if p, ok := v.(*commonpb.Payload); ok {
				memo[k] = p
			}
		}
		out.Source = sourceOf(memo)
		if n := memoString(memo, MemoName); n != "" {
			out.Kind, out.Name = memoString(memo, MemoKind), n
		}
	}
	for _, w := range d.Info.RunningWorkflows {
		out.Running = append(out.Running, w.WorkflowID)
	}
	for _, a := range d.Info.RecentActions {
		r := ScheduledRun{ScheduledAt: a.ScheduleTime, StartedAt: a.ActualTime}
		if w := a.StartWorkflowResult; w != nil {
			r.WorkflowID, r.RunID = w.WorkflowID, w.FirstExecutionRunID
			if wd, err := s.c.DescribeWorkflowExecution(ctx, r.WorkflowID, r.RunID); err == nil {
				info := wd.GetWorkflowExecutionInfo()
				r.Status = info.GetStatus().String()
				r.Verdict = worker.Keyword(info.GetSearchAttributes(), workflows.AttrVerdict.GetName())
			}
		}
		out.RecentActions = append(out.RecentActions, r)
	}
	return out, nil
}

func sourceOf(memo map[string]*commonpb.Payload) Source {
	return Source{Path: memoString(memo, MemoFile), SHA256: memoString(memo, MemoSHA256)}
}

func memoString(memo map[string]*commonpb.Payload, key string) string {
	p := memo[key]
	if p == nil {
		return ""
	}
	var s string
	if converter.GetDefaultDataConverter().FromPayload(p, &s) != nil {
		return ""
	}
	return s
}

// ScheduleSummary is one schedule ListSchedules found.
type ScheduleSummary struct {
	ID   string `json:"id"`
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	// WorkflowType is the type of the runs it starts.
	WorkflowType string              `json:"workflowType"`
	Spec         client.ScheduleSpec `json:"spec"`
	Paused       bool                `json:"paused"`
	Note         string              `json:"note,omitempty"`
	// NextActionTimes are its next (up to 5) action times; LastAction the
	// time of its latest action (zero before the first).
	NextActionTimes []time.Time `json:"nextActionTimes"`
	LastAction      time.Time   `json:"lastAction,omitzero"`
	// LastWorkflowID is the run its latest action started.
	LastWorkflowID string `json:"lastWorkflowId,omitempty"`
}

// ListSchedules returns the schedules that start Tempest's workflows,
// as the visibility store has them (it lags changes by a second or so).
func ListSchedules(ctx context.Context, c client.Client) ([]ScheduleSummary, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 500})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	out := []ScheduleSummary{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		if !slices.Contains(listedTypes, e.WorkflowType.Name) {
			continue
		}
		s := ScheduleSummary{
			ID: e.ID, WorkflowType: e.WorkflowType.Name, Paused: e.Paused, Note: e.Note,
			NextActionTimes: e.NextActionTimes,
			Kind:            memoString(e.Memo.GetFields(), MemoKind),
			Name:            memoString(e.Memo.GetFields(), MemoName),
		}
		if e.Spec != nil {
			s.Spec = *e.Spec
		}
		if n := len(e.RecentActions); n > 0 {
			last := e.RecentActions[n-1]
			s.LastAction = last.ActualTime
			if last.StartWorkflowResult != nil {
				s.LastWorkflowID = last.StartWorkflowResult.WorkflowID
			}
		}
		out = append(out, s)
	}
	return out, nil
}
