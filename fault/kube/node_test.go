package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func unschedulable(t *testing.T, c kubernetes.Interface, node string) bool {
	t.Helper()
	n, err := c.CoreV1().Nodes().Get(t.Context(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Spec.Unschedulable
}

func TestNodeCordonAndUncordon(t *testing.T) {
	c := kubeenv.Client(t)
	node := testNode(t, c)
	f := experiment.Fault{Name: "cordon", NodeCordon: &experiment.NodeFault{
		Selector: experiment.KubeSelector{Names: []string{node}}}}
	nc := kube.NewNodeCordon(c)
	targets, err := nc.Targets(t.Context(), f)
	if err != nil || len(targets) != 1 || targets[0].ID != "node/"+node {
		t.Fatalf("targets %+v, %v", targets, err)
	}
	req := fault.Request{Run: testRun(), Fault: f, Target: targets[0], Injection: 1}
	if _, err := nc.Inject(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if !unschedulable(t, c, node) {
		t.Fatal("node schedulable after cordon")
	}
	if err := nc.Revert(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	if unschedulable(t, c, node) {
		t.Fatal("node still cordoned after revert")
	}

	// A node someone else cordoned stays cordoned after our revert.
	if _, err := c.CoreV1().Nodes().Patch(t.Context(), node, "application/merge-patch+json",
		[]byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	state, err := nc.Inject(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Revert(t.Context(), req, state); err != nil {
		t.Fatal(err)
	}
	if !unschedulable(t, c, node) {
		t.Fatal("revert uncordoned a node Tempest had not cordoned")
	}
}

func TestNodeDrainRespectsPodDisruptionBudget(t *testing.T) {
	c := kubeenv.Client(t)
	node := testNode(t, c)
	ns := kubeenv.Namespace(t, c, "drain")
	createDeployment(t, c, ns, "guarded", 2, onNode(node))
	waitProbe(t, c, readyProbe("Deployment", ns, "guarded"), 30*time.Second)
	_, err := c.PolicyV1().PodDisruptionBudgets(ns).Create(t.Context(), &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "guarded"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kubeenv.WaitFor(t, 20*time.Second, "PDB allows one disruption", func(ctx context.Context) (bool, error) {
		pdb, err := c.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "guarded", metav1.GetOptions{})
		return err == nil && pdb.Status.DisruptionsAllowed == 1, nil
	})

	f := experiment.Fault{Name: "drain", NodeDrain: &experiment.NodeDrainFault{
		Selector: experiment.KubeSelector{Names: []string{node}},
		Timeout:  experiment.Duration(3 * time.Second),
	}}
	nd := kube.NewNodeDrain(c)
	targets, err := nd.Targets(t.Context(), f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets %+v, %v", targets, err)
	}
	req := fault.Request{Run: testRun(), Fault: f, Target: targets[0], Injection: 1}
	start := time.Now()
	state, err := nd.Inject(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("drain took %v, state %v", time.Since(start), state)
	// The budget allows one pod down; the evicted pod's replacement cannot
	// be scheduled (pinned to the cordoned node), so the second eviction is
	// refused until the timeout.
	if state["evicted"] != "1" || strings.Count(state["notEvicted"], ns+"/guarded-") != 1 {
		t.Fatalf("state %v: want 1 evicted and 1 held back by the PDB", state)
	}
	if !unschedulable(t, c, node) {
		t.Fatal("drained node is schedulable")
	}
	if err := nd.Revert(t.Context(), req, state); err != nil {
		t.Fatal(err)
	}
	if unschedulable(t, c, node) {
		t.Fatal("node still cordoned after revert")
	}
	// Uncordoned, the pending replacement is scheduled and the deployment recovers.
	waitProbe(t, c, readyProbe("Deployment", ns, "guarded"), 30*time.Second)
}

func TestNodeDrainRefusesDaemonSetPodsUnlessIgnored(t *testing.T) {
	c := kubeenv.Client(t)
	node := testNode(t, c)
	ns := kubeenv.Namespace(t, c, "drain-ds")
	labels := map[string]string{"app": "agent"}
	tmpl := podTemplate(labels)
	tmpl.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	_, err := c.AppsV1().DaemonSets(ns).Create(t.Context(), &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kubeenv.WaitFor(t, 30*time.Second, "DaemonSet pod on "+node, func(ctx context.Context) (bool, error) {
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		return err == nil && len(pods.Items) == 1, nil
	})
	f := experiment.Fault{Name: "drain", NodeDrain: &experiment.NodeDrainFault{Selector: experiment.KubeSelector{Names: []string{node}}}}
	nd := kube.NewNodeDrain(c)
	target := experiment.Target{ID: "node/" + node, Attrs: map[string]string{"name": node}}
	_, err = nd.Inject(t.Context(), fault.Request{Run: testRun(), Fault: f, Target: target})
	assertKind(t, err, "Refused", "DaemonSet", "ignoreDaemonSets")
	if unschedulable(t, c, node) {
		t.Fatal("refused drain cordoned the node")
	}
	f.NodeDrain.IgnoreDaemonSets = true
	req := fault.Request{Run: testRun(), Fault: f, Target: target}
	if state, err := nd.Inject(t.Context(), req); err != nil || state["evicted"] != "0" {
		t.Fatalf("drain ignoring DaemonSets: %v, %v", state, err)
	}
	if err := nd.Revert(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
}
