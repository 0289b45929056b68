package blocktest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	. "github.com/tempest-chaos/tempest/experiment"
)

// blockForTest is a registered kind as a kind package would declare it.
type blockForTest struct {
	// Size is required, at least 1.
	Size int    `json:"size"`
	Mode string `json:"mode,omitempty"`
}

func (*blockForTest) FaultKind() FaultKind { return "blockForTest" }

func (b *blockForTest) Validate(path string) []FieldError {
	if b.Size < 1 {
		return []FieldError{FieldErrorf(Field(path, "size"), "must be >= 1")}
	}
	return nil
}

func (b *blockForTest) ApplyDefaults() {
	if b.Mode == "" {
		b.Mode = "fast"
	}
}

// unregisteredBlock is a block no program registered.
type unregisteredBlock struct{}

func (*unregisteredBlock) FaultKind() FaultKind         { return "unregistered" }
func (*unregisteredBlock) Validate(string) []FieldError { return nil }

func init() { RegisterFaultBlock(&blockForTest{}, true) }

const blockSpec = `apiVersion: tempest.dev/v1
kind: Experiment
metadata: {name: blocks}
spec:
  faults:
    - name: f
      duration: 10s
      host: h1
      blockForTest:
        size: 3
  probes:
    - name: p
      mode: EOT
      tcp: {address: "127.0.0.1:1"}
`

func TestRegisteredBlockDecodesWithDefaults(t *testing.T) {
	exp, err := Decode("b.yaml", []byte(blockSpec))
	if err != nil {
		t.Fatal(err)
	}
	f := exp.Spec.Faults[0]
	b, ok := f.Block.(*blockForTest)
	if !ok || b.Size != 3 || b.Mode != "fast" || f.Kind() != "blockForTest" {
		t.Fatalf("fault = %+v, block %#v", f, f.Block)
	}
	if !slices.Contains(HostKinds(), "blockForTest") || !slices.Contains(FaultKinds(), "blockForTest") {
		t.Errorf("host kinds %v, kinds %v: want the registered host kind in both", HostKinds(), FaultKinds())
	}
}

func TestRegisteredBlockProblemsHaveFieldAndLine(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"size: 3", "size: 0", "spec.faults[0].blockForTest.size: must be >= 1 (line 10)"},
		{"size: 3", "sise: 3", `spec.faults[0].blockForTest.sise: unknown field (did you mean "size"?) (line 10)`},
		{"size: 3", "size: three", "spec.faults[0].blockForTest.size: must be an integer (line 10)"},
		{"      blockForTest:", "      process: {selector: {name: x}}\n      blockForTest:", "must set exactly one of"},
		{"blockForTest:", "blockForTst:", `spec.faults[0].blockForTst: unknown field (did you mean "blockForTest"?)`},
	} {
		_, err := Decode("b.yaml", []byte(strings.Replace(blockSpec, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.to, err, tc.want)
		}
	}
}

// A fault without a Block encodes exactly as Fault did before blocks
// existed (recorded histories hold that JSON), and one with a Block puts
// it under its kind's key and decodes back.
func TestFaultJSONWithAndWithoutBlock(t *testing.T) {
	plain := Fault{Name: "kill", Duration: Duration(5e9), Process: &ProcessFault{Selector: ProcessSelector{Name: "x"}}}
	got, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"kill","duration":"5s","process":{"selector":{"name":"x"}}}`
	if string(got) != string(want) || strings.Contains(string(got), "Block") {
		t.Errorf("plain fault = %s, want %s", got, want)
	}
	withBlock := Fault{Name: "b", Duration: Duration(5e9), Block: &blockForTest{Size: 2}}
	got, err = json.Marshal(withBlock)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"blockForTest":{"size":2}`) {
		t.Errorf("fault with block = %s", got)
	}
	var back Fault
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if b, ok := back.Block.(*blockForTest); !ok || b.Size != 2 || back.Name != "b" {
		t.Errorf("decoded %+v", back)
	}
	var both Fault
	if err := json.Unmarshal([]byte(`{"name":"x","blockForTest":{"size":1},"blockForTest2":{}}`), &both); err != nil {
		t.Errorf("unknown keys are ignored like encoding/json does: %v", err)
	}
}

func TestUnregisteredBlockIsAProblem(t *testing.T) {
	e := Experiment{Kind: KindExperiment, Metadata: Metadata{Name: "x"}, Spec: Spec{
		Faults: []Fault{{Name: "u", Duration: Duration(5e9), Block: &unregisteredBlock{}}},
		Probes: []Probe{{Name: "p", Mode: ModeEOT, TCP: &TCPProbe{Address: "127.0.0.1:1"}}},
	}}
	ApplyDefaults(&e)
	err := e.Validate()
	if err == nil || !strings.Contains(err.Error(), `fault kind "unregistered" is not registered`) {
		t.Errorf("got %v", err)
	}
}

func TestHostListsTheRegisteredHostKinds(t *testing.T) {
	spec := strings.Replace(blockSpec, "      blockForTest:\n        size: 3", "      podDelete: {selector: {namespace: ns, labels: {app: x}}}", 1)
	_, err := Decode("b.yaml", []byte(spec))
	if err == nil || !strings.Contains(err.Error(), "spec.faults[0].host: only host faults") || !strings.Contains(err.Error(), "blockForTest") {
		t.Errorf("host: on a podDelete fault: got %v, want a refusal listing the registered host kind", err)
	}
}
