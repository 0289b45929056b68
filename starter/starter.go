package starter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
	_ "github.com/tempest-chaos/tempest/kinds" // specs and runs may hold the registered fault kinds
	"github.com/tempest-chaos/tempest/workflows"
)

// Options tune Start.
type Options struct {
	// TaskQueue the workers poll (default workflows.DefaultTaskQueue).
	TaskQueue string
	// WorkflowID (default "tempest-<name>-<random>").
	WorkflowID string
}

// WorkflowTaskTimeout is the workflow-task timeout of every experiment
// Start begins. A worker killed while it holds a workflow task stalls the
// run until this timeout, so it is short; a task of this workflow takes
// milliseconds, and one that times out on a busy machine is only retried
// (with a replay), so 4 s leaves a wide margin on a loaded 2-core host
// while bounding the stall (Temporal's default is 10 s).
const WorkflowTaskTimeout = 4 * time.Second

// Run is a started experiment.
type Run struct {
	c     client.Client
	ID    string
	RunID string
}

// Start validates exp and starts its workflow. An invalid spec returns the
// validation error and starts nothing; so does a Kubernetes fault or probe
// naming no cluster while the default workers serve several
// (*AmbiguousClusterError).
func Start(ctx context.Context, c client.Client, exp experiment.Experiment, opts Options) (*Run, error) {
	experiment.ApplyDefaults(&exp)
	if err := exp.Validate(); err != nil {
		return nil, err
	}
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if err := checkClusters(ctx, c, opts.TaskQueue, exp); err != nil {
		return nil, err
	}
	if opts.WorkflowID == "" {
		opts.WorkflowID = "tempest-" + exp.Metadata.Name + "-" + randomSuffix()
	}
	ws := experimentStart(exp)
	we, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       opts.WorkflowID,
		TaskQueue:                opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: ws.executionTimeout,
		WorkflowTaskTimeout:      WorkflowTaskTimeout,
		TypedSearchAttributes:    temporal.NewSearchAttributes(ws.attrs...),
		StaticSummary:            ws.summary,
	}, ws.workflow, ws.input)
	if err != nil {
		return nil, fmt.Errorf("start experiment %q: %w", exp.Metadata.Name, err)
	}
	return &Run{c: c, ID: we.GetID(), RunID: we.GetRunID()}, nil
}

// workflowStart is how Tempest starts a workflow of one of its specs, the
// same whether Start or a schedule starts it.
type workflowStart struct {
	// kind is the spec's kind ("Experiment") and name its metadata.name.
	kind, name string
	workflow   string
	// input is the spec, defaulted and validated: the workflow's argument.
	input            any
	executionTimeout time.Duration
	summary          string
	attrs            []temporal.SearchAttributeUpdate
}

// experimentStart is the start of exp's ExperimentWorkflow; exp is
// defaulted and valid.
func experimentStart(exp experiment.Experiment) workflowStart {
	return workflowStart{
		kind:             "Experiment",
		name:             exp.Metadata.Name,
		workflow:         workflows.ExperimentWorkflowName,
		input:            exp,
		executionTimeout: exp.Spec.Safety.MaxDuration.D() + time.Hour,
		summary:          fmt.Sprintf("Chaos experiment %s: %s", exp.Metadata.Name, exp.Spec.Hypothesis),
		attrs:            []temporal.SearchAttributeUpdate{workflows.AttrExperiment.ValueSet(exp.Metadata.Name)},
	}
}

// Attach returns a handle on an experiment started elsewhere; an empty
// runID means the latest run of workflowID.
func Attach(c client.Client, workflowID, runID string) *Run {
	return &Run{c: c, ID: workflowID, RunID: runID}
}

// Status queries the running experiment.
func (r *Run) Status(ctx context.Context) (experiment.Status, error) {
	var st experiment.Status
	v, err := r.c.QueryWorkflow(ctx, r.ID, r.RunID, workflows.QueryStatus)
	if err != nil {
		return st, fmt.Errorf("query status of %s: %w", r.ID, err)
	}
	return st, v.Get(&st)
}

// Abort asks the experiment to stop and revert everything; it answers with
// what will be reverted.
func (r *Run) Abort(ctx context.Context, reason string) (workflows.AbortAnswer, error) {
	var ans workflows.AbortAnswer
	h, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   r.ID,
		RunID:        r.RunID,
		UpdateName:   workflows.UpdateAbort,
		Args:         []any{reason},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return ans, fmt.Errorf("abort %s: %w", r.ID, err)
	}
	if err := h.Get(ctx, &ans); err != nil {
		return ans, fmt.Errorf("abort %s: %w", r.ID, err)
	}
	return ans, nil
}

// NoAnswerError is what AbortWithin returns when no worker answered the
// abort Update in time and the abort Signal was sent instead: the
// experiment stops and reverts as soon as a worker runs it.
type NoAnswerError struct {
	WorkflowID string
	Wait       time.Duration
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no worker answered the abort within %v; sent the abort signal: the experiment reverts as soon as a worker runs", e.Wait)
}

// AbortWithin is Abort bounded by wait: when no worker answers the Update
// within wait (none is running, or none polls the experiment's task
// queue), it sends the abort Signal, which needs no worker to be accepted,
// and returns a *NoAnswerError. Any other error means nothing was sent
// that is known to have been accepted.
func (r *Run) AbortWithin(ctx context.Context, reason string, wait time.Duration) (workflows.AbortAnswer, error) {
	uctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ans, err := r.Abort(uctx, reason)
	// Unanswered: our wait ran out, or the SDK gave up waiting first (its
	// stream to the server cancelled, which a loaded machine shows as
	// "Timeout or cancellation waiting for update" before our deadline).
	var gaveUp *client.WorkflowUpdateServiceTimeoutOrCanceledError
	unanswered := uctx.Err() != nil || errors.As(err, &gaveUp)
	if err == nil || !unanswered || ctx.Err() != nil {
		return ans, err
	}
	if serr := r.c.SignalWorkflow(ctx, r.ID, r.RunID, workflows.SignalAbort, reason); serr != nil {
		return ans, fmt.Errorf("abort %s: no worker answered within %v, and the abort signal failed: %w", r.ID, wait, serr)
	}
	return ans, &NoAnswerError{WorkflowID: r.ID, Wait: wait}
}

// Result waits for the experiment to end and returns its result, whatever
// its verdict: a run that did not pass ends as a failed workflow carrying
// its Result, which is returned here with a nil error. A server too busy
// to answer in time is waited on again until ctx ends.
func (r *Run) Result(ctx context.Context) (experiment.Result, error) {
	var res experiment.Result
	err := waitFor(ctx, r.c, r.ID, r.RunID, &res)
	if failed, ok := workflows.ResultOf(err); ok {
		return failed, nil
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return res, fmt.Errorf("experiment %s was cancelled before it could report: %w", r.ID, err)
	}
	return res, err
}

// HistoryEvents counts the events in the run's history.
func (r *Run) HistoryEvents(ctx context.Context) (int, error) {
	it := r.c.GetWorkflowHistory(ctx, r.ID, r.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return n, fmt.Errorf("read history of %s: %w", r.ID, err)
		}
		n++
	}
	return n, nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
