package starter

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// lateServer answers Get with errs, one per call, then with result.
type lateServer struct {
	client.Client
	errs  []error
	calls int
}

func (s *lateServer) GetWorkflow(_ context.Context, id, runID string) client.WorkflowRun {
	return &lateRun{s: s}
}

type lateRun struct {
	client.WorkflowRun
	s *lateServer
}

func (r *lateRun) Get(_ context.Context, valuePtr any) error {
	r.s.calls++
	if r.s.calls <= len(r.s.errs) {
		return r.s.errs[r.s.calls-1]
	}
	*(valuePtr.(*string)) = "done"
	return nil
}

func TestWaitForWaitsAgainOnALateServer(t *testing.T) {
	s := &lateServer{errs: []error{
		serviceerror.NewDeadlineExceeded("context deadline exceeded"),
		serviceerror.NewUnavailable("connection reset"),
	}}
	var got string
	if err := waitFor(context.Background(), s, "id", "run", &got); err != nil {
		t.Fatalf("waitFor: %v", err)
	}
	if got != "done" || s.calls != 3 {
		t.Fatalf("got %q after %d calls; want done after 3", got, s.calls)
	}
}

func TestWaitForReturnsTheRunsOwnOutcome(t *testing.T) {
	outcome := temporal.NewApplicationError("probe failed", "Failed")
	s := &lateServer{errs: []error{outcome}}
	var got string
	err := waitFor(context.Background(), s, "id", "run", &got)
	if !errors.Is(err, outcome) || s.calls != 1 {
		t.Fatalf("waitFor = %v after %d calls; want the run's own error at once", err, s.calls)
	}
}

func TestWaitForStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	late := serviceerror.NewDeadlineExceeded("context deadline exceeded")
	s := &lateServer{errs: []error{late, late, late, late, late, late, late, late, late, late}}
	var got string
	if err := waitFor(ctx, s, "id", "run", &got); err == nil {
		t.Fatal("waitFor returned no error after its context ended")
	}
	if s.calls >= len(s.errs) {
		t.Fatalf("%d calls: waitFor kept waiting after its context ended", s.calls)
	}
}
