package worker

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/tempest-chaos/tempest/activities"
)

func TestQueuesPollEveryLongQueueBesideItsOwn(t *testing.T) {
	r := Routing{Base: "q", Identity: activities.Identity{Host: "h1", Cluster: "west"}, Default: true, Kube: true}
	want := []Queue{
		{Name: "q", Workflows: true, Activities: true},
		{Name: "q@long", Activities: true, Long: true},
		{Name: "q@host:h1", Activities: true},
		{Name: "q@host:h1@long", Activities: true, Long: true},
		{Name: "q@west", Activities: true},
		{Name: "q@west@long", Activities: true, Long: true},
	}
	if got := r.Queues(); !reflect.DeepEqual(got, want) {
		t.Errorf("queues:\n got %+v\nwant %+v", got, want)
	}
	// Not the default host: no activities of the experiments' queue, long
	// ones included.
	r.Default = false
	for _, q := range r.Queues() {
		if q.Name == "q@long" || (q.Name == "q" && q.Activities) {
			t.Errorf("a worker that is not the default host polls %+v", q)
		}
	}
}

func TestLimitsGiveLongQueuesTheirOwnSlots(t *testing.T) {
	l := Limits{Activities: 7, LongActivities: 300}
	short, long := l.options(Queue{Name: "q", Workflows: true, Activities: true}), l.options(Queue{Name: "q@long", Activities: true, Long: true})
	if short.MaxConcurrentActivityExecutionSize != 7 || long.MaxConcurrentActivityExecutionSize != 300 {
		t.Errorf("activity slots: short %d, long %d; want 7 and 300", short.MaxConcurrentActivityExecutionSize, long.MaxConcurrentActivityExecutionSize)
	}
	if !long.DisableWorkflowWorker || short.DisableWorkflowWorker {
		t.Errorf("workflows polled on the long queue (%v) or not on the short one (%v)", !long.DisableWorkflowWorker, !short.DisableWorkflowWorker)
	}
	if short.MaxConcurrentWorkflowTaskExecutionSize != DefaultLimits.WorkflowTasks || short.MaxConcurrentActivityTaskPollers != DefaultLimits.Pollers {
		t.Errorf("zero limits did not take the defaults: %+v", short)
	}
	if short.MaxConcurrentWorkflowTaskPollers < 2 {
		t.Errorf("workflow pollers %d, the SDK needs 2", short.MaxConcurrentWorkflowTaskPollers)
	}
	err := Limits{LongActivities: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--max-concurrent-long-activities") {
		t.Errorf("negative long limit: %v, want an error naming the flag", err)
	}
}

func TestReservedClusterNameRefused(t *testing.T) {
	for _, c := range []string{"long", "west@long"} {
		if _, err := LocalIdentity(t.Context(), "h", c, fake.NewClientset()); err == nil || !strings.Contains(err.Error(), "--cluster") {
			t.Errorf("--cluster %q: %v, want refused", c, err)
		}
	}
}
