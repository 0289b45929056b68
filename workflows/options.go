package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
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

// maxRetryInterval caps the backoff between attempts. Every activity here
// heartbeats, so most retries follow a worker's death or a cut, which is no
// reason to wait longer each time: with Temporal's doubling up to 30 s, the
// fourth failover of one activity waited 8 s more than the first (the
// engine-under-chaos runs 3 and 5). The schedule-to-close bounds, not the
// backoff, limit how long a failing dependency is retried.
const maxRetryInterval = 5 * time.Second

func retryPolicy(maxAttempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        maxRetryInterval,
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

// route is where a fault's activities run: a host's or a cluster's task
// queue, or (both empty) the experiment's own; with long, that queue's
// LongTaskQueue.
type route struct {
	host, cluster string
	long          bool
}

func (rt route) apply(ctx workflow.Context) workflow.Context {
	if rt.long {
		return workflow.WithTaskQueue(ctx, LongTaskQueue(rt.queue(workflow.GetInfo(ctx).TaskQueueName)))
	}
	if rt.host != "" {
		return workflow.WithTaskQueue(ctx, HostTaskQueue(workflow.GetInfo(ctx).TaskQueueName, rt.host))
	}
	return withQueue(ctx, rt.cluster)
}

// queue is the task queue of rt for a workflow on base, long aside.
func (rt route) queue(base string) string {
	if rt.host != "" {
		return HostTaskQueue(base, rt.host)
	}
	return ClusterTaskQueue(base, rt.cluster)
}

// longSuffix ends the name of every long-activity task queue.
const longSuffix = "@long"

// LongTaskQueue is the task queue of the long activities of queue:
// "<queue>@long", for the experiments' queue and for a host's or a
// cluster's alike. An experiment's probe watchers and load run there from
// versionLongQueue on, a campaign's guards (WatchProbe for the whole
// campaign) from campaignVersionLongGuards on; older runs keep them on
// queue itself (see versions.go). Every worker polls it beside queue, with
// its own concurrency limit, so that hundreds of running watchers never
// make an inject or a revert wait for a slot. A cluster may therefore not
// be named "long".
func LongTaskQueue(queue string) string { return queue + longSuffix }

// ReservedCluster is the cluster name LongTaskQueue reserves.
const ReservedCluster = "long"

// longRoute is rt for a long activity: on LongTaskQueue from
// versionLongQueue on, on rt's own queue before.
func (r *run) longRoute(rt route) route {
	rt.long = r.version >= versionLongQueue
	return rt
}

// faultRoute is where fault f selects its targets: its host: or cluster:
// (from versionNormalized on; before, cluster: only).
func (r *run) faultRoute(f experiment.Fault) route {
	if r.version >= versionNormalized && f.Host != "" {
		return route{host: f.Host}
	}
	return route{cluster: f.Cluster}
}

// targetRoute is where an inject or revert of target t runs: the host or
// cluster recorded on t when it was selected (from versionNormalized on),
// so it never acts on another host or cluster than the target's.
func (r *run) targetRoute(f experiment.Fault, t experiment.Target) route {
	if r.version >= versionNormalized {
		if h := t.Attrs[fault.AttrHost]; h != "" {
			return route{host: h}
		}
		if c := t.Attrs[fault.AttrCluster]; c != "" {
			return route{cluster: c}
		}
	}
	return r.faultRoute(f)
}

// shortScheduleToClose bounds a short activity end to end, waiting for a
// worker included: no worker polling a host's queue fails it, it never hangs.
const shortScheduleToClose = 3 * time.Minute

// shortCtx is for SelectTargets: short, heartbeating, a few retries.
func shortCtx(ctx workflow.Context, rt route) workflow.Context {
	return attemptCtx(ctx, rt, shortActivityTimeout)
}

// injectCtx is for Inject: each attempt bounded by the fault's plan (a
// drain waits for its evictions), all of them by three attempts' worth
// (at least shortScheduleToClose).
func injectCtx(ctx workflow.Context, rt route, fp FaultPlan) workflow.Context {
	return attemptCtx(ctx, rt, max(fp.InjectTimeout, shortActivityTimeout))
}

func attemptCtx(ctx workflow.Context, rt route, attempt time.Duration) workflow.Context {
	return rt.apply(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: max(shortScheduleToClose, 3*attempt),
		HeartbeatTimeout:       heartbeatTimeout,
		// Retried until the schedule-to-close bound, not a count: three or
		// five attempts are spent by one 20-40 s network cut (heartbeat
		// timeouts), while the bound leaves minutes.
		RetryPolicy: retryPolicy(0),
	}))
}

// revertCtx retries a revert until the rollback deadline.
func revertCtx(ctx workflow.Context, rt route, rb experiment.Rollback) workflow.Context {
	attempt, deadline := rb.AttemptTimeout.D(), rb.Deadline.D()
	if attempt <= 0 {
		attempt = time.Minute
	}
	if deadline <= 0 {
		deadline = 10 * time.Minute
	}
	return rt.apply(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: deadline,
		HeartbeatTimeout:       heartbeatTimeout,
		RetryPolicy:            retryPolicy(0),
	}))
}

// probeRoute is where probe p runs: the host it names, or a k8s probe's
// cluster, or (neither) the experiment's own task queue.
func probeRoute(p experiment.Probe) route {
	switch {
	case p.Host != "":
		return route{host: p.Host}
	case p.K8s != nil:
		return route{cluster: p.K8s.Cluster}
	}
	return route{}
}

// checkCtx bounds a single-shot probe by all its attempts.
func checkCtx(ctx workflow.Context, p experiment.Probe, budget time.Duration) workflow.Context {
	budget += slack
	return probeRoute(p).apply(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: budget,
		// Every attempt with its backoff, waiting for a worker included.
		ScheduleToCloseTimeout: 3*budget + slack,
		HeartbeatTimeout:       heartbeatTimeout,
		RetryPolicy:            retryPolicy(0),
	}))
}

// longCtx is for activities that run for span and resume from heartbeats:
// retried without limit until span plus slack has passed, and waited for on
// cancellation so their partial results arrive as cancellation details.
func longCtx(ctx workflow.Context, span time.Duration, rt route) workflow.Context {
	return rt.apply(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    span + slack,
		ScheduleToCloseTimeout: span + 5*slack,
		HeartbeatTimeout:       heartbeatTimeout,
		WaitForCancellation:    true,
		RetryPolicy:            retryPolicy(0),
	}))
}
