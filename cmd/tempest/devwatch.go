package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/workflows"
)

// experimentWatch prints one line when an experiment starts in a
// namespace and one with its verdict when it ends, from the namespace's
// visibility (polled: the running experiments, and those closed since
// shortly before the last poll). It is how `tempest dev` shows what runs
// on it.
type experimentWatch struct {
	c         client.Client
	namespace string
	out       io.Writer
	// uiBase links each line to the run's page; "" for none.
	uiBase string

	started map[string]bool      // run IDs announced as started
	ended   map[string]time.Time // run IDs announced as ended: close time
	since   time.Time            // closed runs after this, less closeSlack, are looked at
	floor   time.Time            // runs closed before the watch began are not
}

// closeSlack is how far back each poll looks for closed runs, so a run
// that reaches visibility late is still seen.
const closeSlack = time.Minute

func newExperimentWatch(c client.Client, namespace, uiBase string, out io.Writer) *experimentWatch {
	return &experimentWatch{c: c, namespace: namespace, out: out, uiBase: uiBase,
		started: map[string]bool{}, ended: map[string]time.Time{}, since: time.Now(), floor: time.Now()}
}

// run polls every interval until ctx is done. Experiments already running
// when it starts are announced too; those closed before are not.
func (w *experimentWatch) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *experimentWatch) poll(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	base := fmt.Sprintf("WorkflowType = '%s'", workflows.ExperimentWorkflowName)
	running, err := w.list(qctx, base+" AND ExecutionStatus = 'Running'")
	if err != nil {
		return
	}
	after := w.since.Add(-closeSlack)
	if after.Before(w.floor) {
		after = w.floor
	}
	closed, err := w.list(qctx, fmt.Sprintf("%s AND CloseTime > '%s'", base, after.UTC().Format(time.RFC3339Nano)))
	if err != nil {
		return
	}
	for _, e := range running {
		w.announceStart(e)
	}
	for _, e := range closed {
		if _, done := w.ended[e.GetExecution().GetRunId()]; done {
			continue
		}
		w.announceStart(e)
		w.announceEnd(e)
	}
	// Forget what no poll can return again.
	for id, at := range w.ended {
		if at.Before(w.since.Add(-2 * closeSlack)) {
			delete(w.ended, id)
			delete(w.started, id)
		}
	}
}

func (w *experimentWatch) list(ctx context.Context, query string) ([]*workflow.WorkflowExecutionInfo, error) {
	var all []*workflow.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := w.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: w.namespace, Query: query, PageSize: 100, NextPageToken: token,
		})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetExecutions()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return all, nil
		}
	}
}

func (w *experimentWatch) announceStart(e *workflow.WorkflowExecutionInfo) {
	runID := e.GetExecution().GetRunId()
	if w.started[runID] {
		return
	}
	w.started[runID] = true
	fmt.Fprintf(w.out, "%s experiment %s started: workflow %s%s\n", stamp(), experimentName(e), e.GetExecution().GetWorkflowId(), w.link(e))
}

func (w *experimentWatch) announceEnd(e *workflow.WorkflowExecutionInfo) {
	closeTime := e.GetCloseTime().AsTime()
	w.ended[e.GetExecution().GetRunId()] = closeTime
	if closeTime.After(w.since) {
		w.since = closeTime
	}
	verdict := worker.Keyword(e.GetSearchAttributes(), workflows.AttrVerdict.GetName())
	if verdict == "" {
		// Ended without a verdict: terminated, timed out, or failed
		// before it recorded one.
		verdict = "ended " + e.GetStatus().String() + " without a verdict"
	}
	took := closeTime.Sub(e.GetStartTime().AsTime()).Round(100 * time.Millisecond)
	fmt.Fprintf(w.out, "%s experiment %s %s after %v: workflow %s%s\n", stamp(), experimentName(e), verdict, took, e.GetExecution().GetWorkflowId(), w.link(e))
}

func (w *experimentWatch) link(e *workflow.WorkflowExecutionInfo) string {
	if w.uiBase == "" {
		return ""
	}
	return fmt.Sprintf(" %s/namespaces/%s/workflows/%s/%s/history", w.uiBase, w.namespace, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
}

func experimentName(e *workflow.WorkflowExecutionInfo) string {
	if n := worker.Keyword(e.GetSearchAttributes(), workflows.AttrExperiment.GetName()); n != "" {
		return n
	}
	return e.GetExecution().GetWorkflowId()
}

func stamp() string { return time.Now().Format("15:04:05") }
