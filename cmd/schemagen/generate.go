package main

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/tempest-chaos/tempest/experiment"
)

// experimentPackage is the import path of package experiment.
const experimentPackage = "github.com/tempest-chaos/tempest/experiment"

// schemaID names the schema.
const schemaID = "https://tempest.dev/schema/experiment.schema.json"

// generate returns the JSON Schema of experiment.Experiment, indented and
// ending in a newline. srcDir is package experiment's directory (relative
// paths only), whose doc comments become descriptions.
func generate(srcDir string) ([]byte, error) {
	r := &jsonschema.Reflector{Mapper: mapType}
	base, err := commentBase(srcDir)
	if err != nil {
		return nil, err
	}
	if err := r.AddGoComments(base, srcDir); err != nil {
		return nil, fmt.Errorf("read doc comments in %s: %w", srcDir, err)
	}
	s := r.Reflect(&experiment.Experiment{})
	s.ID = schemaID
	s.Title = "Tempest experiment"
	requireOneBlock(s.Definitions["Fault"], experiment.FaultKinds())
	requireOneBlock(s.Definitions["Probe"], experiment.ProbeKinds())
	kind := s.Definitions["Experiment"].Properties
	if p, ok := kind.Get("kind"); ok {
		p.Enum = []any{experiment.KindExperiment}
	}
	if p, ok := kind.Get("apiVersion"); ok {
		p.Enum = []any{experiment.APIVersion}
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal schema: %w", err)
	}
	return append(data, '\n'), nil
}

// commentBase is the import path that, joined with srcDir the way
// AddGoComments joins them, yields package experiment's import path.
func commentBase(srcDir string) (string, error) {
	dir := filepath.ToSlash(filepath.Clean(srcDir))
	if filepath.IsAbs(srcDir) || strings.HasPrefix(dir, "..") {
		return "", fmt.Errorf("source directory %q must be relative and below the working directory", srcDir)
	}
	if dir == "." {
		return experimentPackage, nil
	}
	base, ok := strings.CutSuffix(experimentPackage, "/"+dir)
	if !ok || path.Join(base, dir) != experimentPackage {
		return "", fmt.Errorf("source directory %q is not package experiment's directory (%s)", srcDir, experimentPackage)
	}
	return base, nil
}

// mapType gives durations, scalars and typed strings their schemas.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[experiment.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: experiment.DurationPattern,
			Description: `A duration with its unit, such as "15s", "1m30s" or "500ms".`}
	case reflect.TypeFor[experiment.Scalar]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
	case reflect.TypeFor[experiment.SecretRef]():
		return &jsonschema.Schema{Type: "string",
			Description: `A literal value, or a secret reference: "env:NAME", "file:/path" or "k8s:namespace/name/key".`}
	}
	if values, ok := experiment.EnumValues()[t]; ok {
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = v
		}
		return &jsonschema.Schema{Type: "string", Enum: enum}
	}
	return nil
}

// requireOneBlock says that exactly one of the kind blocks is set.
func requireOneBlock[K ~string](def *jsonschema.Schema, kinds []K) {
	if def == nil {
		return
	}
	for _, k := range kinds {
		def.OneOf = append(def.OneOf, &jsonschema.Schema{Required: []string{string(k)}})
	}
}
