package devserver_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	testQueue    = "devserver-test"
	echoWorkflow = "echo"
	// testTimeout bounds every server interaction in these tests.
	testTimeout = 30 * time.Second
)

// echo is the trivial workflow the tests run: it returns its input after a
// one-millisecond durable timer (so the history has more than start/end).
func echo(ctx workflow.Context, in string) (string, error) {
	if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
		return "", err
	}
	return "echo:" + in, nil
}

// startWorker runs a worker for echo on testQueue until the test ends or
// the returned stop is called.
func startWorker(t *testing.T, c client.Client) (stop func()) {
	t.Helper()
	w := worker.New(c, testQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(echo, workflow.RegisterOptions{Name: echoWorkflow})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	stop = sync.OnceFunc(w.Stop)
	t.Cleanup(stop)
	return stop
}

// runEcho runs echo to completion with the given search attributes and
// checks its result.
func runEcho(t *testing.T, c client.Client, id string, attrs ...temporal.SearchAttributeUpdate) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             testQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	}, echoWorkflow, id)
	if err != nil {
		t.Fatalf("start workflow %s: %v", id, err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	if want := "echo:" + id; got != want {
		t.Fatalf("workflow %s returned %q, want %q", id, got, want)
	}
}

// waitListed polls the visibility store until query matches exactly the
// workflow IDs in want (visibility is updated asynchronously).
func waitListed(t *testing.T, c client.Client, query string, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	var last []string
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		last = last[:0]
		for _, e := range resp.GetExecutions() {
			last = append(last, e.GetExecution().GetWorkflowId())
		}
		slices.Sort(last)
		if fmt.Sprint(last) == fmt.Sprint(slices.Sorted(slices.Values(want))) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("list %q: got %v, want %v", query, last, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// historyOf returns the event types of a workflow's full history.
func historyOf(t *testing.T, c client.Client, id string) []enums.EventType {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	var types []enums.EventType
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		types = append(types, ev.GetEventType())
	}
	return types
}
