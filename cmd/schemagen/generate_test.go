package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/kinds"
)

// TestCommittedSchemaIsCurrent regenerates the schema in memory and
// compares it with the committed file: run `go run ./cmd/schemagen` after
// changing the spec types.
func TestCommittedSchemaIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := generate("experiment")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("schema/experiment.schema.json")
	if err != nil {
		t.Fatalf("read committed schema: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("schema/experiment.schema.json is stale: run `go run ./cmd/schemagen` and commit the result")
	}
}

// TestSchemaContent checks what editors rely on: enums, duration patterns,
// descriptions from doc comments, exactly one kind block, no unknown fields.
func TestSchemaContent(t *testing.T) {
	t.Chdir("../..")
	data, err := generate("experiment")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Description          string                        `json:"description"`
			AdditionalProperties *bool                         `json:"additionalProperties"`
			Required             []string                      `json:"required"`
			OneOf                []struct{ Required []string } `json:"oneOf"`
			AllOf                []json.RawMessage             `json:"allOf"`
			Properties           map[string]struct {
				Type        string   `json:"type"`
				Enum        []string `json:"enum"`
				Pattern     string   `json:"pattern"`
				Description string   `json:"description"`
				Minimum     *int     `json:"minimum"`
				Maximum     *int     `json:"maximum"`
				Error       string   `json:"errorMessage"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	fault, probe := s.Defs["Fault"], s.Defs["Probe"]
	// An optional enum may be written empty (unset); a required one not.
	if got := fault.Properties["mode"].Enum; len(got) != 5 || got[0] != "one" || got[4] != "" {
		t.Errorf("fault mode enum = %q, want the 4 modes and \"\"", got)
	}
	if got := probe.Properties["mode"].Enum; len(got) != 5 || slices.Contains(got, "") {
		t.Errorf("probe mode enum = %q, want the 5 modes", got)
	}
	if d := fault.Properties["duration"]; d.Type != "string" || d.Pattern == "" || d.Description == "" {
		t.Errorf("fault duration = %+v, want a string with a pattern and a description", d)
	}
	if len(fault.OneOf) != 6+len(kinds.Faults) || fault.OneOf[0].Required[0] != "process" {
		t.Errorf("fault oneOf = %+v, want one entry per kind block", fault.OneOf)
	}
	if len(probe.OneOf) != 6 {
		t.Errorf("probe oneOf = %+v", probe.OneOf)
	}
	if ap := fault.AdditionalProperties; ap == nil || *ap {
		t.Error("fault allows unknown fields")
	}
	if fault.Description == "" {
		t.Error("fault has no description")
	}
	// The value rules of experiment.SchemaRules are merged in.
	if d := fault.Properties["duration"]; d.Pattern != experiment.PositiveDurationPattern || d.Type != "string" || d.Error == "" {
		t.Errorf("fault duration = %+v, want a string with the positive duration pattern and its error message", d)
	}
	if d := fault.Properties["startAfter"]; d.Pattern != experiment.NonNegativeDurationPattern {
		t.Errorf("fault startAfter = %+v, want the non-negative duration pattern", d)
	}
	if r := probe.Properties["retries"]; r.Type != "integer" || r.Minimum == nil || *r.Minimum != 0 || r.Maximum == nil || *r.Maximum != experiment.MaxRetries {
		t.Errorf("probe retries = %+v, want an integer in 0..%d", r, experiment.MaxRetries)
	}
	if len(fault.AllOf) == 0 || len(s.Defs["ProcessSelector"].AllOf) != 1 {
		t.Errorf("fault allOf = %d rules, process selector %d, want the rules over several fields", len(fault.AllOf), len(s.Defs["ProcessSelector"].AllOf))
	}
}

// TestRuleOfMissingField: a rule of a field the types do not have fails
// the generator instead of vanishing.
func TestRuleOfMissingField(t *testing.T) {
	s := (&jsonschema.Reflector{Mapper: mapType}).Reflect(&experiment.Experiment{})
	s.Definitions["Fault"].Properties.Delete("duration")
	err := addRules(s.Definitions)
	if err == nil || !strings.Contains(err.Error(), "Fault.duration") {
		t.Fatalf("addRules = %v, want an error naming Fault.duration", err)
	}
}
