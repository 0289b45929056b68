package starter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/workflows"
)

// pollersClient answers DescribeTaskQueue with fixed pollers; starting a
// workflow through it fails the test.
type pollersClient struct {
	client.Client
	t          *testing.T
	identities []string
	started    bool
}

func (c *pollersClient) DescribeTaskQueue(_ context.Context, _ string, tp enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	if tp != enumspb.TASK_QUEUE_TYPE_ACTIVITY {
		c.t.Errorf("described the %s pollers, want the activity pollers", tp)
	}
	resp := &workflowservice.DescribeTaskQueueResponse{}
	for _, id := range c.identities {
		resp.Pollers = append(resp.Pollers, &taskqueuepb.PollerInfo{Identity: id})
	}
	return resp, nil
}

func (c *pollersClient) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	c.started = true
	return nil, errors.New("started")
}

func scaleExperiment(cluster string) experiment.Experiment {
	return experiment.Experiment{
		Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "scale"},
		Spec: experiment.Spec{Faults: []experiment.Fault{{
			Name: "scale-down", Duration: experiment.Duration(3 * time.Second), Cluster: cluster,
			Scale: &experiment.ScaleFault{Kind: experiment.WorkloadStatefulSet, Replicas: 0,
				Selector: experiment.KubeSelector{Namespace: "shop", Names: []string{"api"}}},
		}}},
	}
}

func TestAmbiguousClusterIsRefusedBeforeStart(t *testing.T) {
	east, west := workflows.PollerIdentity(1, "a", "east"), workflows.PollerIdentity(2, "b", "west")
	for _, tc := range []struct {
		name       string
		exp        experiment.Experiment
		identities []string
		refused    bool
	}{
		{"two clusters, none named", scaleExperiment(""), []string{east, west, "3@c@"}, true},
		{"two clusters, one named", scaleExperiment("west"), []string{east, west}, false},
		{"one cluster twice", scaleExperiment(""), []string{east, workflows.PollerIdentity(4, "d", "east")}, false},
		{"workers without a cluster", scaleExperiment(""), []string{"1@a@", "2@b@"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &pollersClient{t: t, identities: tc.identities}
			_, err := Start(t.Context(), c, tc.exp, Options{TaskQueue: "q"})
			var amb *AmbiguousClusterError
			if tc.refused {
				if !errors.As(err, &amb) || c.started {
					t.Fatalf("err %v (started %v), want refused before start", err, c.started)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, "spec.faults[0].cluster: required: ") || !strings.Contains(msg, "east, west") || strings.Contains(msg, "\n") {
					t.Fatalf("error %q: want one line naming the field and the clusters", msg)
				}
				return
			}
			if errors.As(err, &amb) || !c.started {
				t.Fatalf("err %v (started %v), want started", err, c.started)
			}
		})
	}
}

func TestPollerIdentityRoundTrip(t *testing.T) {
	if got := workflows.PollerCluster(workflows.PollerIdentity(42, "host-a", "west")); got != "west" {
		t.Fatalf("cluster %q, want west", got)
	}
	if got := workflows.PollerCluster("42@host-a@"); got != "" {
		t.Fatalf("cluster %q from an SDK identity, want none", got)
	}
}
