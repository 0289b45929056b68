package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/starter"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// brokerReady applies the seed's broker StatefulSet and waits until its
// three pods are Ready.
func brokerReady(t *testing.T, kubeconfig string, client kubernetes.Interface) {
	t.Helper()
	manifest := filepath.Join(kubeenv.RepoRoot(t), "deploy", "local-cluster", "examples", "broker.yaml")
	if out, err := exec.Command("kubectl", "--kubeconfig", kubeconfig, "apply", "-f", manifest).CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	kubeenv.WaitFor(t, time.Minute, "the broker StatefulSet to be Ready", func(ctx context.Context) (bool, error) {
		sts, err := client.AppsV1().StatefulSets("chaos-demo").Get(ctx, "broker", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return sts.Status.ReadyReplicas == 3 && sts.Spec.Replicas != nil && *sts.Spec.Replicas == 3, nil
	})
}

// TestPodDeleteFromCLI runs the seed's pod-delete experiment with
// `tempest run` (embedded server, in-process worker with --kubeconfig).
func TestPodDeleteFromCLI(t *testing.T) {
	tempestBin, _ := binaries(t)
	_, kubeconfig := kubeenv.Cluster(t)
	brokerReady(t, kubeconfig, kubeenv.Client(t))
	spec := filepath.Join(kubeenv.RepoRoot(t), "deploy", "local-cluster", "examples", "pod-delete.yaml")
	cmd := exec.Command(tempestBin, "--state-dir", t.TempDir(), "--port", strconv.Itoa(freePort(t)), "--ui-port", strconv.Itoa(freePort(t)),
		"--kubeconfig", kubeconfig, "run", "--output", "json", "--exit", spec)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var rep struct {
		Verdict string
		Reasons []string
		Faults  []struct{ Injections, Reverts int }
	}
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("run: %v, output %q: %v\n%s", err, out.String(), jerr, errOut.String())
	}
	if err != nil || rep.Verdict != "Passed" || rep.Faults[0].Injections != 1 {
		t.Fatalf("run: %v, report %+v\n%s", err, rep, errOut.String())
	}
}

// TestForbiddenEndsErroredWithoutRetries runs a worker with the deploy/
// ServiceAccount's token against a namespace its Role does not cover: the
// API server's Forbidden ends the experiment Errored at pre-flight, without
// retries, and nothing is touched.
func TestForbiddenEndsErroredWithoutRetries(t *testing.T) {
	admin, kubeconfig := kubeenv.Cluster(t)
	client := kubeenv.NewClient(t, admin)
	brokerReady(t, kubeconfig, client)
	kubeenv.ApplyWorkerManifests(t, kubeconfig)
	saKubeconfig := kubeenv.ServiceAccountKubeconfig(t, admin, "tempest-system", "tempest-worker")
	saClient, _, err := kube.NewClient(saKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	workertest.Start(t, e.c, "it-forbidden", worker.Config{Kube: saClient})

	exp := experiment.Experiment{
		Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "forbidden"},
		Spec: experiment.Spec{Faults: []experiment.Fault{{
			Name: "delete-elsewhere", Duration: experiment.Duration(5 * time.Second),
			PodDelete: &experiment.PodDeleteFault{Selector: experiment.KubeSelector{Namespace: "default", LabelSelector: "app=anything"}},
		}}},
	}
	run, res := e.runToEnd(t, exp, "it-forbidden", time.Minute)
	if res.Verdict != experiment.VerdictErrored {
		t.Fatalf("verdict %s, want Errored; reasons %v", res.Verdict, res.Reasons)
	}
	joined := strings.Join(res.Reasons, "\n")
	for _, want := range []string{"Forbidden", "pods", `"default"`} {
		if !strings.Contains(joined, want) {
			t.Fatalf("reasons %q do not name %s", joined, want)
		}
	}
	if n, err := run.HistoryEvents(context.Background()); err != nil || n > 30 {
		t.Fatalf("%d history events (%v): a Forbidden must not be retried", n, err)
	}
	if res.Faults[0].Injections != 0 {
		t.Fatal("something was injected")
	}
}

