package kube_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

// TestCleanupRevertsLeftovers injects three faults and never reverts them,
// as when the worker and the server died mid-run; Cleanup finds them by the
// run label and reverts them; another run's leftovers are left alone.
func TestCleanupRevertsLeftovers(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "cleanup")
	node := testNode(t, c)
	createDeployment(t, c, ns, "app", 2)
	createDeployment(t, c, ns, "other", 4)
	createDeployment(t, c, ns, "cut", 1)
	waitProbe(t, c, readyProbe("Deployment", ns, "app"), 30*time.Second)
	waitProbe(t, c, readyProbe("Deployment", ns, "cut"), 30*time.Second)

	run, otherRun := testRun(), testRun()
	inject := func(run fault.Run, impl fault.Fault, f experiment.Fault) {
		t.Helper()
		targets, err := impl.Targets(t.Context(), f)
		if err != nil || len(targets) == 0 {
			t.Fatalf("%s targets: %v, %v", f.Name, targets, err)
		}
		if _, err := impl.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}); err != nil {
			t.Fatalf("%s inject: %v", f.Name, err)
		}
	}
	inject(run, kube.NewScale(c), experiment.Fault{Name: "scale", Scale: &experiment.ScaleFault{
		Kind: experiment.WorkloadDeployment, Selector: experiment.KubeSelector{Namespace: ns, Names: []string{"app"}}}})
	inject(run, kube.NewNodeCordon(c), experiment.Fault{Name: "cordon", NodeCordon: &experiment.NodeFault{
		Selector: experiment.KubeSelector{Names: []string{node}}}})
	inject(run, kube.NewNetworkPartition(c), experiment.Fault{Name: "cut", NetworkPartition: &experiment.NetworkPartitionFault{
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=cut"}}})
	inject(otherRun, kube.NewScale(c), experiment.Fault{Name: "scale-other", Scale: &experiment.ScaleFault{Replicas: 1,
		Kind: experiment.WorkloadDeployment, Selector: experiment.KubeSelector{Namespace: ns, Names: []string{"other"}}}})

	done, err := kube.Cleanup(t.Context(), c, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cleanup: %q", done)
	if len(done) != 4 { // deployment, node, policy, partitioned pod
		t.Fatalf("cleanup reverted %d objects, want 4: %q", len(done), done)
	}
	d, err := c.AppsV1().Deployments(ns).Get(t.Context(), "app", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 2 {
		t.Fatalf("app after cleanup: %v", err)
	}
	if unschedulable(t, c, node) {
		t.Fatal("node still cordoned after cleanup")
	}
	policies, err := c.NetworkingV1().NetworkPolicies(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil || len(policies.Items) != 0 {
		t.Fatalf("policies after cleanup: %d, %v", len(policies.Items), err)
	}
	other, err := c.AppsV1().Deployments(ns).Get(t.Context(), "other", metav1.GetOptions{})
	if err != nil || *other.Spec.Replicas != 1 {
		t.Fatalf("another run's scale was touched: %v", err)
	}
	if again, err := kube.Cleanup(t.Context(), c, run.RunID); err != nil || len(again) != 0 {
		t.Fatalf("second cleanup: %q, %v; want nothing left", again, err)
	}
	// (Cleanup with "" would also revert other packages' runs on this shared
	// cluster, so the test cleans the other run by its ID.)
	if done, err := kube.Cleanup(t.Context(), c, otherRun.RunID); err != nil || len(done) != 1 {
		t.Fatalf("cleanup of the other run: %q, %v", done, err)
	}
	other, err = c.AppsV1().Deployments(ns).Get(t.Context(), "other", metav1.GetOptions{})
	if err != nil || *other.Spec.Replicas != 4 {
		t.Fatalf("other after its cleanup: %v", err)
	}
}
