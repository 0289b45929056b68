package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
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
			Properties           map[string]struct {
				Type        string   `json:"type"`
				Enum        []string `json:"enum"`
				Pattern     string   `json:"pattern"`
				Description string   `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	fault, probe := s.Defs["Fault"], s.Defs["Probe"]
	if got := fault.Properties["mode"].Enum; len(got) != 4 || got[0] != "one" {
		t.Errorf("fault mode enum = %v", got)
	}
	if got := probe.Properties["mode"].Enum; len(got) != 5 {
		t.Errorf("probe mode enum = %v", got)
	}
	if d := fault.Properties["duration"]; d.Type != "string" || d.Pattern == "" || d.Description == "" {
		t.Errorf("fault duration = %+v, want a string with a pattern and a description", d)
	}
	if len(fault.OneOf) != 6 || fault.OneOf[0].Required[0] != "process" {
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
}
