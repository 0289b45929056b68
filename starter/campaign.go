package starter

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/workflows"
)

// CampaignWorkflowName is the workflow type a campaign runs as (for
// schedules and other starters: start it with CampaignInput and
// CampaignStartOptions).
const CampaignWorkflowName = workflows.CampaignWorkflowName

// CampaignWorkflowID is the default workflow ID of a campaign:
// "tempest-campaign-<name>-<random>". Its experiments run as children
// "<campaign ID>.s<step>.r<repetition>[.e<k>]".
func CampaignWorkflowID(name string) string {
	return "tempest-campaign-" + name + "-" + randomSuffix()
}

// CampaignInput validates camp and returns the CampaignWorkflow's input.
// Every step's experiment must be embedded: experiment.LoadCampaign reads
// the files of a campaign file; a Go program writes them inline. An
// invalid campaign, or an invalid experiment in it, is an error and
// nothing should be started.
func CampaignInput(camp experiment.Campaign) (workflows.CampaignInput, error) {
	experiment.ApplyCampaignDefaults(&camp)
	if err := camp.Validate(); err != nil {
		return workflows.CampaignInput{}, err
	}
	if !camp.Resolved() {
		return workflows.CampaignInput{}, errors.New("a step names an experiment file: load the campaign with experiment.LoadCampaign, which embeds them")
	}
	return workflows.CampaignInput{Campaign: camp}, nil
}

// CampaignStartOptions are the options a campaign starts with (opts'
// defaults applied): a new ID from CampaignWorkflowID, the task queue,
// an execution timeout of maxDuration plus an hour for the last
// experiment's rollback, the short workflow task timeout, and the
// TempestCampaign search attribute.
func CampaignStartOptions(camp experiment.Campaign, opts Options) client.StartWorkflowOptions {
	experiment.ApplyCampaignDefaults(&camp)
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if opts.WorkflowID == "" {
		opts.WorkflowID = CampaignWorkflowID(camp.Metadata.Name)
	}
	summary := "Campaign " + camp.Metadata.Name
	if camp.Spec.Description != "" {
		summary += ": " + camp.Spec.Description
	}
	return client.StartWorkflowOptions{
		ID:                       opts.WorkflowID,
		TaskQueue:                opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: camp.Spec.MaxDuration.D() + time.Hour,
		WorkflowTaskTimeout:      WorkflowTaskTimeout,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.AttrCampaign.ValueSet(camp.Metadata.Name)),
		StaticSummary:            summary,
	}
}

// Campaign is a started campaign.
type Campaign struct {
	c     client.Client
	ID    string
	RunID string
}

// StartCampaign validates camp (every experiment embedded, see
// CampaignInput) and starts its CampaignWorkflow. Nothing is started when
// it is invalid, or when an experiment of it names a Kubernetes cluster
// ambiguously.
func StartCampaign(ctx context.Context, c client.Client, camp experiment.Campaign, opts Options) (*Campaign, error) {
	in, err := CampaignInput(camp)
	if err != nil {
		return nil, err
	}
	so := CampaignStartOptions(in.Campaign, opts)
	for i := range in.Campaign.Spec.Steps {
		for _, e := range in.Campaign.Spec.Steps[i].Experiments() {
			if err := checkClusters(ctx, c, so.TaskQueue, *e.Inline); err != nil {
				return nil, fmt.Errorf("spec.steps[%d]: %w", i, err)
			}
		}
	}
	we, err := c.ExecuteWorkflow(ctx, so, CampaignWorkflowName, in)
	if err != nil {
		return nil, fmt.Errorf("start campaign %q: %w", camp.Metadata.Name, err)
	}
	return &Campaign{c: c, ID: we.GetID(), RunID: we.GetRunID()}, nil
}

// AttachCampaign returns a handle on a campaign started elsewhere. Its
// Updates and queries always reach the latest run (a campaign continues
// as new), so no run ID is taken.
func AttachCampaign(c client.Client, workflowID string) *Campaign {
	return &Campaign{c: c, ID: workflowID}
}

