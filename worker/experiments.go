package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/metrics"
	"github.com/tempest-chaos/tempest/workflows"
)

// DefaultExperimentWatchPeriod is how often WatchExperiments looks for
// experiment runs that closed.
const DefaultExperimentWatchPeriod = 5 * time.Second

// experimentCloseSlack is how far before the last close seen each look
// goes back, so that a run reaching visibility late is still counted.
const experimentCloseSlack = time.Minute

// ExperimentWatch reports every ExperimentWorkflow run of a namespace
// that closes while it runs to a metrics.Recorder: its verdict, duration
// and resilience score. It reads visibility and, for the score, the run's
// result; it never runs in a workflow, so replays count nothing. Runs that
// closed before it started are not reported.
type ExperimentWatch struct {
	Client    client.Client
	Namespace string
	Metrics   metrics.Recorder
	// Period defaults to DefaultExperimentWatchPeriod.
	Period time.Duration

	seen  map[string]time.Time // run ID → close time, of the runs reported
	since time.Time            // the latest close time reported
	floor time.Time            // when the watch began
}

// WatchExperiments starts an ExperimentWatch in the background; stop ends it.
func WatchExperiments(c client.Client, namespace string, rec metrics.Recorder, period time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &ExperimentWatch{Client: c, Namespace: namespace, Metrics: rec, Period: period}
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// Run looks every Period until ctx is done.
func (w *ExperimentWatch) Run(ctx context.Context) {
	period := w.Period
	if period <= 0 {
		period = DefaultExperimentWatchPeriod
	}
	w.start(time.Now())
	t := time.NewTicker(period)
	defer t.Stop()
	failing := ""
	for {
		// A failed look is made again at the next; its error is logged
		// once, until it changes or the looks succeed again.
		switch err := w.Poll(ctx); {
		case err != nil && ctx.Err() == nil && err.Error() != failing:
			failing = err.Error()
			slog.Warn("experiment metrics: cannot read visibility; retrying", "error", err)
		case err == nil && failing != "":
			failing = ""
			slog.Info("experiment metrics: visibility read again")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *ExperimentWatch) start(now time.Time) {
	w.seen, w.since, w.floor = map[string]time.Time{}, now, now
}

// Poll reports the runs closed since the last poll.
func (w *ExperimentWatch) Poll(ctx context.Context) error {
	if w.seen == nil {
		w.start(time.Now())
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	after := w.since.Add(-experimentCloseSlack)
	if after.Before(w.floor) {
		after = w.floor
	}
	base := fmt.Sprintf("WorkflowType = '%s'", workflows.ExperimentWorkflowName)
	running := map[string]int{}
	err := w.list(qctx, base+" AND ExecutionStatus = 'Running'", func(e *workflowpb.WorkflowExecutionInfo) {
		running[experimentName(e, "")]++
	})
	if err != nil {
		return fmt.Errorf("list running experiments: %w", err)
	}
	metrics.Or(w.Metrics).ExperimentsRunning(running)
	err = w.list(qctx, fmt.Sprintf("%s AND CloseTime > '%s'", base, after.UTC().Format(time.RFC3339Nano)), func(e *workflowpb.WorkflowExecutionInfo) {
		w.report(qctx, e)
	})
	if err != nil {
		return fmt.Errorf("list closed experiments: %w", err)
	}
	for id, at := range w.seen { // forget what no poll can return again
		if at.Before(w.since.Add(-2 * experimentCloseSlack)) {
			delete(w.seen, id)
		}
	}
	return nil
}

// list calls each for every run query matches.
func (w *ExperimentWatch) list(ctx context.Context, query string, each func(*workflowpb.WorkflowExecutionInfo)) error {
	var token []byte
	for {
		resp, err := w.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: w.Namespace, Query: query, PageSize: 100, NextPageToken: token,
		})
		if err != nil {
			return err
		}
		for _, e := range resp.GetExecutions() {
			each(e)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

// experimentName is a run's TempestExperiment search attribute, else
// fallback, else "unknown" (never the workflow ID: labels stay bounded).
func experimentName(e *workflowpb.WorkflowExecutionInfo, fallback string) string {
	if n := Keyword(e.GetSearchAttributes(), workflows.AttrExperiment.GetName()); n != "" {
		return n
	}
	if fallback != "" {
		return fallback
	}
	return "unknown"
}

func (w *ExperimentWatch) report(ctx context.Context, e *workflowpb.WorkflowExecutionInfo) {
	runID := e.GetExecution().GetRunId()
	if _, done := w.seen[runID]; done || e.GetCloseTime() == nil {
		return
	}
	closed := e.GetCloseTime().AsTime()
	run := metrics.ClosedRun{
		RunID:    runID,
		Verdict:  Keyword(e.GetSearchAttributes(), workflows.AttrVerdict.GetName()),
		Duration: closed.Sub(e.GetStartTime().AsTime()),
	}
	if res, ok := w.result(ctx, e); ok {
		run.Score, run.HasScore = res.ResilienceScore, true
		if run.Verdict == "" {
			run.Verdict = string(res.Verdict)
		}
		run.Experiment = res.Experiment
	}
	if run.Verdict == "" {
		run.Verdict = e.GetStatus().String() // "Terminated", "TimedOut", ...
	}
	run.Experiment = experimentName(e, run.Experiment)
	metrics.Or(w.Metrics).ExperimentClosed(run)
	w.seen[runID] = closed
	if closed.After(w.since) {
		w.since = closed
	}
}

// result reads a closed run's Result: what it returned, or what its
// verdict failure carries.
func (w *ExperimentWatch) result(ctx context.Context, e *workflowpb.WorkflowExecutionInfo) (experiment.Result, bool) {
	var res experiment.Result
	switch e.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
	default:
		return res, false
	}
	err := w.Client.GetWorkflow(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()).Get(ctx, &res)
	if err == nil {
		return res, true
	}
	return workflows.ResultOf(err)
}

// Keyword is the value of a keyword search attribute of a listed
// workflow, or "".
func Keyword(sa *commonpb.SearchAttributes, name string) string {
	p := sa.GetIndexedFields()[name]
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
