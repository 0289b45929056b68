package starter

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// waitRetryDelay is the pause before waiting again on a server that did
// not answer a wait in time.
const waitRetryDelay = time.Second

// waitFor waits for the workflow run to close and decodes its result
// into valuePtr, as WorkflowRun.Get does, but a server too busy to answer
// the long poll in time (deadline exceeded, unavailable, resource
// exhausted) is waited on again until ctx ends: the run goes on on the
// server, and a late answer is not a lost run. The run's own outcome,
// success or failure, is returned as Get returns it.
func waitFor(ctx context.Context, c client.Client, id, runID string, valuePtr any) error {
	for {
		err := c.GetWorkflow(ctx, id, runID).Get(ctx, valuePtr)
		if err == nil || ctx.Err() != nil || !serverLate(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(waitRetryDelay):
		}
	}
}

// serverLate reports whether err is the server (or the connection to it)
// not answering in time, as opposed to the run's own outcome.
func serverLate(err error) bool {
	var wee *temporal.WorkflowExecutionError
	if errors.As(err, &wee) {
		return false
	}
	var deadline *serviceerror.DeadlineExceeded
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	return errors.As(err, &deadline) || errors.As(err, &unavailable) || errors.As(err, &exhausted) ||
		errors.Is(err, context.DeadlineExceeded)
}
