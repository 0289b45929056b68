package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestCommittedCampaignSchemaIsCurrent: run `go run ./cmd/schemagen`
// after changing the campaign types.
func TestCommittedCampaignSchemaIsCurrent(t *testing.T) {
	t.Chdir("../..")
	want, err := generateCampaign("experiment")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("schema/campaign.schema.json")
	if err != nil {
		t.Fatalf("read committed schema: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("schema/campaign.schema.json is stale: run `go run ./cmd/schemagen` and commit the result")
	}
}

func TestCampaignSchemaContent(t *testing.T) {
	t.Chdir("../..")
	data, err := generateCampaign("experiment")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Required   []string                      `json:"required"`
			OneOf      []struct{ Required []string } `json:"oneOf"`
			Properties map[string]struct {
				Enum        []string `json:"enum"`
				Description string   `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Defs["Campaign"].Properties["kind"].Enum; len(got) != 1 || got[0] != "Campaign" {
		t.Errorf("kind enum = %v", got)
	}
	if got := s.Defs["CampaignStep"].OneOf; len(got) != 3 {
		t.Errorf("step oneOf = %v, want experiment, inline or parallel", got)
	}
	if got := s.Defs["Approval"].Properties["onTimeout"].Enum; !slices.Equal(got, []string{"skip", "stop", ""}) {
		t.Errorf("onTimeout enum = %v", got)
	}
	if !slices.Contains(s.Defs["Approval"].Required, "timeout") || slices.Contains(s.Defs["Experiment"].Required, "kind") {
		t.Errorf("required: approval %v, experiment %v", s.Defs["Approval"].Required, s.Defs["Experiment"].Required)
	}
	if s.Defs["CampaignSpec"].Properties["guards"].Description == "" || s.Defs["Fault"].OneOf == nil {
		t.Error("descriptions from doc comments, and the experiment's rules, are expected in the campaign schema")
	}
}
