package starter

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

// DefaultListLimit is how many runs List returns when ListOptions.Limit is 0.
const DefaultListLimit = 50

// SearchAttrScheduledBy is the search attribute Temporal sets on a run a
// schedule started: the schedule's ID.
const SearchAttrScheduledBy = "TemporalScheduledById"

// ListOptions filter List. Zero fields filter nothing.
type ListOptions struct {
	// Experiment is the TempestExperiment search attribute: the
	// experiment's metadata.name.
	Experiment string
	// Campaign is the TempestCampaign search attribute: a campaign's
	// name, set on the campaign's workflow and on its experiments.
	Campaign string
	// Verdict is the run's verdict ("Passed", "Failed", "Errored",
	// "Aborted", "DryRun"; any case). An open run has none.
	Verdict string
	// Status is Temporal's execution status: running, completed, failed,
	// canceled, terminated, timed-out or continued-as-new (any case).
	// A run whose verdict is not Passed ends failed.
	Status string
	// StartedAfter keeps the runs started after it.
	StartedAfter time.Time
	// Limit bounds the runs returned, newest first (default
	// DefaultListLimit).
	Limit int
	// NoScore skips reading each closed run's result for its resilience
	// score: one history read per run, which a long list may not want.
	NoScore bool
}

// ListedRun is one run List found, from the visibility store.
type ListedRun struct {
	// Name is the experiment's name (TempestExperiment), or a campaign's
	// (TempestCampaign) for a campaign's own run.
	Name string `json:"name"`
	// Kind is "Experiment" or "Campaign".
	Kind       string `json:"kind"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// WorkflowType is the run's workflow type (ExperimentWorkflow,
	// CampaignWorkflow).
	WorkflowType string `json:"workflowType"`
	// Status is Temporal's execution status: "Running", "Completed",
	// "Failed", "Canceled", "Terminated", "TimedOut", "ContinuedAsNew".
	Status string `json:"status"`
	// Verdict is the TempestVerdict search attribute: "" while running.
	Verdict string `json:"verdict,omitempty"`
	// Score is the resilience score (percent) of a closed run's result;
	// nil when unknown, for a dry run, or with ListOptions.NoScore.
	Score     *float64  `json:"resilienceScore,omitempty"`
	StartTime time.Time `json:"startTime"`
	// CloseTime is zero while the run is open.
	CloseTime time.Time `json:"closeTime,omitzero"`
	// Schedule is the ID of the schedule that started the run, if one did.
	Schedule string `json:"schedule,omitempty"`
	// Campaign is the TempestCampaign search attribute, if set.
	Campaign string `json:"campaign,omitempty"`
}

// Duration is how long the run ran: until now while it is open.
func (r ListedRun) Duration(now time.Time) time.Duration {
	if r.CloseTime.IsZero() {
		return now.Sub(r.StartTime)
	}
	return r.CloseTime.Sub(r.StartTime)
}

// listedTypes are the workflow types List returns.
var listedTypes = []string{workflows.ExperimentWorkflowName, workflows.CampaignWorkflowName}

// attrCampaign is the keyword search attribute naming a run's campaign.
var attrCampaign = workflows.AttrCampaign.GetName()

// statuses maps what ListOptions.Status accepts to Temporal's names.
var statuses = map[string]string{
	"running":          "Running",
	"completed":        "Completed",
	"failed":           "Failed",
	"canceled":         "Canceled",
	"cancelled":        "Canceled",
	"terminated":       "Terminated",
	"timed-out":        "TimedOut",
	"timedout":         "TimedOut",
	"continued-as-new": "ContinuedAsNew",
	"continuedasnew":   "ContinuedAsNew",
}

var verdicts = []experiment.Verdict{
	experiment.VerdictPassed, experiment.VerdictFailed, experiment.VerdictErrored,
	experiment.VerdictAborted, experiment.VerdictDryRun,
}

// ListFilterError is a ListOptions field List cannot filter on.
type ListFilterError struct {
	// Field is the ListOptions field ("Verdict", "Status").
	Field, Value, Want string
}

func (e *ListFilterError) Error() string {
	return fmt.Sprintf("%s %q: want %s", e.Field, e.Value, e.Want)
}

// ListQuery is the visibility query List sends for opts: every value is
// a quoted string literal, so no filter value can change the query's
// shape.
func ListQuery(opts ListOptions) (string, error) {
	types := make([]string, len(listedTypes))
	for i, t := range listedTypes {
		types[i] = quote(t)
	}
	q := []string{"WorkflowType IN (" + strings.Join(types, ", ") + ")"}
	if opts.Experiment != "" {
		q = append(q, workflows.AttrExperiment.GetName()+" = "+quote(opts.Experiment))
	}
	if opts.Campaign != "" {
		q = append(q, attrCampaign+" = "+quote(opts.Campaign))
	}
	if opts.Verdict != "" {
		i := slices.IndexFunc(verdicts, func(v experiment.Verdict) bool { return strings.EqualFold(string(v), opts.Verdict) })
		if i < 0 {
			names := make([]string, len(verdicts))
			for i, v := range verdicts {
				names[i] = string(v)
			}
			return "", &ListFilterError{Field: "Verdict", Value: opts.Verdict, Want: strings.Join(names, ", ")}
		}
		q = append(q, workflows.AttrVerdict.GetName()+" = "+quote(string(verdicts[i])))
	}
	if opts.Status != "" {
		s, ok := statuses[strings.ToLower(opts.Status)]
		if !ok {
			return "", &ListFilterError{Field: "Status", Value: opts.Status,
				Want: "running, completed, failed, canceled, terminated, timed-out or continued-as-new"}
		}
		q = append(q, "ExecutionStatus = "+quote(s))
	}
	if !opts.StartedAfter.IsZero() {
		q = append(q, "StartTime > "+quote(opts.StartedAfter.UTC().Format(time.RFC3339Nano)))
	}
	return strings.Join(q, " AND "), nil
}

// quote is s as a string literal of a visibility query: backslashes and
// single quotes escaped.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// scoreReaders bounds the result reads List runs at once.
const scoreReaders = 4

// List returns the runs of Tempest's workflows (experiments, and
// campaigns with their experiments) that opts selects, newest
// first, from the visibility store (which lags the runs by up to a second
// or so). Unless opts.NoScore, it reads the result of each closed run for
// its resilience score; a result it cannot read leaves Score nil.
func List(ctx context.Context, c client.Client, opts ListOptions) ([]ListedRun, error) {
	query, err := ListQuery(opts)
	if err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var runs []ListedRun
	var token []byte
	for len(runs) < limit {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(limit-len(runs), 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list runs (%s): %w", query, err)
		}
		for _, e := range resp.GetExecutions() {
			if len(runs) < limit {
				runs = append(runs, listedRun(e))
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	slices.SortStableFunc(runs, func(a, b ListedRun) int { return b.StartTime.Compare(a.StartTime) })
	if !opts.NoScore {
		readScores(ctx, c, runs)
	}
	return runs, nil
}

func listedRun(e *workflowpb.WorkflowExecutionInfo) ListedRun {
	sa := e.GetSearchAttributes()
	r := ListedRun{
		Name:         worker.Keyword(sa, workflows.AttrExperiment.GetName()),
		WorkflowID:   e.GetExecution().GetWorkflowId(),
		RunID:        e.GetExecution().GetRunId(),
		WorkflowType: e.GetType().GetName(),
		Status:       e.GetStatus().String(),
		Verdict:      worker.Keyword(sa, workflows.AttrVerdict.GetName()),
		Schedule:     worker.Keyword(sa, SearchAttrScheduledBy),
		Campaign:     worker.Keyword(sa, attrCampaign),
	}
	r.Kind = "Experiment"
	if r.WorkflowType == workflows.CampaignWorkflowName {
		r.Kind, r.Name = experiment.KindCampaign, r.Campaign
	}
	if t := e.GetStartTime(); t != nil {
		r.StartTime = t.AsTime()
	}
	if t := e.GetCloseTime(); t != nil && e.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		r.CloseTime = t.AsTime()
	}
	return r
}

// readScores sets the Score of each closed experiment run whose result
// carries one, reading at most scoreReaders results at once.
func readScores(ctx context.Context, c client.Client, runs []ListedRun) {
	sem := make(chan struct{}, scoreReaders)
	var wg sync.WaitGroup
	for i := range runs {
		r := &runs[i]
		closed := r.Status == "Completed" || r.Status == "Failed"
		if !closed || r.WorkflowType != workflows.ExperimentWorkflowName || r.Verdict == string(experiment.VerdictDryRun) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			res, err := Attach(c, r.WorkflowID, r.RunID).Result(rctx)
			if err != nil || res.Verdict == "" || res.Verdict == experiment.VerdictDryRun {
				return
			}
			s := experiment.PercentValue(res.ResilienceScore)
			r.Score = &s
			if r.Name == "" {
				r.Name = res.Experiment
			}
		}()
	}
	wg.Wait()
}
