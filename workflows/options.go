package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
)

// Timeouts of the short activities. Long activities derive theirs from the spec.
const (
	shortActivityTimeout = time.Minute
	// heartbeatTimeout: activities heartbeat every second; a worker that dies
	// is noticed within this, and cancellation reaches an activity within
	// about 80% of it.
	heartbeatTimeout = 5 * time.Second
	// slack covers scheduling and the end of an observation.
	slack = time.Minute
)

func retryPolicy(maxAttempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		MaximumAttempts:        maxAttempts,
		NonRetryableErrorTypes: activities.NonRetryableTypes,
	}
}

// withQueue routes to the cluster's task queue when one is named.
func withQueue(ctx workflow.Context, cluster string) workflow.Context {
	if cluster == "" {
		return ctx
	}
	q := ClusterTaskQueue(workflow.GetInfo(ctx).TaskQueueName, cluster)
	return workflow.WithTaskQueue(ctx, q)
}

// shortCtx is for SelectTargets and Inject: short, heartbeating, a few retries.
func shortCtx(ctx workflow.Context, cluster string) workflow.Context {
	return withQueue(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: shortActivityTimeout,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         retryPolicy(5),
	}), cluster)
}

// revertCtx retries a revert until the rollback deadline.
func revertCtx(ctx workflow.Context, f experiment.Fault, rb experiment.Rollback) workflow.Context {
	attempt, deadline := rb.AttemptTimeout.D(), rb.Deadline.D()
	if attempt <= 0 {
		attempt = time.Minute
	}
	if deadline <= 0 {
		deadline = 10 * time.Minute
	}
	return withQueue(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: deadline,
		HeartbeatTimeout:       heartbeatTimeout,
		RetryPolicy:            retryPolicy(0),
	}), f.Cluster)
}

func probeCluster(p experiment.Probe) string {
	if p.K8s != nil {
		return p.K8s.Cluster
	}
	return ""
}

// checkCtx bounds a single-shot probe by all its attempts.
func checkCtx(ctx workflow.Context, p experiment.Probe, budget time.Duration) workflow.Context {
	budget += slack
	return withQueue(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: budget,
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         retryPolicy(3),
	}), probeCluster(p))
}

// longCtx is for activities that run for span and resume from heartbeats:
// retried without limit until span plus slack has passed, and waited for on
// cancellation so their partial results arrive as cancellation details.
func longCtx(ctx workflow.Context, span time.Duration, cluster string) workflow.Context {
	return withQueue(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    span + slack,
		ScheduleToCloseTimeout: span + 2*slack,
		HeartbeatTimeout:       heartbeatTimeout,
		WaitForCancellation:    true,
		RetryPolicy:            retryPolicy(0),
	}), cluster)
}
