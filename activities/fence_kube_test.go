package activities

import (
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

func kubeRequest() (req, proc fault.Request) {
	req = sampleRequest(1)
	req.Fault = experiment.Fault{Name: "scale", Scale: &experiment.ScaleFault{}}
	return req, sampleRequest(1)
}

// A fence written through one worker's client is seen through another's
// (one API server): the cluster-wide fence of a Kubernetes fault.
func TestKubeFencesAreSharedByTheCluster(t *testing.T) {
	cluster := fake.NewClientset()
	writer := HostAndClusterFences{Host: &FileFences{Dir: t.TempDir()}, Cluster: &KubeFences{Client: cluster, Namespace: "tempest-system"}}
	reader := HostAndClusterFences{Host: &FileFences{Dir: t.TempDir()}, Cluster: &KubeFences{Client: cluster, Namespace: "tempest-system"}}
	req, proc := kubeRequest()
	if ok, err := reader.IsFenced(t.Context(), req); ok || err != nil {
		t.Fatalf("fenced %v, %v before any fence", ok, err)
	}
	for range 2 {
		if err := writer.Fence(t.Context(), req); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := reader.IsFenced(t.Context(), req); !ok || err != nil {
		t.Fatalf("another worker of the cluster does not see the fence: %v, %v", ok, err)
	}
	// A process fault is fenced on its host only.
	if err := writer.Fence(t.Context(), proc); err != nil {
		t.Fatal(err)
	}
	if ok, _ := reader.IsFenced(t.Context(), proc); ok {
		t.Fatal("a process fence reached another host")
	}
}

// Without RBAC on configmaps the cluster store degrades instead of
// blocking reverts.
func TestKubeFencesDegradeWhenForbidden(t *testing.T) {
	cluster := fake.NewClientset()
	forbid := func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "x", errors.New("no"))
	}
	cluster.PrependReactor("*", "configmaps", forbid)
	var degraded int
	fences := HostAndClusterFences{Host: &FileFences{Dir: t.TempDir()},
		Cluster: &KubeFences{Client: cluster, Namespace: "tempest-system", Degraded: func(error) { degraded++ }}}
	req, _ := kubeRequest()
	if err := fences.Fence(t.Context(), req); err != nil {
		t.Fatalf("a forbidden cluster fence blocked the revert: %v", err)
	}
	if ok, err := fences.IsFenced(t.Context(), req); !ok || err != nil {
		t.Fatalf("the host fence is missing: %v, %v", ok, err)
	}
	if degraded == 0 {
		t.Fatal("the degradation was not reported")
	}
}
