package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/workflows"
)

// StickyScheduleToStartTimeout is how long a workflow task waits on the
// sticky queue of the worker that ran the workflow last before it goes to
// the task queue, where any worker takes it (with a replay). A dead worker
// delays its runs by this much (the SDK's default is 5 s); a live but busy
// one only loses its cache for that task.
const StickyScheduleToStartTimeout = 2 * time.Second

// Worker is the SDK workers of one Tempest worker: one per task queue it
// polls (see Routing).
type Worker struct{ ws []sdkworker.Worker }

// New returns a worker polling taskQueue (default
// workflows.DefaultTaskQueue) for workflows and activities, and its
// workflows.LongTaskQueue for long activities, with DefaultLimits and
// the ExperimentWorkflow and acts registered. Start it with Start.
func New(c client.Client, taskQueue string, acts *activities.Activities) *Worker {
	ws, err := build(c, Routing{Base: taskQueue, Default: true}, acts)
	if err != nil { // DefaultLimits are valid
		panic(err)
	}
	return &Worker{ws: ws}
}

// Start starts every SDK worker; on an error, those started are stopped.
func (w *Worker) Start() error {
	for i, sw := range w.ws {
		if err := sw.Start(); err != nil {
			for j := i - 1; j >= 0; j-- {
				w.ws[j].Stop()
			}
			return fmt.Errorf("start worker: %w", err)
		}
	}
	return nil
}

// Stop stops every SDK worker, the last started first.
func (w *Worker) Stop() {
	for i := len(w.ws) - 1; i >= 0; i-- {
		w.ws[i].Stop()
	}
}

// Limits bound what one worker process runs at once, per task queue it
// polls: a worker whose Routing polls several queues (its host's, its
// cluster's) has these slots on each. Zero fields take DefaultLimits.
//
// Long activities (probe watchers, load) hold a slot for their whole
// duration, so they run on a long-activity queue with slots of their own
// (LongActivities), and the short ones (target selection, inject, revert,
// single-shot probes) never wait behind them.
type Limits struct {
	// Activities is how many short activities run at once.
	Activities int
	// LongActivities is how many long activities run at once; more wait
	// on the server (their schedule-to-close bounds cover the wait).
	LongActivities int
	// WorkflowTasks is how many workflow tasks run at once.
	WorkflowTasks int
	// Pollers is how many long polls each SDK worker keeps open for
	// activity tasks, and for workflow tasks on the experiments' queue.
	Pollers int
}

// DefaultLimits: short activities are brief, so 200 slots start hundreds
// of injects and reverts at once; a long activity is a heartbeating
// goroutine (watchers measured in README's capacity table), so 1,000 fit
// one worker; workflow tasks last milliseconds.
var DefaultLimits = Limits{Activities: 200, LongActivities: 1000, WorkflowTasks: 200, Pollers: 2}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Activities == 0 {
		l.Activities = d.Activities
	}
	if l.LongActivities == 0 {
		l.LongActivities = d.LongActivities
	}
	if l.WorkflowTasks == 0 {
		l.WorkflowTasks = d.WorkflowTasks
	}
	if l.Pollers == 0 {
		l.Pollers = d.Pollers
	}
	return l
}

// Validate refuses negative limits, naming the flag that sets each.
func (l Limits) Validate() error {
	for _, f := range []struct {
		flag string
		v    int
	}{
		{"--max-concurrent-activities", l.Activities},
		{"--max-concurrent-long-activities", l.LongActivities},
		{"--max-concurrent-workflow-tasks", l.WorkflowTasks},
		{"--pollers", l.Pollers},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s %d: must not be negative (0 takes the default)", f.flag, f.v)
		}
	}
	return nil
}

// options are the SDK worker options of queue q.
func (l Limits) options(q Queue) sdkworker.Options {
	l = l.withDefaults()
	opts := options()
	opts.DisableWorkflowWorker = !q.Workflows
	opts.LocalActivityWorkerOnly = !q.Activities
	opts.MaxConcurrentWorkflowTaskExecutionSize = l.WorkflowTasks
	opts.MaxConcurrentWorkflowTaskPollers = max(l.Pollers, 2) // the SDK's minimum (normal and sticky)
	opts.MaxConcurrentActivityExecutionSize = l.Activities
	if q.Long {
		opts.MaxConcurrentActivityExecutionSize = l.LongActivities
	}
	opts.MaxConcurrentActivityTaskPollers = l.Pollers
	return opts
}

// options are the SDK worker options every Tempest worker starts with.
func options() sdkworker.Options {
	return sdkworker.Options{StickyScheduleToStartTimeout: StickyScheduleToStartTimeout}
}

// Register adds Tempest's workflow and activities to a worker.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	registerWorkflows(r)
	r.RegisterActivity(acts)
}

// registerWorkflows adds Tempest's workflows to a worker.
func registerWorkflows(r sdkworker.Registry) {
	r.RegisterWorkflowWithOptions(workflows.ExperimentWorkflow, workflow.RegisterOptions{Name: workflows.ExperimentWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.FaultWorkflow, workflow.RegisterOptions{Name: workflows.FaultWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
}

// SearchAttributes are the custom search attributes Tempest sets.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		workflows.AttrExperiment.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		workflows.AttrVerdict.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		workflows.AttrTarget.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		workflows.AttrCampaign.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// EnsureSearchAttributes registers Tempest's search attributes on namespace
// when missing. It needs operator rights; on a cluster where the worker has
// none, an administrator registers them once (the error says which).
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes() {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register search attributes %v on namespace %q: %w", keys(missing), namespace, err)
	}
	return nil
}

func keys(m map[string]enumspb.IndexedValueType) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
