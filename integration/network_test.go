package integration

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/network"
)

// partitionSpec partitions the target's port on this host (the worker's
// own network namespace) for hold. Its probes: the target serves before
// and after; with continuous, a tcp probe also checks it during the fault.
func partitionSpec(tg target, hold time.Duration, continuous bool) string {
	during := ""
	if continuous {
		during = fmt.Sprintf(`    - name: reachable-during
      mode: OnChaos
      timeout: 500ms
      interval: 500ms
      tcp: {address: "%s"}
`, tg.addr)
	}
	return fmt.Sprintf(`kind: Experiment
metadata:
  name: partition-target
spec:
  hypothesis: the target serves again once the partition is reverted
  faults:
    - name: cut-target
      duration: %s
      network:
        action: partition
        direction: egress
        protocol: tcp
        destination: {cidrs: [127.0.0.1], ports: [%d]}
  probes:
    - name: serving-before
      mode: SOT
      http: {url: "http://%s/healthz"}
    - name: serving-after
      mode: EOT
      timeout: 2s
      interval: 500ms
      retries: 6
      http: {url: "http://%s/healthz"}
%s`, hold, tg.port, tg.addr, tg.addr, during)
}

// leftBy lists what the network kind finds left behind by run (kernel
// tables and proxy redirects in every namespace of this host).
func leftBy(t *testing.T, runID string) []string {
	t.Helper()
	left, err := network.Kind.New(fault.Env{}).(fault.Sweeper).Leftovers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range left {
		if l.Run.RunID == runID {
			out = append(out, l.What)
		}
	}
	return out
}

// A network partition through the whole engine: the target's port is cut
// while the fault holds (seen from the test), served again after the
// revert, the verdict is Passed and no table is left.
func TestNetworkPartitionExperiment(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-network")
	tg := startTarget(t, targetBin)

	exp := decode(t, partitionSpec(tg, 6*time.Second, false))
	done := make(chan experiment.Result, 1)
	var runID string
	go func() {
		run, res := e.runToEnd(t, exp, "it-network", 3*time.Minute)
		runID = run.RunID
		done <- res
	}()
	// During the hold a connection to the port times out (the SYN is
	// dropped); the margin allows a slow start on a loaded machine.
	cut := false
	deadline := time.Now().Add(90 * time.Second)
	for !cut && time.Now().Before(deadline) {
		select {
		case res := <-done:
			t.Fatalf("the run ended (%s, %v) before the test saw the port cut", res.Verdict, res.Reasons)
		default:
		}
		conn, err := net.DialTimeout("tcp", tg.addr, 300*time.Millisecond)
		if err != nil {
			cut = true
			break
		}
		conn.Close()
		time.Sleep(100 * time.Millisecond)
	}
	if !cut {
		t.Fatal("the target's port never stopped answering during the partition")
	}
	res := <-done
	if res.Verdict != experiment.VerdictPassed {
		t.Fatalf("verdict %s, reasons %v", res.Verdict, res.Reasons)
	}
	if f := res.Faults[0]; f.Injections != 1 || f.Reverts != 1 {
		t.Fatalf("fault %+v, want 1 injection and 1 revert", f)
	}
	waitServing(t, tg.addr, 10*time.Second)
	if left := leftBy(t, runID); len(left) > 0 {
		t.Fatalf("left behind by the run: %v", left)
	}
}

// A probe that times out during the partition fails the experiment: a
// dependency cut off is a failure, never a pass by default.
func TestNetworkPartitionTimedOutProbeFails(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	e.inProcessWorker(t, "it-network-fail")
	tg := startTarget(t, targetBin)

	_, res := e.runToEnd(t, decode(t, partitionSpec(tg, 4*time.Second, true)), "it-network-fail", 3*time.Minute)
	if res.Verdict != experiment.VerdictFailed {
		t.Fatalf("verdict %s, want Failed; reasons %v", res.Verdict, res.Reasons)
	}
	var during *experiment.ProbeResult
	for i := range res.Probes {
		if res.Probes[i].Name == "reachable-during" {
			during = &res.Probes[i]
		}
	}
	if during == nil || during.Passed {
		t.Fatalf("probes %+v: want reachable-during failed", res.Probes)
	}
	if f := res.Faults[0]; f.Reverts != f.Injections || f.Injections != 1 {
		t.Fatalf("fault %+v, want its one injection reverted", f)
	}
	waitServing(t, tg.addr, 10*time.Second)
}
