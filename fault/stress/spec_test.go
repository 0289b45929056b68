package stress

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// TestValidate: each bad block gives one line naming the field.
func TestValidate(t *testing.T) {
	const path = "spec.faults[0].stress"
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"empty", Spec{}, "spec.faults[0].stress: set cpu, memory or both"},
		{"workers 0", Spec{CPU: &CPU{Workers: -1, Load: 50}}, "spec.faults[0].stress.cpu.workers: -1 is not 1-1024"},
		{"too many workers", Spec{CPU: &CPU{Workers: 5000}}, "spec.faults[0].stress.cpu.workers: 5000 is not 1-1024"},
		{"load over 100", Spec{CPU: &CPU{Load: 150}}, "spec.faults[0].stress.cpu.load: 150 is not a percent 1-100"},
		{"memory empty", Spec{Memory: &Memory{}}, "spec.faults[0].stress.memory: set bytes or percent"},
		{"memory both", Spec{Memory: &Memory{Bytes: "1Gi", Percent: 10}}, "spec.faults[0].stress.memory.percent: set bytes or percent, not both"},
		{"memory bytes 0", Spec{Memory: &Memory{Bytes: "0"}}, `spec.faults[0].stress.memory.bytes: "0" must be more than 0`},
		{"memory bytes not a size", Spec{Memory: &Memory{Bytes: "much"}}, `spec.faults[0].stress.memory.bytes: "much" is not a size (bytes, or a number with a unit such as 512Mi, 2Gi, 500M)`},
		{"memory percent over 100", Spec{Memory: &Memory{Percent: 120}}, "spec.faults[0].stress.memory.percent: 120 is not more than 0 and at most 100"},
		{"memory percent over the ceiling", Spec{Memory: &Memory{Percent: 95}}, "spec.faults[0].stress.memory.percent: 95 is over the memory ceiling: at most 90% of the host's memory may be held (at least 10% stays free)"},
		{"selector empty", Spec{CPU: &CPU{}, Selector: &experiment.ProcessSelector{}}, "spec.faults[0].stress.selector: set exactly one of pidFile, name, port (0 set)"},
		{"selector two", Spec{CPU: &CPU{}, Selector: &experiment.ProcessSelector{Name: "x", Port: 80}}, "spec.faults[0].stress.selector: set exactly one of pidFile, name, port (2 set)"},
		{"selector port", Spec{CPU: &CPU{}, Selector: &experiment.ProcessSelector{Port: 70000}}, "spec.faults[0].stress.selector.port: 70000 is not in 1-65535"},
		{"selector name path", Spec{CPU: &CPU{}, Selector: &experiment.ProcessSelector{Name: "/usr/bin/x"}}, `spec.faults[0].stress.selector.name: "/usr/bin/x" is a path; give the executable's base name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.ApplyDefaults()
			errs := tc.spec.Validate(path)
			if len(errs) != 1 || errs[0].Error() != tc.want {
				t.Fatalf("Validate = %v\nwant      %s", errs, tc.want)
			}
		})
	}
	for _, ok := range []Spec{
		{CPU: &CPU{}},
		{CPU: &CPU{Workers: 4, Load: 50}, Memory: &Memory{Bytes: "256Mi"}, Selector: &experiment.ProcessSelector{Port: 8080}},
		{Memory: &Memory{Percent: 90}},
	} {
		ok.ApplyDefaults()
		if errs := ok.Validate(path); len(errs) != 0 {
			t.Errorf("%+v: %v", ok, errs)
		}
	}
}

// TestMemoryCeilingRefused: memory that would leave the host less than
// the ceiling's margin available is refused, and nothing is started.
func TestMemoryCeilingRefused(t *testing.T) {
	d := New(t.TempDir())
	mi, err := d.proc.meminfo()
	if err != nil {
		t.Fatal(err)
	}
	keep := max(mi.Total/10, int64(DefaultMinFreeBytes))
	over := mi.Available - keep + 1<<30 // a GiB past the ceiling
	for _, tc := range []struct {
		name  string
		bytes string
		d     func(*Driver)
	}{
		{"past the ceiling", strconv.FormatInt(over, 10), nil},
		{"any memory with a margin of all of it", "16Mi", func(d *Driver) { d.MinFreeBytes = mi.Total }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := New(t.TempDir())
			if tc.d != nil {
				tc.d(d)
			}
			req := request("run-1", "mem-"+tc.name, 1, hostTarget)
			revertOnCleanup(t, d, req)
			_, err := d.inject(context.Background(), req, &Spec{Memory: &Memory{Bytes: tc.bytes}, CPU: &CPU{}})
			if typ, _ := errkind.TypeOf(err); typ != errkind.Refused || !strings.Contains(err.Error(), "stress.memory: ") {
				t.Fatalf("inject %s: %v, want Refused naming stress.memory", tc.bytes, err)
			}
			t.Logf("refused: %v", err)
			if got := stressors(t, d, markerOf(req)); len(got) != 0 {
				t.Fatalf("a refused inject started %+v", got)
			}
		})
	}
}

// TestInjectErrors: a bad block is InvalidSpec, stress-ng missing is
// InvalidSpec naming it, and a process target that is gone is
// UnknownTarget; nothing is started.
func TestInjectErrors(t *testing.T) {
	d := New(t.TempDir())
	req := request("run-1", "bad", 1, hostTarget)
	_, err := d.inject(context.Background(), req, &Spec{CPU: &CPU{Load: 101}})
	if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), "stress.cpu.load") {
		t.Fatalf("load 101: %v", err)
	}

	d.StressNG = "tempest-no-such-stress-ng"
	_, err = d.inject(context.Background(), req, &Spec{CPU: &CPU{}})
	if typ, _ := errkind.TypeOf(err); typ != errkind.InvalidSpec || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("stress-ng missing: %v", err)
	}

	d = New(t.TempDir())
	gone := experiment.Target{ID: "pid/999999999", Attrs: map[string]string{"pid": "999999999", "startTime": "1"}}
	_, err = d.inject(context.Background(), request("run-1", "gone", 1, gone), &Spec{CPU: &CPU{}})
	if typ, _ := errkind.TypeOf(err); typ != errkind.UnknownTarget {
		t.Fatalf("a target that is gone: %v", err)
	}
	if got := stressors(t, d, markerOf(req)); len(got) != 0 {
		t.Fatalf("started %+v", got)
	}
}

// TestTargetsNoMatch: a selector matching nothing is NoTargets.
func TestTargetsNoMatch(t *testing.T) {
	d := New(t.TempDir())
	_, err := d.targets(context.Background(), &Spec{CPU: &CPU{}, Selector: &experiment.ProcessSelector{Name: "tempest-no-such-process"}})
	if typ, _ := errkind.TypeOf(err); typ != errkind.NoTargets {
		t.Fatalf("no such process: %v", err)
	}
	got, err := d.targets(context.Background(), &Spec{CPU: &CPU{}})
	if err != nil || len(got) != 1 || got[0].ID != HostTarget {
		t.Fatalf("host targets: %+v, %v", got, err)
	}
}
