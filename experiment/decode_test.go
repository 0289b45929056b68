package experiment

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDecodeBadSpecs decodes every testdata/bad/*.yaml and compares the
// whole error with its .want file: every problem, one per line, each with
// its field path and line, in document order.
func TestDecodeBadSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("want at least 25 bad specs, found %d", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data := readFile(t, file)
			want := strings.TrimRight(string(readFile(t, strings.TrimSuffix(file, ".yaml")+".want")), "\n")
			exp, err := Decode(file, data)
			if err == nil {
				t.Fatalf("decoded without error: %+v", exp)
			}
			if exp != nil {
				t.Errorf("returned an experiment along with the error")
			}
			if got := err.Error(); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			var specErr *SpecError
			if !errors.As(err, &specErr) {
				t.Fatalf("error is %T, want *SpecError", err)
			}
			for _, p := range specErr.Problems {
				if p.Line <= 0 {
					t.Errorf("problem without a line: %q", p.Error())
				}
				if p.Path == "" && !strings.HasPrefix(p.Error(), "line ") {
					t.Errorf("problem without a path or line prefix: %q", p.Error())
				}
			}
		})
	}
}

// TestDecodeGoodSpecs decodes every good spec and sample: each decodes,
// validates again after a JSON round trip, and decodes to the same value.
func TestDecodeGoodSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, examples...)
	if len(files) < 5 {
		t.Fatalf("found only %d good specs", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			exp, err := Decode(file, readFile(t, file))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := exp.Validate(); err != nil {
				t.Fatalf("validate after decode: %v", err)
			}
			assertRoundTrip(t, exp)
		})
	}
}

func assertRoundTrip(t *testing.T, exp *Experiment) {
	t.Helper()
	data, err := json.Marshal(exp)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	again, err := Decode("roundtrip.json", data)
	if err != nil {
		t.Fatalf("decode of own JSON: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(exp, again) {
		// JSON shows the values behind pointers, which %+v does not.
		t.Fatalf("round trip changed the experiment:\n%s\n%#v\n%#v", data, exp.Spec, again.Spec)
	}
}

func TestDecodeSampleDefaults(t *testing.T) {
	exp, err := Decode("process-kill.yaml", readFile(t, "../examples/process-kill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := exp.Spec.Faults[0]
	if f.Kind() != FaultProcess || f.Process.Selector.Port != 18080 || f.Process.Signal != "SIGKILL" {
		t.Errorf("fault = %+v, want a SIGKILL of port 18080", f)
	}
	if f.Mode != SelectAll || f.Sequence != SequenceParallel || f.Process.Action != ProcessKill {
		t.Errorf("fault defaults = %q %q %q", f.Mode, f.Sequence, f.Process.Action)
	}
	byName := map[string]Probe{}
	for _, p := range exp.Spec.Probes {
		byName[p.Name] = p
	}
	during, after := byName["healthz-during-chaos"], byName["healthz-after"]
	if during.Mode != ModeContinuous || during.Interval.D() != time.Second || during.MinSuccessPercent != 50 {
		t.Errorf("continuous probe = %+v", during)
	}
	if after.Mode != ModeEOT || after.Retries < 1 || !reflect.DeepEqual(after.HTTP.ExpectStatus, []int{200}) ||
		after.HTTP.URL != "http://127.0.0.1:18080/healthz" || after.HTTP.Method != "GET" || after.Weight != 1 {
		t.Errorf("EOT probe = %+v", after)
	}
}

// TestApplyDefaults checks every documented default on a minimal spec, and
// that applying them twice changes nothing.
func TestApplyDefaults(t *testing.T) {
	exp := Experiment{Kind: KindExperiment, Metadata: Metadata{Name: "d"}, Spec: Spec{
		Faults: []Fault{
			{Name: "k", Duration: Duration(time.Second), Process: &ProcessFault{Selector: ProcessSelector{Port: 1}}},
			{Name: "n", Duration: Duration(time.Second), NodeDrain: &NodeDrainFault{}},
			{Name: "p", Duration: Duration(time.Second), NetworkPartition: &NetworkPartitionFault{}},
		},
		Probes: []Probe{{Name: "h", Mode: ModeEOT, HTTP: &HTTPProbe{URL: "http://x", Expect: &Comparison{Op: OpEq, Value: "1.5"}}}},
		Load: &Load{Stages: []LoadStage{{Duration: Duration(time.Second), Target: "1/s"}, {Duration: Duration(2 * time.Second), Target: "2/s"}},
			Targets: []LoadTarget{{URL: "http://x"}}},
	}}
	ApplyDefaults(&exp)
	s := exp.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"apiVersion", exp.APIVersion, APIVersion},
		{"fault mode", s.Faults[0].Mode, SelectAll},
		{"fault sequence", s.Faults[0].Sequence, SequenceParallel},
		{"process action", s.Faults[0].Process.Action, ProcessKill},
		{"process signal", s.Faults[0].Process.Signal, "SIGKILL"},
		{"restart timeout", s.Faults[0].Process.RestartTimeout, Duration(30 * time.Second)},
		{"drain timeout", s.Faults[1].NodeDrain.Timeout, Duration(2 * time.Minute)},
		{"partition direction", s.Faults[2].NetworkPartition.Direction, DirectionBoth},
		{"probe timeout", s.Probes[0].Timeout, Duration(10 * time.Second)},
		{"probe interval", s.Probes[0].Interval, Duration(time.Second)},
		{"probe weight", s.Probes[0].Weight, 1},
		{"probe minSuccessPercent", s.Probes[0].MinSuccessPercent, 100.0},
		{"http method", s.Probes[0].HTTP.Method, "GET"},
		{"http expectStatus", s.Probes[0].HTTP.ExpectStatus, []int{200}},
		{"comparison type", s.Probes[0].HTTP.Expect.Type, ValueFloat},
		{"rollback attemptTimeout", s.Rollback.AttemptTimeout, Duration(time.Minute)},
		{"rollback deadline", s.Rollback.Deadline, Duration(10 * time.Minute)},
		{"safety maxDuration", s.Safety.MaxDuration, Duration(time.Hour)},
		{"safety maxBlastRadiusPercent", s.Safety.MaxBlastRadiusPercent, 100},
		{"load maxInFlight", s.Load.MaxInFlight, 1000},
		{"load timeout", s.Load.Timeout, Duration(10 * time.Second)},
		{"load keepAlive", *s.Load.KeepAlive, true},
		{"load duration", s.Load.Duration, Duration(3 * time.Second)},
		{"load target method", s.Load.Targets[0].Method, "GET"},
		{"load target weight", s.Load.Targets[0].Weight, 1},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	before, _ := json.Marshal(exp)
	ApplyDefaults(&exp)
	after, _ := json.Marshal(exp)
	if string(before) != string(after) {
		t.Errorf("ApplyDefaults is not idempotent:\n%s\n%s", before, after)
	}
}

// TestValidateDeterministic validates a spec with many problems, including
// ones found by iterating maps, many times: the error never changes.
func TestValidateDeterministic(t *testing.T) {
	exp := Experiment{Kind: "x", Spec: Spec{
		Probes: []Probe{{Name: "h", Mode: ModeEOT, HTTP: &HTTPProbe{URL: "http://x",
			Headers: map[string]SecretRef{"a b": "", "c(d": "", "e:f": "", "g/h": ""}}}},
		Load: &Load{Rate: "1/s", Duration: Duration(time.Second), Targets: []LoadTarget{{URL: "http://x"}},
			Thresholds: map[string][]string{"a": {"x"}, "b": {"y"}, "c": {"z"}, "http_reqs": {"p(95)<1"}}},
	}}
	first := exp.Validate()
	if first == nil {
		t.Fatal("no error")
	}
	for range 50 {
		if got := exp.Validate(); got.Error() != first.Error() {
			t.Fatalf("Validate is not deterministic:\n%v\n---\n%v", first, got)
		}
	}
	if n := len(first.(*SpecError).Problems); n < 9 {
		t.Errorf("want every problem reported, got %d:\n%v", n, first)
	}
}

// TestValidateWithoutDecode reports paths without lines, so workflows can
// use it on an Experiment they received.
func TestValidateWithoutDecode(t *testing.T) {
	exp := Experiment{Kind: KindExperiment, Metadata: Metadata{Name: "x"}, Spec: Spec{
		Faults: []Fault{{Name: "f", Duration: -Duration(time.Second), Process: &ProcessFault{Selector: ProcessSelector{Port: 80}}}},
	}}
	err := exp.Validate()
	if err == nil || err.Error() != "spec.faults[0].duration: must be > 0" {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeYAMLErrors(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"empty":           {"", "line 1: empty document"},
		"comment only":    {"# nothing\n", "line 1: empty document"},
		"not a mapping":   {"- a\n- b\n", "line 1: must be a mapping, not a list"},
		"tab indent":      {"kind: Experiment\nmetadata:\n\tname: x\n", "line 3: found character that cannot start any token"},
		"alias expansion": {aliasBomb(400), "document too large"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(name, []byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// aliasBomb writes n threshold keys that each alias one list of n items:
// a document of 2n lines that expands to n*n values.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("kind: Experiment\nmetadata: {name: x}\nspec:\n  load:\n    thresholds:\n      m0: &l\n")
	for range n {
		b.WriteString("        - avg<1\n")
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "      m%d: *l\n", i)
	}
	return b.String()
}
