package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"

	"github.com/invopop/jsonschema"

	"github.com/tempest-chaos/tempest/experiment"
)

// campaignSchemaID names the campaign schema.
const campaignSchemaID = "https://tempest.dev/schema/campaign.schema.json"

// generateCampaign returns the JSON Schema of experiment.Campaign, made
// like the experiment's (its inline experiments carry the same rules).
func generateCampaign(srcDir string) ([]byte, error) {
	r := &jsonschema.Reflector{Mapper: mapCampaignType}
	base, err := commentBase(srcDir)
	if err != nil {
		return nil, err
	}
	if err := r.AddGoComments(base, srcDir); err != nil {
		return nil, fmt.Errorf("read doc comments in %s: %w", srcDir, err)
	}
	s := r.Reflect(&experiment.Campaign{})
	s.ID = campaignSchemaID
	s.Title = "Tempest campaign"
	defs := s.Definitions
	if err := addRules(defs); err != nil {
		return nil, err
	}
	requireOneBlock(defs["Fault"], experiment.FaultKinds())
	requireOneBlock(defs["Probe"], experiment.ProbeKinds())
	requireOneBlock(defs["CampaignStep"], []string{"experiment", "inline", "parallel"})
	requireOneBlock(defs["StepExperiment"], []string{"experiment", "inline"})
	requireOneBlock(defs["Repeat"], []string{"count", "until"})
	allowEmptyEnums(defs, reflect.TypeFor[experiment.Campaign](), map[reflect.Type]bool{})
	if p, ok := defs["Campaign"].Properties.Get("kind"); ok {
		p.Enum = []any{experiment.KindCampaign}
	}
	if p, ok := defs["Campaign"].Properties.Get("apiVersion"); ok {
		p.Enum = []any{experiment.APIVersion}
	}
	// An inline experiment may leave kind out.
	if exp := defs["Experiment"]; exp != nil {
		exp.Required = slices.DeleteFunc(exp.Required, func(f string) bool { return f == "kind" })
		if p, ok := exp.Properties.Get("kind"); ok {
			p.Enum = []any{experiment.KindExperiment}
		}
	}
	if p, ok := defs["Approval"].Properties.Get("timeout"); ok {
		p.Not = &jsonschema.Schema{Pattern: `^[-+]?0+(\.0*)?[a-zµ]*$`}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	return append(data, '\n'), nil
}

// mapCampaignType is mapType with the campaign's own enum.
func mapCampaignType(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[experiment.ApprovalTimeoutAction]() {
		enum := []any{}
		for _, v := range experiment.ApprovalTimeoutActions {
			enum = append(enum, v)
		}
		return &jsonschema.Schema{Type: "string", Enum: append(enum, "")}
	}
	return mapType(t)
}

// write generates a schema and writes it to out ("-": stdout); it exits
// on an error.
func write(out string, gen func(string) ([]byte, error), src string) {
	data, err := gen(src)
	if err == nil {
		if out == "-" {
			_, err = os.Stdout.Write(data)
		} else {
			err = os.WriteFile(out, data, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
