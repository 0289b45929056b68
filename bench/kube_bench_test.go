package bench

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// brokerClient returns a client of the local cluster with the seed's broker
// StatefulSet applied.
func brokerClient(b *testing.B) kubernetes.Interface {
	b.Helper()
	_, kubeconfig := kubeenv.Cluster(b)
	manifest := filepath.Join(kubeenv.RepoRoot(b), "deploy", "local-cluster", "examples", "broker.yaml")
	if out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "apply", "-f", manifest).CombinedOutput(); err != nil {
		b.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	return kubeenv.Client(b)
}

// readyPod waits for a Ready pod of the broker StatefulSet and returns its name.
func readyPod(b *testing.B, client kubernetes.Interface) string {
	b.Helper()
	var name string
	kubeenv.WaitFor(b, time.Minute, "a Ready broker pod", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods("chaos-demo").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=pubsub"})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" && p.DeletionTimestamp == nil {
					name = p.Name
					return true, nil
				}
			}
		}
		return false, nil
	})
	return name
}

// waitDeleted waits for the watch to report the pod deleted.
func waitDeleted(b *testing.B, w watch.Interface) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			if ev.Type == watch.Deleted {
				return
			}
		case <-timeout:
			b.Fatal("pod not deleted within 30s")
		}
	}
}

func watchPod(b *testing.B, client kubernetes.Interface, name string) watch.Interface {
	b.Helper()
	w, err := client.CoreV1().Pods("chaos-demo").Watch(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkBarePodDelete is the baseline: a client-go force delete of a
// broker pod until the API server reports it deleted.
func BenchmarkBarePodDelete(b *testing.B) {
	client := brokerClient(b)
	zero := int64(0)
	for b.Loop() {
		b.StopTimer()
		name := readyPod(b, client)
		w := watchPod(b, client, name)
		b.StartTimer()
		if err := client.CoreV1().Pods("chaos-demo").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			b.Fatal(err)
		}
		waitDeleted(b, w)
		b.StopTimer()
		w.Stop()
		b.StartTimer()
	}
}

// BenchmarkStartToPodDelete measures from starter.Start of a pod-delete
// experiment to the API server reporting the pod deleted.
func BenchmarkStartToPodDelete(b *testing.B) {
	client := brokerClient(b)
	_, c := devtest.Start(b)
	workertest.Start(b, c, "bench-kube", worker.Config{Kube: client})
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		name := readyPod(b, client)
		w := watchPod(b, client, name)
		exp := experiment.Experiment{
			Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "bench-pod-delete"},
			Spec: experiment.Spec{Faults: []experiment.Fault{{
				Name: "delete", Duration: experiment.Duration(100 * time.Millisecond),
				PodDelete: &experiment.PodDeleteFault{Force: true,
					Selector: experiment.KubeSelector{Namespace: "chaos-demo", Names: []string{name}}},
			}}},
		}
		b.StartTimer()
		run, err := starter.Start(ctx, c, exp, starter.Options{TaskQueue: "bench-kube"})
		if err != nil {
			b.Fatal(err)
		}
		waitDeleted(b, w)
		b.StopTimer()
		w.Stop()
		if _, err := run.Result(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
