package diskfill

import (
	"context"
	"math"
	"slices"
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
metadata: {name: disk}
spec:
  faults:
    - name: fill
      duration: 10s
      diskFill:
        path: /var/tmp
        percent: 80
  probes:
    - name: up
      mode: Continuous
      tcp: {address: "127.0.0.1:5432"}
`

func TestKindDecodesFromASpec(t *testing.T) {
	exp, err := experiment.Decode("disk.yaml", []byte(kindSpec))
	if err != nil {
		t.Fatal(err)
	}
	f := exp.Spec.Faults[0]
	s, ok := f.Block.(*Spec)
	if !ok || f.Kind() != Name || s.Path != "/var/tmp" || s.Percent != 80 {
		t.Fatalf("block = %#v, kind %q", f.Block, f.Kind())
	}
	data, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back experiment.Fault
	if err := back.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	if b, ok := back.Block.(*Spec); !ok || *b != *s {
		t.Fatalf("round trip of %s gave %#v", data, back.Block)
	}
}

// TestKindBadInputNamesFieldAndLine: one line with the field path and
// the line, from a spec file.
func TestKindBadInputNamesFieldAndLine(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"percent: 80", "percent: 150", "spec.faults[0].diskFill.percent: 150 is not more than 0 and at most 100 (line 10)"},
		{"percent: 80", "bytes: 0", `spec.faults[0].diskFill.bytes: "0" must be more than 0 (line 10)`},
		{"        path: /var/tmp\n", "", "spec.faults[0].diskFill.path: required: the directory whose filesystem is filled (line 8)"},
		{"percent: 80", "percnt: 80", `spec.faults[0].diskFill.percnt: unknown field (did you mean "percent"?) (line 10)`},
	} {
		_, err := experiment.Decode("disk.yaml", []byte(strings.Replace(kindSpec, tc.from, tc.to, 1)))
		if err == nil || !slices.Contains(strings.Split(err.Error(), "\n"), tc.want) {
			t.Errorf("%q: got %v\nwant the line %s", tc.to, err, tc.want)
		}
	}
}

// TestKindEndToEnd drives the kind through its fault.Fault: targets,
// inject, revert, a revert without State, and a leftover by run.
func TestKindEndToEnd(t *testing.T) {
	dir := mountTmpfs(t, "32m")
	impl := Kind.New(fault.Env{StateDir: t.TempDir()})
	f := experiment.Fault{Name: "fill", Duration: experiment.Duration(time.Minute), Block: &Spec{Path: dir, Percent: 70}}
	ctx := context.Background()
	targets, err := impl.Targets(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].ID != "disk/"+dir || !strings.Contains(targets[0].Description, "fill to 70%") {
		t.Fatalf("targets = %+v", targets)
	}
	baseline := usedBytes(t, dir)
	run := fault.Run{WorkflowID: "wf-kind", RunID: "run-kind"}
	req := fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}
	state, err := impl.Inject(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := usedPercent(t, dir); math.Abs(got-70) > 0.5 {
		t.Fatalf("%.2f%% used, want 70%% (state %v)", got, state)
	}
	if err := impl.Revert(ctx, req, state); err != nil {
		t.Fatal(err)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("after revert %d used, baseline %d", got, baseline)
	}

	req.Injection = 2
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := impl.Revert(ctx, req, nil); err != nil {
		t.Fatalf("revert without State: %v", err)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("after revert without State %d used, baseline %d", got, baseline)
	}

	req.Injection = 3
	if _, err := impl.Inject(ctx, req); err != nil {
		t.Fatal(err)
	}
	left, err := impl.(fault.Sweeper).Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Run != run || !strings.Contains(left[0].What, `fault "fill" injection 3`) {
		t.Fatalf("leftovers = %+v", left)
	}
	if err := left[0].Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if got := usedBytes(t, dir); got != baseline {
		t.Fatalf("after Remove %d used, baseline %d", got, baseline)
	}
	if err := left[0].Remove(ctx); err != nil {
		t.Fatalf("a second Remove: %v", err)
	}
}
