package kube_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/probe/kubeprobe"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

const (
	workerUser      = kubeenv.WorkerUser
	targetNamespace = kubeenv.TargetNamespace
)

func TestWorkerServiceAccountRBAC(t *testing.T) {
	admin, kubeconfig := kubeenv.Cluster(t)
	kubeenv.ApplyWorkerManifests(t, kubeconfig)
	ac := kubeenv.NewClient(t, admin)
	// The ServiceAccount's own token, as the worker in deploy/worker has it.
	kubeenv.EnsureServiceAccount(t, ac, kubeenv.WorkerNamespace)
	wc := workerClient(t, admin)

	kubeenv.EnsureServiceAccount(t, ac, targetNamespace)
	name := "rbac-" + rand.String(5)
	createDeployment(t, ac, targetNamespace, name, 2)
	t.Cleanup(func() {
		_ = ac.AppsV1().Deployments(targetNamespace).Delete(t.Context(), name, metav1.DeleteOptions{})
	})
	elsewhere := kubeenv.Namespace(t, ac, "rbac-elsewhere")
	createDeployment(t, ac, elsewhere, name, 2)
	waitProbe(t, ac, readyProbe("Deployment", targetNamespace, name), 30*time.Second)
	waitProbe(t, ac, readyProbe("Deployment", elsewhere, name), 30*time.Second)

	podDelete := func(ns string) experiment.Fault {
		return experiment.Fault{Name: "kill", PodDelete: &experiment.PodDeleteFault{
			Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=" + name}, Force: true}}
	}
	run := testRun()

	t.Run("allowed in the bound namespace", func(t *testing.T) {
		pd := kube.NewPodDelete(wc)
		f := podDelete(targetNamespace)
		targets, err := pd.Targets(t.Context(), f)
		if err != nil || len(targets) != 2 {
			t.Fatalf("targets as the worker: %v, %v", targets, err)
		}
		if _, err := pd.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0]}); err != nil {
			t.Fatalf("pod delete as the worker: %v", err)
		}
		s := kube.NewScale(wc)
		sf := experiment.Fault{Name: "scale", Scale: &experiment.ScaleFault{Kind: experiment.WorkloadDeployment, Replicas: 1,
			Selector: experiment.KubeSelector{Namespace: targetNamespace, Names: []string{name}}}}
		st, err := s.Targets(t.Context(), sf)
		if err != nil || len(st) != 1 {
			t.Fatalf("scale targets as the worker: %v, %v", st, err)
		}
		req := fault.Request{Run: run, Fault: sf, Target: st[0]}
		state, err := s.Inject(t.Context(), req)
		if err != nil {
			t.Fatalf("scale as the worker: %v", err)
		}
		if err := s.Revert(t.Context(), req, state); err != nil {
			t.Fatalf("scale revert as the worker: %v", err)
		}
		np := kube.NewNetworkPartition(wc)
		nf := experiment.Fault{Name: "cut", NetworkPartition: &experiment.NetworkPartitionFault{Selector: f.PodDelete.Selector}}
		pt, err := np.Targets(t.Context(), nf)
		if err != nil || len(pt) == 0 {
			t.Fatalf("partition targets as the worker: %v, %v", pt, err)
		}
		preq := fault.Request{Run: run, Fault: nf, Target: pt[0]}
		pstate, err := np.Inject(t.Context(), preq)
		if err != nil {
			t.Fatalf("partition as the worker: %v", err)
		}
		if err := np.Revert(t.Context(), preq, pstate); err != nil {
			t.Fatalf("partition revert as the worker: %v", err)
		}
		waitProbe(t, wc, readyProbe("Deployment", targetNamespace, name), 30*time.Second)
	})

	t.Run("forbidden elsewhere, naming verb, resource and namespace", func(t *testing.T) {
		pd := kube.NewPodDelete(wc)
		_, err := pd.Targets(t.Context(), podDelete(elsewhere))
		assertKind(t, err, "Forbidden", "list pods", elsewhere)

		adminTargets, err := kube.NewPodDelete(ac).Targets(t.Context(), podDelete(elsewhere))
		if err != nil || len(adminTargets) == 0 {
			t.Fatalf("admin targets: %v, %v", adminTargets, err)
		}
		_, err = pd.Inject(t.Context(), fault.Request{Run: run, Fault: podDelete(elsewhere), Target: adminTargets[0]})
		assertKind(t, err, "Forbidden", "delete pods", elsewhere, workerUser)
		t.Logf("forbidden delete: %v", err)

		sf := experiment.Fault{Name: "scale", Scale: &experiment.ScaleFault{Kind: experiment.WorkloadDeployment,
			Selector: experiment.KubeSelector{Namespace: elsewhere, Names: []string{name}}}}
		target := experiment.Target{ID: "deployments/" + elsewhere + "/" + name, Attrs: map[string]string{"namespace": elsewhere, "name": name}}
		_, err = kube.NewScale(wc).Inject(t.Context(), fault.Request{Run: run, Fault: sf, Target: target})
		assertKind(t, err, "Forbidden", "get deployments", elsewhere)

		_, err = kubeprobe.New(wc).Observe(t.Context(), readyProbe("Deployment", elsewhere, name))
		assertKind(t, err, "Forbidden", "list deployments", elsewhere)

		// Node faults need the opt-in node-faults ClusterRole.
		nodeFault := experiment.Fault{Name: "cordon", NodeCordon: &experiment.NodeFault{Selector: experiment.KubeSelector{LabelSelector: "type=kwok"}}}
		_, err = kube.NewNodeCordon(wc).Targets(t.Context(), nodeFault)
		assertKind(t, err, "Forbidden", "list nodes", "cluster-wide")

		// Impersonating the account gets the same answer as its token.
		ic := kubeenv.NewClient(t, kubeenv.Impersonate(admin, workerUser))
		_, err = kube.NewPodDelete(ic).Targets(t.Context(), podDelete(elsewhere))
		assertKind(t, err, "Forbidden", "list pods", elsewhere)

		// Nothing was touched.
		victim := adminTargets[0].Attrs["name"]
		p, err := ac.CoreV1().Pods(elsewhere).Get(t.Context(), victim, metav1.GetOptions{})
		if err != nil || string(p.UID) != adminTargets[0].Attrs["uid"] || p.DeletionTimestamp != nil {
			t.Fatalf("pod %s after the forbidden delete: %v", victim, err)
		}
	})
}

// workerClient is a client holding a real token (TokenRequest) of
// deploy/worker's ServiceAccount.
func workerClient(t *testing.T, admin *rest.Config) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeenv.ServiceAccountKubeconfig(t, admin, kubeenv.WorkerNamespace, kubeenv.WorkerServiceAccount))
	if err != nil {
		t.Fatal(err)
	}
	return kubeenv.NewClient(t, cfg)
}
