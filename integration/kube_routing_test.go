package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/starter"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

// TestTwoClustersRouting runs two worker processes with two kubeconfigs
// standing for two clusters, east (the default) and west. A scale fault
// naming west is selected, injected and reverted by west's worker on
// west's queue; one naming no cluster is selected by east, records east on
// its target, and is injected and reverted by east only. The replicas are
// restored both times.
func TestTwoClustersRouting(t *testing.T) {
	tempestBin, _ := binaries(t)
	admin, kubeconfig := kubeenv.Cluster(t)
	client := kubeenv.NewClient(t, admin)
	brokerReady(t, kubeconfig, client)
	e := newEnv(t)
	const queue = "it-kube-routing"
	raw, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	start := func(cluster string, isDefault bool) int {
		kc := filepath.Join(t.TempDir(), cluster+".kubeconfig")
		if err := os.WriteFile(kc, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(tempestBin, "worker", "--address", e.srv.FrontendAddress(), "--task-queue", queue,
			"--kubeconfig", kc, "--cluster", cluster, "--host", "host-"+cluster,
			fmt.Sprintf("--default-host=%v", isDefault), "--worker-state-dir", t.TempDir())
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd.Process.Pid
	}
	east := start("east", true)
	west := start("west", false)

	for _, tc := range []struct {
		name, cluster, want string
		pid                 int
	}{
		{"names west", "west", "west", west},
		{"names no cluster", "", "east", east},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := experiment.Experiment{
				Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "kube-routing"},
				Spec: experiment.Spec{Faults: []experiment.Fault{{
					Name: "scale-down", Duration: experiment.Duration(3 * time.Second), Cluster: tc.cluster,
					Scale: &experiment.ScaleFault{Kind: experiment.WorkloadStatefulSet, Replicas: 2,
						Selector: experiment.KubeSelector{Namespace: "chaos-demo", Names: []string{"broker"}}},
				}}},
			}
			run, res := e.runToEnd(t, exp, queue, 3*time.Minute)
			if res.Verdict != experiment.VerdictPassed {
				t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
			}
			if got := res.Targets[0].Targets[0].Attrs[fault.AttrCluster]; got != tc.want {
				t.Fatalf("target records cluster %q, want %q", got, tc.want)
			}
			runs := activityRuns(t, e, run)
			for _, typ := range []string{"SelectTargets", "Inject", "Revert"} {
				if len(runs[typ]) == 0 {
					t.Fatalf("no %s in the history: %v", typ, runs)
				}
				for _, r := range runs[typ] {
					if !strings.HasSuffix(r, fmt.Sprintf("by pid %d", tc.pid)) {
						t.Fatalf("%s, want by the %s worker (pid %d); all: %v", r, tc.want, tc.pid, runs)
					}
				}
			}
			for _, r := range append(runs["Inject"], runs["Revert"]...) {
				if !strings.Contains(r, " on "+queue+"@"+tc.want+" ") {
					t.Fatalf("%s, want on %s@%s", r, queue, tc.want)
				}
			}
			sts, err := client.AppsV1().StatefulSets("chaos-demo").Get(context.Background(), "broker", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *sts.Spec.Replicas != 3 {
				t.Fatalf("replicas %d after the run, want 3 restored", *sts.Spec.Replicas)
			}
		})
	}

	// A second default worker, of another cluster: a fault naming no
	// cluster is now ambiguous and refused before anything starts.
	t.Run("two default clusters", func(t *testing.T) {
		start("north", true)
		exp := experiment.Experiment{
			Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: "kube-routing"},
			Spec: experiment.Spec{Faults: []experiment.Fault{{
				Name: "scale-down", Duration: experiment.Duration(3 * time.Second),
				Scale: &experiment.ScaleFault{Kind: experiment.WorkloadStatefulSet, Replicas: 2,
					Selector: experiment.KubeSelector{Namespace: "chaos-demo", Names: []string{"broker"}}},
			}}},
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			run, err := starter.Start(t.Context(), e.c, exp, starter.Options{TaskQueue: queue})
			var amb *starter.AmbiguousClusterError
			if errors.As(err, &amb) {
				if !slices.Equal(amb.Clusters, []string{"east", "north"}) {
					t.Fatalf("clusters %v, want east and north", amb.Clusters)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// North has not polled yet: this run went to east; let it end.
			if _, err := run.Result(t.Context()); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("still started with two default clusters polling")
			}
		}
	})
}