// Status queries the campaign: every step's state, verdict, resilience
// score and runs, the pending approval, the notes.
func (k *Campaign) Status(ctx context.Context) (experiment.CampaignStatus, error) {
	var st experiment.CampaignStatus
	v, err := k.c.QueryWorkflow(ctx, k.ID, "", workflows.QueryCampaignStatus)
	if err != nil {
		return st, fmt.Errorf("query status of %s: %w", k.ID, err)
	}
	return st, v.Get(&st)
}

// Approve approves the step waiting for approval (step counted from 1; 0:
// whichever waits). by names the approver. A step that is not waiting is
// rejected with the reason.
func (k *Campaign) Approve(ctx context.Context, step int, by string) (string, error) {
	return k.update(ctx, workflows.UpdateApprove, workflows.CampaignAction{Step: step, By: by})
}

// Skip skips a step that has not started (0: the current one, e.g. one
// waiting for approval).
func (k *Campaign) Skip(ctx context.Context, step int, reason, by string) (string, error) {
	return k.update(ctx, workflows.UpdateSkip, workflows.CampaignAction{Step: step, Text: reason, By: by})
}

// Pause pauses the campaign once the running step has ended.
func (k *Campaign) Pause(ctx context.Context, reason, by string) (string, error) {
	return k.update(ctx, workflows.UpdatePause, workflows.CampaignAction{Text: reason, By: by})
}

// Resume resumes a paused campaign.
func (k *Campaign) Resume(ctx context.Context, by string) (string, error) {
	return k.update(ctx, workflows.UpdateResume, workflows.CampaignAction{By: by})
}

// Note records an observation in the campaign's history and status.
func (k *Campaign) Note(ctx context.Context, text, by string) (string, error) {
	return k.update(ctx, workflows.UpdateNote, workflows.CampaignAction{Text: text, By: by})
}

// Abort aborts the running experiments (they revert their faults) and
// ends the campaign Aborted. When no worker answers within wait it sends
// the abort Signal instead and returns a *NoAnswerError.
func (k *Campaign) Abort(ctx context.Context, reason, by string, wait time.Duration) (string, error) {
	uctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if by != "" {
		reason += " (by " + by + ")"
	}
	msg, err := k.update(uctx, workflows.UpdateCampaignAbort, reason)
	var gaveUp *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if err == nil || !(uctx.Err() != nil || errors.As(err, &gaveUp)) || ctx.Err() != nil {
		return msg, err
	}
	if serr := k.c.SignalWorkflow(ctx, k.ID, "", workflows.SignalCampaignAbort, reason); serr != nil {
		return "", fmt.Errorf("abort %s: no worker answered within %v, and the abort signal failed: %w", k.ID, wait, serr)
	}
	return "", &NoAnswerError{WorkflowID: k.ID, Wait: wait}
}

func (k *Campaign) update(ctx context.Context, name string, a any) (string, error) {
	h, err := k.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   k.ID,
		UpdateName:   name,
		Args:         []any{a},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, k.ID, err)
	}
	var ans workflows.CampaignAnswer
	if err := h.Get(ctx, &ans); err != nil {
		return "", fmt.Errorf("%s %s: %w", name, k.ID, err)
	}
	return ans.Message, nil
}

// Result waits for the campaign to end (across its history segments) and
// returns its final status, whatever its verdict.
func (k *Campaign) Result(ctx context.Context) (experiment.CampaignStatus, error) {
	var st experiment.CampaignStatus
	err := waitFor(ctx, k.c, k.ID, k.RunID, &st)
	if failed, ok := workflows.CampaignResultOf(err); ok {
		return failed, nil
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		if canceled.HasDetails() && canceled.Details(&st) == nil {
			return st, nil
		}
		return st, fmt.Errorf("campaign %s was cancelled: %w", k.ID, err)
	}
	return st, err
}
