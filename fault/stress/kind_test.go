package stress

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
metadata: {name: stress}
spec:
  faults:
    - name: squeeze
      duration: 10s
      stress:
        cpu: {workers: 2}
        memory: {bytes: 256Mi}
        selector: {port: 8080}
  probes:
    - name: up
      mode: Continuous
      tcp: {address: "127.0.0.1:8080"}
`

func TestKindDecodesFromASpec(t *testing.T) {
	exp, err := experiment.Decode("stress.yaml", []byte(kindSpec))
	if err != nil {
		t.Fatal(err)
	}
	f := exp.Spec.Faults[0]
	s, ok := f.Block.(*Spec)
	if !ok || f.Kind() != Name {
		t.Fatalf("block = %#v, kind %q", f.Block, f.Kind())
	}
	// Defaults applied: load 100.
	if s.CPU == nil || s.CPU.Workers != 2 || s.CPU.Load != 100 || s.Memory.Bytes != "256Mi" || s.Selector.Port != 8080 {
		t.Fatalf("decoded %+v", s)
	}
	data, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back experiment.Fault
	if err := back.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if b, ok := back.Block.(*Spec); !ok || *b.CPU != *s.CPU || b.Memory.Bytes != "256Mi" || b.Selector.Port != 8080 {
		t.Fatalf("round trip of %s gave %#v", data, back.Block)
	}
}

// TestKindBadInputNamesFieldAndLine: one line with the field path and
// the line, from a spec file.
func TestKindBadInputNamesFieldAndLine(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"cpu: {workers: 2}", "cpu: {workers: 2, load: 150}", "spec.faults[0].stress.cpu.load: 150 is not a percent 1-100 (line 9)"},
		{"memory: {bytes: 256Mi}", "memory: {percent: 95}", "spec.faults[0].stress.memory.percent: 95 is over the memory ceiling: at most 90% of the host's memory may be held (at least 10% stays free) (line 10)"},
		{"memory: {bytes: 256Mi}", "memory: {bytes: 0}", `spec.faults[0].stress.memory.bytes: "0" must be more than 0 (line 10)`},
		{"selector: {port: 8080}", "selector: {port: 8080, name: x}", "spec.faults[0].stress.selector: set exactly one of pidFile, name, port (2 set) (line 11)"},
		{"cpu: {workers: 2}", "cpu: {wrkers: 2}", `spec.faults[0].stress.cpu.wrkers: unknown field (did you mean "workers"?) (line 9)`},
	} {
		_, err := experiment.Decode("stress.yaml", []byte(strings.Replace(kindSpec, tc.from, tc.to, 1)))
		if err == nil || !slices.Contains(strings.Split(err.Error(), "\n"), tc.want) {
			t.Errorf("%q: got %v\nwant the line %s", tc.to, err, tc.want)
		}
	}
}

// TestKindEndToEnd drives the kind through its fault.Fault: a process
// target selected by pid file, inject, revert, a revert without State,
// and a leftover by run.
func TestKindEndToEnd(t *testing.T) {
	svc := startSpin(t)
	pidFile := filepath.Join(t.TempDir(), "svc.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(svc.cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	impl := Kind.New(fault.Env{StateDir: t.TempDir()})
	d := impl.(*Driver)
	spec := &Spec{CPU: &CPU{Workers: 1, Load: 10}, Selector: &experiment.ProcessSelector{PIDFile: pidFile}}
	f := experiment.Fault{Name: "squeeze", Duration: experiment.Duration(time.Minute), Block: spec}
	ctx := context.Background()
	targets, err := impl.Targets(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].ID != "pid/"+strconv.Itoa(svc.cmd.Process.Pid) || !strings.Contains(targets[0].Description, "cpu 1 workers at 10%") {
		t.Fatalf("targets = %+v", targets)
	}
	run := fault.Run{WorkflowID: "wf-kind", RunID: "run-kind"}
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	revertOnCleanup(t, d, req)
	state, err := impl.Inject(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(stressors(t, d, markerOf(req))) < 2 {
		t.Fatal("no stressor running after Inject")
	}
	if err := impl.Revert(ctx, req, state); err != nil {
		t.Fatal(err)
	}
	if left := stressors(t, d, markerOf(req)); len(left) != 0 {
		t.Fatalf("after Revert: %+v", left)
	}

	req.Injection = 2
	revertOnCleanup(t, d, req)
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := impl.Revert(ctx, req, nil); err != nil {
		t.Fatalf("Revert without State: %v", err)
	}
	if left := stressors(t, d, markerOf(req)); len(left) != 0 {
		t.Fatalf("after Revert without State: %+v", left)
	}

	req.Injection = 3
	revertOnCleanup(t, d, req)
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	all, err := impl.(fault.Sweeper).Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mine []fault.Leftover
	for _, l := range all {
		if l.Run == run {
			mine = append(mine, l)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0].What, `fault "squeeze" injection 3`) {
		t.Fatalf("leftovers of %v = %+v", run, mine)
	}
	if err := mine[0].Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if left := stressors(t, d, markerOf(req)); len(left) != 0 {
		t.Fatalf("after Remove: %+v", left)
	}
	if err := mine[0].Remove(ctx); err != nil {
		t.Fatalf("a second Remove: %v", err)
	}
}
