package main

import (
	"bytes"
	"os"
	"reflect"
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
		if !strings.Contains(doc, "\n## "+typ.Name()+"\n") {
			t.Errorf("no section for %s", typ.Name())
		}
		for _, f := range fields(typ) {
			if !strings.Contains(doc, "| `"+f.json+"` |") {
				t.Errorf("no row for %s.%s", typ.Name(), f.json)
			}
		}
	}
	for line := range strings.SplitSeq(doc, "\n") {
		if strings.HasPrefix(line, "- ") && strings.Contains(line, "`{\"") {
			t.Errorf("a rule shown as JSON, not in words (teach rules.go its shape): %s", line)
		}
	}
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
