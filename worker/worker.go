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

// New returns a worker polling taskQueue (default workflows.DefaultTaskQueue)
// with the ExperimentWorkflow and acts registered. Start it with Run or Start.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	if taskQueue == "" {
		taskQueue = workflows.DefaultTaskQueue
	}
	w := sdkworker.New(c, taskQueue, options())
	Register(w, acts)
	return w
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
