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

func TestScaleToZeroAndBackFromAnnotationAlone(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "scale")
	createDeployment(t, c, ns, "api", 3)
	waitProbe(t, c, readyProbe("Deployment", ns, "api"), 30*time.Second)

	f := experiment.Fault{Name: "scale-api", Scale: &experiment.ScaleFault{
		Kind: experiment.WorkloadDeployment, Replicas: 0,
		Selector: experiment.KubeSelector{Namespace: ns, Names: []string{"api"}},
	}}
	s := kube.NewScale(c)
	targets, err := s.Targets(t.Context(), f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets: %+v, %v", targets, err)
	}
	run := testRun()
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	state, err := s.Inject(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if state["originalReplicas"] != "3" {
		t.Fatalf("state %v, want originalReplicas 3", state)
	}
	d, err := c.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 0 || d.Annotations[kube.AnnotationOriginalReplicas] != "3" || d.Labels[kube.LabelRunID] != run.RunID {
		t.Fatalf("after inject: replicas %d, annotations %v, labels %v", *d.Spec.Replicas, d.Annotations, d.Labels)
	}
	waitProbe(t, c, experiment.Probe{Name: "gone", K8s: &experiment.K8sProbe{Resource: "Pod", Condition: experiment.K8sAbsent,
		Selector: experiment.KubeSelector{Namespace: ns, OwnerKind: "Deployment", OwnerName: "api"}}}, 20*time.Second)

	// A second inject (a retry) keeps the first original, not the current 0.
	if st, err := s.Inject(t.Context(), req); err != nil || st["originalReplicas"] != "3" {
		t.Fatalf("second inject: %v, %v", st, err)
	}
	// Revert with an empty State, as after a worker crash: the annotation decides.
	if err := s.Revert(t.Context(), req, nil); err != nil {
		t.Fatal(err)
	}
	d, err = c.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 {
		t.Fatalf("after revert: replicas %d, want 3", *d.Spec.Replicas)
	}
	if _, ok := d.Annotations[kube.AnnotationOriginalReplicas]; ok {
		t.Fatalf("after revert the annotation remains: %v", d.Annotations)
	}
	if _, ok := d.Labels[kube.LabelRunID]; ok {
		t.Fatalf("after revert the run label remains: %v", d.Labels)
	}
	waitProbe(t, c, readyProbe("Deployment", ns, "api"), 30*time.Second)
	// Reverting again, or a vanished workload, is fine.
	if err := s.Revert(t.Context(), req, fault.State{"originalReplicas": "3"}); err != nil {
		t.Fatalf("second revert: %v", err)
	}
	if err := c.AppsV1().Deployments(ns).Delete(t.Context(), "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Revert(t.Context(), req, fault.State{"originalReplicas": "3"}); err != nil {
		t.Fatalf("revert of a deleted deployment: %v", err)
	}
}

func TestScaleStatefulSetRestoresExactCount(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "scale-sts")
	createStatefulSet(t, c, ns, "db", 5)
	f := experiment.Fault{Name: "scale-db", Scale: &experiment.ScaleFault{
		Kind: experiment.WorkloadStatefulSet, Replicas: 1,
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=db"},
	}}
	s := kube.NewScale(c)
	targets, err := s.Targets(t.Context(), f)
	if err != nil || len(targets) != 1 {
		t.Fatalf("targets: %+v, %v", targets, err)
	}
	req := fault.Request{Run: testRun(), Fault: f, Target: targets[0], Injection: 1}
	state, err := s.Inject(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revert(t.Context(), req, state); err != nil {
		t.Fatal(err)
	}
	sts, err := c.AppsV1().StatefulSets(ns).Get(t.Context(), "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 5 {
		t.Fatalf("replicas %d after revert, want 5", *sts.Spec.Replicas)
	}
}
