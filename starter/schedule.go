package starter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/workflows"
)

// Action is what a schedule starts at each of its times: a spec (an
// experiment or a campaign),
// defaulted and validated when the Action is made, and started the way
// Start starts it. The spec is the schedule's workflow input: editing its
// file later changes nothing until the schedule is updated with it.
type Action struct {
	start workflowStart
	// exps are the experiments it runs, whose clusters are checked
	// against the task queue's workers.
	exps []experiment.Experiment
}

// ExperimentAction is the Action of running exp. An invalid exp returns
// its validation error.
func ExperimentAction(exp experiment.Experiment) (Action, error) {
	experiment.ApplyDefaults(&exp)
	if err := exp.Validate(); err != nil {
		return Action{}, err
	}
	return Action{start: experimentStart(exp), exps: []experiment.Experiment{exp}}, nil
}

// CampaignAction is the Action of running camp, started as StartCampaign
// starts it; every step's experiment must be embedded (CampaignInput:
// experiment.LoadCampaign reads a campaign file's). An invalid camp
// returns its validation error.
func CampaignAction(camp experiment.Campaign) (Action, error) {
	in, err := CampaignInput(camp)
	if err != nil {
		return Action{}, err
	}
	so := CampaignStartOptions(in.Campaign, Options{})
	a := Action{start: workflowStart{
		kind:             experiment.KindCampaign,
		name:             in.Campaign.Metadata.Name,
		workflow:         CampaignWorkflowName,
		input:            in,
		executionTimeout: so.WorkflowExecutionTimeout,
		summary:          so.StaticSummary,
		attrs:            []temporal.SearchAttributeUpdate{workflows.AttrCampaign.ValueSet(in.Campaign.Metadata.Name)},
	}}
	for i := range in.Campaign.Spec.Steps {
		for _, e := range in.Campaign.Spec.Steps[i].Experiments() {
			if e.Inline != nil {
				a.exps = append(a.exps, *e.Inline)
			}
		}
	}
	return a, nil
}

// Kind is the spec's kind ("Experiment" or "Campaign").
func (a Action) Kind() string { return a.start.kind }

// Name is the spec's metadata.name.
func (a Action) Name() string { return a.start.name }

