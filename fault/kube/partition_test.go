package kube_test

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func TestNetworkPartitionPolicySelectsOnlyTheTargetPod(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "partition")
	createDeployment(t, c, ns, "queue", 2)
	waitProbe(t, c, readyProbe("Deployment", ns, "queue"), 30*time.Second)

	f := experiment.Fault{Name: "cut", NetworkPartition: &experiment.NetworkPartitionFault{
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=queue"}, Direction: experiment.DirectionIngress}}
	np := kube.NewNetworkPartition(c)
	targets, err := np.Targets(t.Context(), f)
	if err != nil || len(targets) != 2 {
		t.Fatalf("targets %+v, %v", targets, err)
	}
	run := testRun()
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	state, err := np.Inject(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := np.Inject(t.Context(), req); err != nil {
		t.Fatalf("second inject: %v", err)
	}
	policy, err := c.NetworkingV1().NetworkPolicies(ns).Get(t.Context(), state["policy"], metav1.GetOptions{})
	if err != nil {
		t.Fatalf("policy %q: %v", state["policy"], err)
	}
	if policy.Labels[kube.LabelRunID] != run.RunID {
		t.Fatalf("policy labels %v, want the run ID", policy.Labels)
	}
	if len(policy.Spec.PolicyTypes) != 1 || policy.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress || len(policy.Spec.Ingress) != 0 {
		t.Fatalf("policy spec %+v: want deny-all ingress", policy.Spec)
	}
	sel, err := metav1.LabelSelectorAsSelector(&policy.Spec.PodSelector)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 || pods.Items[0].Name != targets[0].Attrs["name"] {
		t.Fatalf("policy selects %d pods, want only %s", len(pods.Items), targets[0].Attrs["name"])
	}

	if err := np.Revert(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.NetworkingV1().NetworkPolicies(ns).Get(t.Context(), state["policy"], metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("policy after revert: %v, want NotFound", err)
	}
	labelled, err := c.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Set{kube.LabelPartition: state["policy"]}.String()})
	if err != nil || len(labelled.Items) != 0 {
		t.Fatalf("pods still labelled after revert: %d, %v", len(labelled.Items), err)
	}
}
