package network

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// The kind is registered as package kinds registers it (this test binary
// does not import kinds, which imports this package).
func init() { Kind.RegisterBlock() }

const kindSpec = `apiVersion: tempest.dev/v1
kind: Experiment
metadata: {name: net}
spec:
  faults:
    - name: cut
      duration: 10s
      host: db-1
      network:
        action: partition
        direction: egress
        destination: {cidrs: [10.0.0.0/8], ports: [5432]}
        process: {name: postgres}
  probes:
    - name: up
      mode: Continuous
      tcp: {address: "127.0.0.1:5432"}
`

func TestKindDecodesFromASpec(t *testing.T) {
	exp, err := experiment.Decode("net.yaml", []byte(kindSpec))
	if err != nil {
		t.Fatal(err)
	}
	f := exp.Spec.Faults[0]
	s, ok := f.Block.(*Spec)
	if !ok || f.Kind() != KindName {
		t.Fatalf("block = %#v, kind %q", f.Block, f.Kind())
	}
	if s.Action != Partition || s.Direction != Egress || s.Process == nil || s.Process.Name != "postgres" ||
		len(s.Destination.Ports) != 1 || s.Destination.Ports[0] != 5432 {
		t.Errorf("decoded %+v", s)
	}
	// What the workflow receives (JSON) decodes to the same block.
	data, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back experiment.Fault
	if err := back.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if b, ok := back.Block.(*Spec); !ok || b.Process.Name != "postgres" || b.Destination.CIDRs[0] != "10.0.0.0/8" {
		t.Errorf("round trip of %s gave %#v", data, back.Block)
	}
}

func TestKindBadInputNamesFieldAndLine(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"ports: [5432]", "ports: [70000]", "spec.faults[0].network.destination.ports[0]: 70000 is not in 1-65535 (line 12)"},
		{"cidrs: [10.0.0.0/8]", "cidrs: [10.0.0.0/88]", "spec.faults[0].network.destination.cidrs[0]: \"10.0.0.0/88\" is not an IP address or CIDR (line 12)"},
		{"action: partition", "action: loss\n        percent: 120", "spec.faults[0].network.percent: 120 is not more than 0 and at most 100 (line 11)"},
		{"action: partition", "action: bandwidth\n        rate: 0kbit", "spec.faults[0].network.rate"},
		{"direction: egress", "directon: egress", "spec.faults[0].network.directon: unknown field (did you mean \"direction\"?) (line 11)"},
		{"process: {name: postgres}", "process: {name: postgres, port: 5432}", "spec.faults[0].network.process: set exactly one of pidFile, name and port"},
	} {
		_, err := experiment.Decode("net.yaml", []byte(strings.Replace(kindSpec, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.to, err, tc.want)
		}
	}
}

// The kind end to end through its fault.Fault implementation: the
// namespace of a process selected by pid file, a partition of one port,
// its revert, a revert whose State was lost, and a leftover found by run.
func TestKindActsInTheSelectedProcessNamespace(t *testing.T) {
	tp := newTopo(t)
	tp.tcpServer(t, 8081)
	tp.tcpServer(t, 8082)
	var cmd *exec.Cmd
	var err error
	inNetns(t, tp.client, func() {
		cmd = exec.Command("sleep", "120")
		err = cmd.Start()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pidFile := filepath.Join(t.TempDir(), "client.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}

	impl := Kind.New(fault.Env{})
	spec := &Spec{Action: Partition, Direction: Egress, Destination: Endpoint{Ports: []int{8081}},
		Process: &experiment.ProcessSelector{PIDFile: pidFile}}
	f := experiment.Fault{Name: "cut", Duration: experiment.Duration(time.Minute), Block: spec}
	ctx := within(t, time.Minute)
	targets, err := impl.Targets(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].ID != "netns/pid/"+strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("targets = %+v", targets)
	}
	run := fault.Run{WorkflowID: "tempest-net-" + strconv.Itoa(os.Getpid()), RunID: "0b7e-run"}
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	state, err := impl.Inject(ctx, req)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if !tp.cut(t, 8081) || !tp.connects(t, 8082) {
		t.Fatal("want 8081 cut and 8082 working during the fault")
	}
	if err := impl.Revert(ctx, req, state); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if !tp.connects(t, 8081) {
		t.Fatal("8081 still cut after Revert")
	}

	// An inject whose State was lost: the revert finds the table by name.
	req.Injection = 2
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := impl.Revert(ctx, req, nil); err != nil {
		t.Fatalf("Revert without State: %v", err)
	}
	if !tp.connects(t, 8081) {
		t.Fatal("8081 still cut after the Revert without State")
	}

	// A killed run's table: Leftovers names its run; Remove removes it.
	req.Injection = 3
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	left, err := impl.(fault.Sweeper).Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []fault.Leftover
	for _, l := range left {
		if l.Run == run {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0].What, `fault "cut", injection 3`) {
		t.Fatalf("leftovers of %v = %+v (all: %+v)", run, mine, left)
	}
	if err := mine[0].Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if !tp.connects(t, 8081) || len(tempestTables(t, tp.client)) != 0 {
		t.Fatal("the leftover is still in place after Remove")
	}
}