// Source is the file a schedule's spec was read from: its path and the
// SHA-256 of its bytes as read, recorded in the schedule so describe can
// say which version of the file the schedule holds.
type Source struct {
	Path   string `json:"path,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// SourceOf is the Source of the file at path whose bytes are data.
func SourceOf(path string, data []byte) Source {
	sum := sha256.Sum256(data)
	return Source{Path: path, SHA256: hex.EncodeToString(sum[:])}
}

// Memo keys a Tempest schedule carries, in its own memo (as created) and
// in its action's memo (as last updated; every run it starts carries
// that memo too).
const (
	MemoKind   = "tempestKind"
	MemoName   = "tempestName"
	MemoFile   = "tempestFile"
	MemoSHA256 = "tempestSHA256"
)

func (a Action) memo(src Source) map[string]any {
	return map[string]any{MemoKind: a.start.kind, MemoName: a.start.name, MemoFile: src.Path, MemoSHA256: src.SHA256}
}

// ScheduleOptions are a schedule's settings.
type ScheduleOptions struct {
	// ID names the schedule (required).
	ID string
	// Spec is when it acts: the union of its cron expressions, calendars
	// and intervals, minus its skip calendars, within StartAt..EndAt, in
	// TimeZoneName (UTC when empty). ParseCalendar, ParseSkip and
	// ParseInterval read the CLI's forms of them.
	Spec client.ScheduleSpec
	// Overlap is what happens to an action due while a run it started is
	// still running (default OverlapSkip).
	Overlap Overlap
	// PauseOnFailure pauses the schedule when a run it started fails
	// (an experiment whose verdict is not Passed fails).
	PauseOnFailure bool
	// Note is a note on the schedule's state (why it is paused).
	Note string
	// Paused creates the schedule paused.
	Paused bool
	// CatchupWindow: an action missed by more than this (the server was
	// down) is not taken late, and describe counts it missed (default
	// DefaultCatchupWindow; Temporal's own default, a year, would run a
	// night's experiment at whatever hour the server came back).
	CatchupWindow time.Duration
	// TaskQueue the workers poll (default workflows.DefaultTaskQueue).
	TaskQueue string
	// Source is the file the spec was read from, for describe.
	Source Source
}

// DefaultCatchupWindow is how late a schedule still takes an action it
// missed while the server was down.
const DefaultCatchupWindow = 15 * time.Minute

// ScheduleExistsError is CreateSchedule's error for an ID in use.
type ScheduleExistsError struct{ ID string }

func (e *ScheduleExistsError) Error() string {
	return fmt.Sprintf("schedule %q exists: change it with update, or delete it first", e.ID)
}

// ScheduleNotFoundError is the error for a schedule that does not exist.
type ScheduleNotFoundError struct{ ID string }

func (e *ScheduleNotFoundError) Error() string {
	return fmt.Sprintf("schedule %q not found", e.ID)
}

// Schedule is a handle on a Tempest schedule.
type Schedule struct {
	c client.Client
	h client.ScheduleHandle
	// ID is the schedule's ID (its name).
	ID string
}

// GetSchedule returns a handle on the schedule id; nothing is checked
// until it is used.
func GetSchedule(ctx context.Context, c client.Client, id string) *Schedule {
	return &Schedule{c: c, h: c.ScheduleClient().GetHandle(ctx, id), ID: id}
}

// CreateSchedule creates a schedule that starts action at the times of
// opts.Spec. Invalid settings (ValidateScheduleSpec) return a
// *ScheduleSpecError, and a spec the server refuses (a cron expression
// that does not parse) its error: in both cases nothing is created.
func CreateSchedule(ctx context.Context, c client.Client, action Action, opts ScheduleOptions) (*Schedule, error) {
	if opts.ID == "" {
		return nil, &ScheduleSpecError{Field: "NAME", Reason: "required"}
	}
	if action.start.workflow == "" {
		return nil, &ScheduleSpecError{Field: "FILE", Reason: "no action: make one with ExperimentAction or CampaignAction"}
	}
	if err := ValidateScheduleSpec(opts.Spec); err != nil {
		return nil, err
	}
	if opts.Overlap == "" {
		opts.Overlap = OverlapSkip
	}
	if _, ok := overlaps[opts.Overlap]; !ok {
		return nil, &ScheduleSpecError{Field: "--overlap", Value: string(opts.Overlap), Reason: "want " + overlapNames}
	}
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if opts.CatchupWindow == 0 {
		opts.CatchupWindow = DefaultCatchupWindow
	}
	if opts.CatchupWindow < 10*time.Second {
		return nil, &ScheduleSpecError{Field: "--catchup-window", Value: opts.CatchupWindow.String(), Reason: "must be at least 10s"}
	}
	if err := action.checkClusters(ctx, c, opts.TaskQueue); err != nil {
		return nil, err
	}
	spec := opts.Spec
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:             opts.ID,
		Spec:           spec,
		Action:         action.workflowAction(opts.ID, opts.TaskQueue, opts.Source),
		Overlap:        opts.Overlap.policy(),
		CatchupWindow:  opts.CatchupWindow,
		PauseOnFailure: opts.PauseOnFailure,
		Note:           opts.Note,
		Paused:         opts.Paused,
		Memo:           action.memo(opts.Source),
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil, &ScheduleExistsError{ID: opts.ID}
	}
	if err != nil {
		return nil, fmt.Errorf("create schedule %q: %w", opts.ID, err)
	}
	return &Schedule{c: c, h: h, ID: opts.ID}, nil
}

// checkClusters refuses an action with an experiment naming no cluster
// while the default workers of queue serve several (see Start).
func (a Action) checkClusters(ctx context.Context, c client.Client, queue string) error {
	for _, exp := range a.exps {
		if err := checkClusters(ctx, c, queue, exp); err != nil {
			if a.start.kind == experiment.KindCampaign {
				return fmt.Errorf("experiment %s: %w", exp.Metadata.Name, err)
			}
			return err
		}
	}
	return nil
}

// workflowAction is the schedule's action for a: the run's workflow ID is
// "tempest-<schedule>" followed by the action's time (the server appends
// it), and it carries the search attributes and memo that List and
// describe read.
func (a Action) workflowAction(scheduleID, queue string, src Source) *client.ScheduleWorkflowAction {
	ws := a.start
	return &client.ScheduleWorkflowAction{
		ID:                       "tempest-" + scheduleID,
		Workflow:                 ws.workflow,
		Args:                     []any{ws.input},
		TaskQueue:                queue,
		WorkflowExecutionTimeout: ws.executionTimeout,
		WorkflowTaskTimeout:      WorkflowTaskTimeout,
		TypedSearchAttributes:    temporal.NewSearchAttributes(ws.attrs...),
		Memo:                     a.memo(src),
		StaticSummary:            ws.summary + " (schedule " + scheduleID + ")",
	}
}

// notFound turns the server's NotFound into a *ScheduleNotFoundError.
func (s *Schedule) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &ScheduleNotFoundError{ID: s.ID}
	}
	return fmt.Errorf("%s schedule %q: %w", op, s.ID, err)
}

// Pause stops the schedule's actions until Unpause; note says why.
func (s *Schedule) Pause(ctx context.Context, note string) error {
	if note == "" {
		note = "paused with tempest"
	}
	return s.wrap("pause", s.h.Pause(ctx, client.SchedulePauseOptions{Note: note}))
}

// Unpause resumes the schedule's actions; note replaces the pause's.
func (s *Schedule) Unpause(ctx context.Context, note string) error {
	if note == "" {
		note = "unpaused with tempest"
	}
	return s.wrap("unpause", s.h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note}))
}

// Trigger takes an action now, under overlap ("" is the schedule's own
// policy: with skip, nothing starts while a run it started is running).
func (s *Schedule) Trigger(ctx context.Context, overlap Overlap) error {
	return s.wrap("trigger", s.h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: overlap.policy()}))
}

// Backfill takes, now, the actions the schedule would have taken from
// from to to, under overlap ("" is OverlapBufferAll: one after another,
// each when the one before it ends; skip would start only the first,
// since they are all due at once).
func (s *Schedule) Backfill(ctx context.Context, from, to time.Time, overlap Overlap) error {
	if !to.After(from) {
		return &ScheduleSpecError{Field: "TO", Value: to.Format(time.RFC3339), Reason: "must be after FROM " + from.Format(time.RFC3339)}
	}
	if overlap == "" {
		overlap = OverlapBufferAll
	}
	return s.wrap("backfill", s.h.Backfill(ctx, client.ScheduleBackfillOptions{
		Backfill: []client.ScheduleBackfill{{Start: from, End: to, Overlap: overlap.policy()}},
	}))
}

// Delete deletes the schedule; the runs it started go on.
func (s *Schedule) Delete(ctx context.Context) error {
	return s.wrap("delete", s.h.Delete(ctx))
}

// ScheduleEdit is a schedule's settings as Update passes them to its
// edit function, which changes what it wants.
type ScheduleEdit struct {
	Spec           client.ScheduleSpec
	Overlap        Overlap
	PauseOnFailure bool
	CatchupWindow  time.Duration
	action         *Action
	source         Source
}

// SetAction makes the schedule start a from now on; src is the file it
// was read from.
func (e *ScheduleEdit) SetAction(a Action, src Source) {
	e.action, e.source = &a, src
}

// Update changes the schedule: edit gets its current settings and
// changes them; they are validated (ValidateScheduleSpec) before the
// server sees them, and an error from edit or the validation changes
// nothing. The runs it already started are not touched.
func (s *Schedule) Update(ctx context.Context, edit func(*ScheduleEdit) error) error {
	err := s.h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sched := in.Description.Schedule
			e := &ScheduleEdit{}
			if sched.Spec != nil {
				e.Spec = *sched.Spec
			}
			if sched.Policy != nil {
				e.Overlap, e.PauseOnFailure, e.CatchupWindow = overlapOf(sched.Policy.Overlap), sched.Policy.PauseOnFailure, sched.Policy.CatchupWindow
			}
			if err := edit(e); err != nil {
				return nil, err
			}
			if e.CatchupWindow < 10*time.Second {
				return nil, &ScheduleSpecError{Field: "--catchup-window", Value: e.CatchupWindow.String(), Reason: "must be at least 10s"}
			}
			if err := ValidateScheduleSpec(e.Spec); err != nil {
				return nil, err
			}
			if _, ok := overlaps[e.Overlap]; !ok {
				return nil, &ScheduleSpecError{Field: "--overlap", Value: string(e.Overlap), Reason: "want " + overlapNames}
			}
			sched.Spec = &e.Spec
			sched.Policy = &client.SchedulePolicies{Overlap: e.Overlap.policy(), PauseOnFailure: e.PauseOnFailure, CatchupWindow: e.CatchupWindow}
			if e.action != nil {
				old, ok := sched.Action.(*client.ScheduleWorkflowAction)
				queue := workflows.DefaultTaskQueue
				if ok && old.TaskQueue != "" {
					queue = old.TaskQueue
				}
				if err := e.action.checkClusters(ctx, s.c, queue); err != nil {
					return nil, err
				}
				sched.Action = e.action.workflowAction(s.ID, queue, e.source)
			}
			return &client.ScheduleUpdate{Schedule: &sched}, nil
		},
	})
	var spec *ScheduleSpecError
	if errors.As(err, &spec) {
		return spec
	}
	return s.wrap("update", err)
}