// TestCleanupAfterWorkerAndServerDie scales the broker to 0, then kills the
// worker (-9) and stops the Temporal server mid-hold: `tempest cleanup`
// finds the leftover by its run-ID label and restores the replicas.
func TestCleanupAfterWorkerAndServerDie(t *testing.T) {
	tempestBin, _ := binaries(t)
	admin, kubeconfig := kubeenv.Cluster(t)
	client := kubeenv.NewClient(t, admin)
	brokerReady(t, kubeconfig, client)
	e := newEnv(t)
	const queue = "it-cleanup"
	w := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue, "--kubeconfig", kubeconfig)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })

	exp := experiment.Experiment{
		Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "scale-leftover"},
		Spec: experiment.Spec{Faults: []experiment.Fault{{
			Name: "scale-to-zero", Duration: experiment.Duration(10 * time.Minute),
			Scale: &experiment.ScaleFault{Kind: experiment.WorkloadStatefulSet, Replicas: 0,
				Selector: experiment.KubeSelector{Namespace: "chaos-demo", Names: []string{"broker"}}},
		}}},
	}
	ctx := context.Background()
	run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	kubeenv.WaitFor(t, time.Minute, "the broker to be scaled to 0", func(ctx context.Context) (bool, error) {
		sts, err := client.AppsV1().StatefulSets("chaos-demo").Get(ctx, "broker", metav1.GetOptions{})
		return err == nil && *sts.Spec.Replicas == 0, nil
	})
	_ = w.Process.Signal(syscall.SIGKILL)
	_ = e.srv.Stop()

	out, err := exec.Command(tempestBin, "cleanup", "--kubeconfig", kubeconfig, "--run", run.RunID).CombinedOutput()
	if err != nil {
		t.Fatalf("tempest cleanup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "reverted") {
		t.Fatalf("cleanup reverted nothing:\n%s", out)
	}
	sts, err := client.AppsV1().StatefulSets("chaos-demo").Get(ctx, "broker", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 3 {
		t.Fatalf("replicas %d after cleanup, want the original 3", *sts.Spec.Replicas)
	}
}

// TestSafetyRefusalsTouchNothing: a protected namespace, a blast radius over
// the limit and a selector that matches nothing are each refused at
// pre-flight with a one-line reason, and no broker pod is touched.
func TestSafetyRefusalsTouchNothing(t *testing.T) {
	admin, kubeconfig := kubeenv.Cluster(t)
	client := kubeenv.NewClient(t, admin)
	brokerReady(t, kubeconfig, client)
	before := podUIDs(t, client)
	e := newEnv(t)
	workertest.Start(t, e.c, "it-safety", worker.Config{Kube: client})

	podDelete := func(name string, sel experiment.KubeSelector, safety experiment.Safety) experiment.Experiment {
		return experiment.Experiment{
			Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: name},
			Spec: experiment.Spec{Safety: safety, Faults: []experiment.Fault{{
				Name: "delete", Duration: experiment.Duration(5 * time.Second),
				PodDelete: &experiment.PodDeleteFault{Force: true, Selector: sel},
			}}},
		}
	}
	brokers := experiment.KubeSelector{Namespace: "chaos-demo", LabelSelector: "app.kubernetes.io/name=pubsub"}
	cases := []struct {
		name string
		exp  experiment.Experiment
		want string
	}{
		{"protected-namespace", podDelete("protected", experiment.KubeSelector{Namespace: "kube-system", LabelSelector: "component=kube-apiserver"}, experiment.Safety{}), `namespace "kube-system" is protected`},
		{"blast-radius", podDelete("blast-radius", brokers, experiment.Safety{MaxBlastRadiusPercent: 50}), "over spec.safety.maxBlastRadiusPercent 50%"},
		{"no-match", podDelete("no-match", experiment.KubeSelector{Namespace: "chaos-demo", LabelSelector: "app=nothing"}, experiment.Safety{}), "selector matches nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, res := e.runToEnd(t, c.exp, "it-safety", time.Minute)
			if res.Verdict != experiment.VerdictErrored || len(res.Reasons) != 1 {
				t.Fatalf("verdict %s, reasons %q; want Errored with one reason", res.Verdict, res.Reasons)
			}
			if r := res.Reasons[0]; !strings.Contains(r, c.want) || strings.Contains(r, "\n") {
				t.Fatalf("reason %q, want one line containing %q", r, c.want)
			}
			if res.Faults[0].Injections != 0 {
				t.Fatal("something was injected")
			}
		})
	}
	if after := podUIDs(t, client); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("broker pods changed: %v -> %v", before, after)
	}
}

// podUIDs lists the broker pods' UIDs, sorted by name.
func podUIDs(t *testing.T, client kubernetes.Interface) []string {
	t.Helper()
	pods, err := client.CoreV1().Pods("chaos-demo").List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=pubsub"})
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, p := range pods.Items {
		uids = append(uids, p.Name+"="+string(p.UID))
	}
	sort.Strings(uids)
	return uids
}
