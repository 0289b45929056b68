package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tempest-chaos/tempest/experiment"
)

// TestCommittedReferenceIsCurrent regenerates the reference in memory
// and compares it with the committed file: run `go run ./cmd/specdoc`
// after changing the spec types, their doc comments, defaults or the
// schema.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := generate("experiment", "schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("docs/spec-reference.md")
	if err != nil {
		t.Fatalf("read committed reference: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/spec-reference.md is stale: run `go run ./cmd/specdoc` and commit the result")
	}
}

// TestReferenceContent checks that every spec type and field is there,
// with defaults from ApplyDefaults, values from the schema and
// descriptions from the doc comments, and that every rule over several
// fields is put in words rather than shown as JSON.
func TestReferenceContent(t *testing.T) {
	t.Chdir("../..")
	data, err := generate("experiment", "schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		"## Fault\n",
		"| `timeout` | [duration](#value-types) | default `10s` |",
		"| `deadline` | [duration](#value-types) | default `10m` |",
		"| `maxDuration` | [duration](#value-types) | default `1h` |",
		"| `expectStatus` | list of integer | default `[200]` | each item in 100..599 |",
		"| `mode` | [enum](#value-types) | **required** | one of `SOT`, `EOT`, `Edge`, `Continuous`, `OnChaos` |",
		"| `retries` | integer | optional | in 0..1000 |",
		"`hold` is how long each injection stays before its revert",
		"Exactly one of `process`, `podDelete`, `scale`, `nodeCordon`, `nodeDrain`, `networkPartition`, `network`", // then the kinds registered after network
		"- `pause`: sends SIGSTOP; the revert sends SIGCONT.",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	g := &gen{paths: map[reflect.Type][]string{}}
	g.walk(reflect.TypeFor[experiment.Experiment](), "", map[reflect.Type]bool{})
	for _, typ := range g.order {
		name := sectionName(typ)
		sec := section(doc, name)
		if sec == "" {
			t.Errorf("no section for %s (%s)", name, typ)
		}
		for _, f := range specFields(typ) {
			if !strings.Contains(sec, "\n| `"+f.json+"` |") {
				t.Errorf("no row for %s.%s in its section", name, f.json)
			}
		}
	}
	for line := range strings.SplitSeq(doc, "\n") {
		if strings.HasPrefix(line, "- ") && strings.Contains(line, "`{\"") {
			t.Errorf("a rule shown as JSON, not in words (teach rules.go its shape): %s", line)
		}
	}
}

// TestReferenceDocumentsRegisteredKinds: the blocks of the fault kinds
// registered by package kinds are fields of Fault that link to their
// sections, and their types' fields have their defaults (from the
// block's ApplyDefaults) and descriptions (from the kind's package).
func TestReferenceDocumentsRegisteredKinds(t *testing.T) {
	t.Chdir("../..")
	data, err := generate("experiment", "schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	fault := section(doc, "Fault")
	var kinds int
	for _, kind := range experiment.FaultKinds() {
		bt, ok := experiment.FaultBlockType(kind)
		if !ok {
			continue
		}
		kinds++
		name := sectionName(bt)
		if name == bt.Name() {
			t.Errorf("%s's block %s is not named after its package", kind, bt)
		}
		if row := "\n| `" + string(kind) + "` | [" + name + "](#" + strings.ToLower(name) + ") | optional |"; !strings.Contains(fault, row) {
			t.Errorf("the Fault section has no row %q", row)
		}
		if section(doc, name) == "" {
			t.Errorf("no section %s for the %s block", name, kind)
		}
	}
	if kinds < 3 {
		t.Fatalf("%d registered fault kinds, want network, stress and diskFill at least", kinds)
	}
	for name, rows := range map[string][]string{
		"NetworkSpec": {
			"| `action` | string | **required** |  | `action` is partition, loss, bandwidth or proxy (required). |",
			"| `destination` | [NetworkEndpoint](#networkendpoint) | optional |  | `destination` filters the remote end",
			"| `process` | [ProcessSelector](#processselector) | optional |",
			"| `proxy` | [ProxySpec](#proxyspec) | optional |",
		},
		"ProxySpec": {
			"| `mode` | string | default `transparent` |",
			"| `toxics` | list of [ProxyToxic](#proxytoxic) | **required** |",
		},
		"ProxyToxic": {
			"| `stream` | string | default `downstream` |",
			"| `toxicity` | number | default `1` |",
			// A duration: the type says it, not the schema's pattern.
			"| `latency` | [duration](#value-types) | optional |  | `latency` added to each chunk of data",
			"| `jitter` | [duration](#value-types) | optional |  | `jitter`, for latency:",
		},
		"StressCPU": {
			"| `workers` | integer | default `1` |  | `workers` is the number of busy workers, 1-1024 (default 1). |",
			"| `load` | integer | default `100` |",
		},
		"DiskfillSpec": {
			"| `path` | string | **required** |  | `path` is an existing directory, absolute;",
		},
	} {
		sec := section(doc, name)
		for _, row := range rows {
			if !strings.Contains(sec, "\n"+row) {
				t.Errorf("section %s lacks %q", name, row)
			}
		}
	}
	for _, want := range []string{
		"| `diskFill` | [DiskfillSpec](#diskfillspec) | optional |  | DiskfillSpec is the diskFill block of a fault: which filesystem to fill and how much. |",
		"- [ProxyToxic](#proxytoxic) at `spec.faults[].network.proxy.toxics[]`",
		"At `spec.faults[].process.selector`, `spec.faults[].network.process`, `spec.faults[].stress.selector`.",
		"\n## NetworkSpec\n\nNetworkSpec is one network fault",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
}

// TestSectionsAreUnique: no two sections have one name (network.Spec and
// stress.Spec are NetworkSpec and StressSpec), and every link to a
// section finds it.
func TestSectionsAreUnique(t *testing.T) {
	t.Chdir("../..")
	data, err := generate("experiment", "schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, ok := strings.CutPrefix(line, "## ")
		if !ok {
			continue
		}
		a := strings.ReplaceAll(strings.ToLower(name), " ", "-") // GitHub's anchor
		if anchors[a] {
			t.Errorf("two sections named %s", name)
		}
		anchors[a] = true
	}
	if !anchors["networkspec"] || !anchors["stressspec"] || !anchors["spec"] {
		t.Errorf("sections %v lack Spec, NetworkSpec or StressSpec", anchors)
	}
	for _, m := range regexp.MustCompile(`\]\(#([a-z0-9-]+)\)`).FindAllStringSubmatch(string(data), -1) {
		if !anchors[m[1]] {
			t.Errorf("a link to #%s, which no section has", m[1])
		}
	}
}

// TestKindEnumNotes: a kind's typed string is an enum, with a note of
// its documented values (from the kind's package), when the schema gives
// it an enum; as the committed schema gives the kinds' typed strings
// none, they are plain strings there.
func TestKindEnumNotes(t *testing.T) {
	t.Chdir("../..")
	data, err := os.ReadFile("schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	action := asNode(asNode(asNode(asNode(schema["$defs"])["NetworkSpec"])["properties"])["action"])
	if action == nil {
		t.Fatal("the schema has no NetworkSpec.action")
	}
	if action["enum"] != nil {
		t.Fatal("the schema now gives NetworkSpec.action an enum: make this test give one to another field")
	}
	action["enum"] = []any{"partition", "loss", "bandwidth", "proxy"}
	file := filepath.Join(t.TempDir(), "schema.json")
	if data, err = json.Marshal(schema); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := generate("experiment", file)
	if err != nil {
		t.Fatal(err)
	}
	sec := section(string(out), "NetworkSpec")
	for _, want := range []string{
		"| `action` | [enum](#value-types) | **required** | one of `partition`, `loss`, `bandwidth`, `proxy` |",
		"Values of `action`:\n\n- `partition`: drops every matched packet.\n",
		"- `proxy`: puts Toxiproxy toxics",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("with an enum in the schema, section NetworkSpec lacks %q:\n%s", want, sec)
		}
	}
	committed, err := generate("experiment", "schema/experiment.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if sec := section(string(committed), "NetworkSpec"); !strings.Contains(sec, "| `action` | string |") || strings.Contains(sec, "Values of") {
		t.Errorf("without an enum in the schema, action is not a plain string without a note of values:\n%s", sec)
	}
}

// section is the text of the section named name, without the next
// section's heading; empty when there is none.
func section(doc, name string) string {
	_, rest, ok := strings.Cut(doc, "\n## "+name+"\n")
	if !ok {
		return ""
	}
	sec, _, _ := strings.Cut(rest, "\n## ")
	return sec
}

// TestObjectWords puts the rule shapes of experiment.SchemaRules in words.
func TestObjectWords(t *testing.T) {
	for _, tc := range []struct {
		rule node
		want string
	}{
		{node{"required": []any{"a"}}, "`a` is set"},
		{node{"not": node{"required": []any{"a"}, "properties": node{"a": node{"minLength": 1.0}}}}, "`a` is not set"},
		{node{"if": node{"required": []any{"op"}, "properties": node{"op": node{"enum": []any{"x", "y"}}}},
			"then": node{"properties": node{"v": node{"minimum": 1.0, "maximum": 9.0}}}},
			"when `op` is one of `x`, `y`: `v` is in 1..9"},
		{node{"anyOf": []any{node{"required": []any{"a"}}, node{"required": []any{"b"}}}}, "at least one of `a`, `b` is set"},
		{node{"oneOf": []any{node{"required": []any{"a"}}, node{"required": []any{"b"}, "properties": node{"b": node{"not": node{"enum": []any{0.0}}}}}}},
			"exactly one of `a`, `b` is set"},
	} {
		if got := objectWords(tc.rule, ""); got != tc.want {
			t.Errorf("objectWords(%v) = %q, want %q", tc.rule, got, tc.want)
		}
	}
}
